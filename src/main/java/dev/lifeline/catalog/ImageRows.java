package dev.lifeline.catalog;

import dev.lifeline.catalog.meta.ImageMeta;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Optional;

/**
 * The rows one image is written as, inside a transaction the caller holds: its {@code images}
 * row (looked up by SHA-256, so a content is one row however many paths hold it), its raw
 * metadata, its LoRAs and its FTS entry; and which path holds it in {@code latest} ({@link
 * #live}). Spans over snapshots are {@link Sync}'s.
 */
final class ImageRows {
    private final Connection conn;

    ImageRows(Connection conn) {
        this.conn = conn;
    }

    Long imageId(String sha256) throws SQLException {
        try (PreparedStatement p = conn.prepareStatement("SELECT id FROM images WHERE sha256 = ?")) {
            p.setString(1, sha256);
            try (ResultSet r = p.executeQuery()) {
                return r.next() ? r.getLong(1) : null;
            }
        }
    }

    /** Image {@code id} was seen at {@code at}: its {@code first_seen} keeps the earliest. */
    void seen(long id, long at) throws SQLException {
        try (PreparedStatement p =
                conn.prepareStatement("UPDATE images SET first_seen = ? WHERE id = ? AND first_seen > ?")) {
            p.setLong(1, at);
            p.setLong(2, id);
            p.setLong(3, at);
            p.executeUpdate();
        }
    }

    /** The image row of this content (made with {@code meta} when new); {@code firstSeen} keeps the earliest. */
    long ensureImage(String sha256, Optional<ImageMeta> meta, long firstSeen) throws SQLException {
        Long id = imageId(sha256);
        if (id != null) {
            seen(id, firstSeen);
            return id;
        }
        ImageMeta m = meta.orElse(null);
        try (PreparedStatement p = conn.prepareStatement("INSERT INTO images(sha256, tool, prompt, negative, seed,"
                + " steps, cfg, sampler, scheduler, model, model_hash, width, height, first_seen)"
                + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
            p.setString(1, sha256);
            p.setObject(2, m == null ? null : m.tool());
            p.setObject(3, m == null ? null : m.prompt());
            p.setObject(4, m == null ? null : m.negative());
            p.setObject(5, m == null ? null : m.seed());
            p.setObject(6, m == null ? null : m.steps());
            p.setObject(7, m == null ? null : m.cfg());
            p.setObject(8, m == null ? null : m.sampler());
            p.setObject(9, m == null ? null : m.scheduler());
            p.setObject(10, m == null ? null : m.model());
            p.setObject(11, m == null ? null : m.modelHash());
            p.setObject(12, m == null ? null : m.width());
            p.setObject(13, m == null ? null : m.height());
            p.setLong(14, firstSeen);
            p.executeUpdate();
        }
        long newId = imageId(sha256);
        if (m != null && m.raw() != null) {
            try (PreparedStatement p = conn.prepareStatement("INSERT INTO raw(id, text) VALUES (?, ?)")) {
                p.setLong(1, newId);
                p.setString(2, m.raw());
                p.executeUpdate();
            }
        }
        if (m != null) {
            StringBuilder names = new StringBuilder();
            try (PreparedStatement p =
                    conn.prepareStatement("INSERT INTO loras(image_id, name, weight) VALUES (?, ?, ?)")) {
                for (ImageMeta.Lora l : m.loras()) {
                    if (l.name() == null) {
                        continue;
                    }
                    p.setLong(1, newId);
                    p.setString(2, l.name());
                    p.setObject(3, l.weight());
                    p.addBatch();
                    names.append(l.name()).append(' ');
                }
                p.executeBatch();
            }
            try (PreparedStatement p = conn.prepareStatement(
                    "INSERT INTO fts(rowid, prompt, negative, model, loras) VALUES (?, ?, ?, ?, ?)")) {
                p.setLong(1, newId);
                p.setString(2, m.prompt());
                p.setString(3, m.negative());
                p.setString(4, m.model());
                p.setString(5, names.toString().trim());
                p.executeUpdate();
            }
        }
        return newId;
    }

    /**
     * {@code path} holds image {@code id} in {@code latest} now: what it held before is no longer
     * live there; the span that ends at the newest snapshot (or the journal's own) becomes live,
     * or a journal-only span is added.
     */
    void live(long id, String path) throws SQLException {
        long newest = newestSeq();
        try (PreparedStatement p =
                conn.prepareStatement("UPDATE paths SET live = 0 WHERE path = ? AND live = 1 AND image_id <> ?")) {
            p.setString(1, path);
            p.setLong(2, id);
            p.executeUpdate();
        }
        int n;
        try (PreparedStatement p = conn.prepareStatement("UPDATE paths SET live = 1 WHERE path = ? AND image_id = ?"
                + " AND (first_seq IS NULL OR last_seq = ?)")) {
            p.setString(1, path);
            p.setLong(2, id);
            p.setLong(3, newest);
            n = p.executeUpdate();
        }
        if (n == 0) {
            try (PreparedStatement p = conn.prepareStatement(
                    "INSERT INTO paths(image_id, path, first_seq, last_seq, live) VALUES (?, ?," + " NULL, NULL, 1)")) {
                p.setLong(1, id);
                p.setString(2, path);
                p.executeUpdate();
            }
        }
    }

    /** The newest snapshot indexed (its {@code seq}), 0 when none is. */
    long newestSeq() throws SQLException {
        try (Statement s = conn.createStatement();
                ResultSet r = s.executeQuery("SELECT coalesce(max(seq), 0) FROM snapshots")) {
            r.next();
            return r.getLong(1);
        }
    }
}
