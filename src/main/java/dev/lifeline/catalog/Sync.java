package dev.lifeline.catalog;

import dev.lifeline.backup.FileEntry;
import dev.lifeline.backup.Snapshot;
import dev.lifeline.catalog.meta.ImageMeta;
import dev.lifeline.core.LifelineException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Brings the index in line with the vault, from the vault alone: snapshots not indexed yet are
 * read in time order (each extends the spans of the paths that kept their content since the
 * previous one, and starts spans for the rest), snapshots gone from the repository take their
 * spans with them, {@code latest} (the journal included) decides what is live, and contents no
 * span names any more (pruned) leave the index. Idempotent: running it again changes nothing.
 *
 * <p>Metadata is read in batches of {@value #BATCH}, each committed on its own, so a writer
 * elsewhere (the daemon) waits at most one batch; spans are written per snapshot, in one
 * transaction each.
 */
final class Sync {
    static final int BATCH = 256;

    private final Catalog catalog;
    private final Connection conn;
    private final ImageRows rows;
    private final Source source;
    private int imagesAdded;

    Sync(Catalog catalog, Source source) {
        this.catalog = catalog;
        this.conn = catalog.connection();
        this.rows = catalog.rows();
        this.source = source;
    }

    SyncResult run(boolean fresh) {
        long t0 = System.nanoTime();
        if (fresh) {
            catalog.write(() -> {
                try (Statement s = conn.createStatement()) {
                    s.execute("DELETE FROM paths");
                    s.execute("DELETE FROM loras");
                    s.execute("DELETE FROM images");
                    s.execute("DELETE FROM raw");
                    s.execute("DELETE FROM snapshots");
                    s.execute("INSERT INTO fts(fts) VALUES ('delete-all')");
                }
                return null;
            });
        }
        List<Snapshot> snaps = source.snapshots();
        Map<String, Long> indexed = catalog.write(this::indexedSnapshots);
        Set<String> present = new HashSet<>();
        snaps.forEach(s -> present.add(s.id()));
        List<String> gone =
                indexed.keySet().stream().filter(id -> !present.contains(id)).toList();
        if (!gone.isEmpty()) {
            catalog.write(() -> {
                try (PreparedStatement p = conn.prepareStatement("DELETE FROM snapshots WHERE id = ?")) {
                    for (String id : gone) {
                        p.setString(1, id);
                        p.addBatch();
                    }
                    p.executeBatch();
                }
                return null;
            });
        }
        int added = 0;
        for (Snapshot s : snaps) {
            if (indexed.containsKey(s.id())) {
                continue;
            }
            List<FileEntry> files;
            try {
                files = images(source.files(s.id()));
            } catch (LifelineException e) {
                continue; // unreadable (corrupt, or pruned meanwhile): verify reports it
            }
            addSnapshot(s, files);
            added++;
        }
        live(images(source.latest()));
        int removed = catalog.write(this::cleanUp);
        return new SyncResult(added, gone.size(), imagesAdded, removed, Duration.ofNanos(System.nanoTime() - t0));
    }

    private static List<FileEntry> images(List<FileEntry> files) {
        List<FileEntry> out = new ArrayList<>();
        for (FileEntry f : files) {
            if (f.link() == null
                    && Catalog.isImage(f.path())
                    && Catalog.SHA.matcher(f.sha256()).matches()) {
                out.add(f);
            }
        }
        return out;
    }

    private Map<String, Long> indexedSnapshots() throws SQLException {
        Map<String, Long> out = new LinkedHashMap<>();
        try (Statement s = conn.createStatement();
                ResultSet r = s.executeQuery("SELECT id, seq FROM snapshots ORDER BY seq")) {
            while (r.next()) {
                out.put(r.getString(1), r.getLong(2));
            }
        }
        return out;
    }

    /** Image rows for every content of {@code files} (metadata read for the new ones); path → image id. */
    private Map<String, Long> ensureImages(String snapshot, long when, List<FileEntry> files) {
        Map<String, Long> ids = new HashMap<>();
        List<Source.Need> needs = new ArrayList<>();
        Map<String, Long> seen = new HashMap<>();
        Set<String> wanted = new HashSet<>();
        catalog.write(() -> {
            for (FileEntry f : files) {
                long at = f.mtimeNanos() > 0 ? f.mtimeNanos() / 1_000_000 : when;
                seen.merge(f.sha256(), at, Math::min);
                Long id = rows.imageId(f.sha256());
                if (id != null) {
                    ids.put(f.path(), id);
                } else if (wanted.add(f.sha256())) {
                    needs.add(new Source.Need(f.sha256(), snapshot, f.path()));
                }
            }
            return null;
        });
        for (int i = 0; i < needs.size(); i += BATCH) {
            List<Source.Need> batch = needs.subList(i, Math.min(needs.size(), i + BATCH));
            Map<String, Optional<ImageMeta>> metas = source.read(catalog, batch);
            catalog.write(() -> {
                for (Source.Need n : batch) {
                    rows.ensureImage(
                            n.sha256(), metas.getOrDefault(n.sha256(), Optional.empty()), seen.get(n.sha256()));
                    imagesAdded++;
                }
                return null;
            });
        }
        catalog.write(() -> {
            for (FileEntry f : files) {
                if (!ids.containsKey(f.path())) {
                    ids.put(f.path(), rows.imageId(f.sha256()));
                }
            }
            return null;
        });
        return ids;
    }

    private void addSnapshot(Snapshot s, List<FileEntry> files) {
        long when = s.time().toEpochMilli();
        Map<String, Long> ids = ensureImages(s.id(), when, files);
        catalog.write(() -> {
            long prev = rows.newestSeq();
            long seq = prev + 1;
            try (PreparedStatement p = conn.prepareStatement("INSERT INTO snapshots(seq, id, time) VALUES (?, ?, ?)")) {
                p.setLong(1, seq);
                p.setString(2, s.id());
                p.setLong(3, when);
                p.executeUpdate();
            }
            fill("m", ids);
            // same content at the same path as in the previous snapshot: the span goes on
            exec(
                    "UPDATE paths SET last_seq = ? FROM temp.m WHERE paths.last_seq = ? AND paths.path = m.path AND"
                            + " paths.image_id = m.image_id",
                    seq,
                    prev);
            // stored since (the journal's rows): their span starts here
            exec(
                    "UPDATE paths SET first_seq = ?, last_seq = ? FROM temp.m WHERE paths.first_seq IS NULL AND"
                            + " paths.path = m.path AND paths.image_id = m.image_id",
                    seq,
                    seq);
            exec(
                    "INSERT INTO paths(image_id, path, first_seq, last_seq, live) SELECT m.image_id, m.path, ?, ?, 0"
                            + " FROM temp.m WHERE NOT EXISTS (SELECT 1 FROM paths p WHERE p.path = m.path AND p.image_id ="
                            + " m.image_id AND p.last_seq = ?)",
                    seq,
                    seq,
                    seq);
            return null;
        });
    }

    /** What {@code latest} holds is live, nothing else is; journal files not seen yet get their row. */
    private void live(List<FileEntry> latest) {
        long when = catalog.clock().millis();
        Map<String, Long> ids = ensureImages("latest", when, latest);
        catalog.write(() -> {
            long newest = rows.newestSeq();
            fill("l", ids);
            exec("UPDATE paths SET live = 0 WHERE live = 1 AND NOT EXISTS (SELECT 1 FROM temp.l WHERE l.path ="
                    + " paths.path AND l.image_id = paths.image_id)");
            exec(
                    "UPDATE paths SET live = 1 FROM temp.l WHERE paths.live = 0 AND paths.path = l.path AND"
                            + " paths.image_id = l.image_id AND (paths.first_seq IS NULL OR paths.last_seq = ?)",
                    newest);
            exec("INSERT INTO paths(image_id, path, first_seq, last_seq, live) SELECT l.image_id, l.path, NULL,"
                    + " NULL, 1 FROM temp.l WHERE NOT EXISTS (SELECT 1 FROM paths p WHERE p.path = l.path AND"
                    + " p.image_id = l.image_id AND p.live = 1)");
            return null;
        });
    }

    /** Spans no existing snapshot is in (and not live) go; then contents no span names (pruned). */
    private int cleanUp() throws SQLException {
        exec("DELETE FROM paths WHERE live = 0 AND (first_seq IS NULL OR NOT EXISTS (SELECT 1 FROM snapshots s"
                + " WHERE s.seq BETWEEN paths.first_seq AND paths.last_seq))");
        List<Long> orphans = new ArrayList<>();
        try (Statement s = conn.createStatement();
                ResultSet r = s.executeQuery("SELECT id FROM images i WHERE NOT EXISTS (SELECT 1 FROM paths p WHERE"
                        + " p.image_id = i.id)")) {
            while (r.next()) {
                orphans.add(r.getLong(1));
            }
        }
        for (String sql : List.of(
                "DELETE FROM fts WHERE rowid = ?",
                "DELETE FROM loras WHERE image_id = ?",
                "DELETE FROM images WHERE id = ?")) {
            try (PreparedStatement p = conn.prepareStatement(sql)) {
                for (long id : orphans) {
                    p.setLong(1, id);
                    p.addBatch();
                }
                p.executeBatch();
            }
        }
        return orphans.size();
    }

    private void fill(String table, Map<String, Long> ids) throws SQLException {
        try (Statement s = conn.createStatement()) {
            s.execute("CREATE TEMP TABLE IF NOT EXISTS " + table
                    + "(path TEXT NOT NULL, image_id INTEGER NOT NULL, PRIMARY KEY (path, image_id)) WITHOUT ROWID");
            s.execute("DELETE FROM temp." + table);
        }
        try (PreparedStatement p = conn.prepareStatement("INSERT OR IGNORE INTO temp." + table + " VALUES (?, ?)")) {
            for (Map.Entry<String, Long> e : ids.entrySet()) {
                if (e.getValue() == null) {
                    continue;
                }
                p.setString(1, e.getKey());
                p.setLong(2, e.getValue());
                p.addBatch();
            }
            p.executeBatch();
        }
    }

    private void exec(String sql, Object... args) throws SQLException {
        try (PreparedStatement p = conn.prepareStatement(sql)) {
            for (int i = 0; i < args.length; i++) {
                p.setObject(i + 1, args[i]);
            }
            p.executeUpdate();
        }
    }
}
