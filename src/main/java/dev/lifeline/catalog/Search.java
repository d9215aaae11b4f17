package dev.lifeline.catalog;

import dev.lifeline.catalog.meta.ImageMeta;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Runs a {@link Query}: FTS5 first when there are words (BM25, the prompt weighing most), the
 * filters on the rows it gives, every value a bound parameter. Hits are images (one per content)
 * with their spans; facets count over all hits, not only the ones returned.
 */
final class Search {
    static final int MAX_LIMIT = 10_000;
    static final int FACET_TOP = 20;
    /** Column weights for bm25(): prompt, negative, model, loras. */
    static final String RANK = "bm25(fts, 10.0, 1.0, 3.0, 3.0)";

    private final Connection conn;
    private final Set<String> existing;

    /** @param existing the snapshot ids the repository has now, or null to trust the index's own list */
    Search(Connection conn, Set<String> existing) {
        this.conn = conn;
        this.existing = existing;
    }

    Search(Connection conn) {
        this(conn, null);
    }

    SearchResult run(Query q, int limit, boolean facets, boolean withRaw) throws SQLException {
        return run(q, limit, 0, facets, withRaw);
    }

    /**
     * The hits from {@code offset} on (0: the best), at most {@code limit}; with {@code facets},
     * the total and the facets over every hit.
     *
     * <p>With facets, the matching runs once: each hit's id, rank and facet columns go to a temp
     * table as the filters read its row, and the page and every facet are read from that table
     * (rather than matching again and looking each hit's row up once per facet).
     */
    SearchResult run(Query q, int limit, int offset, boolean facets, boolean withRaw) throws SQLException {
        int lim = Math.max(1, Math.min(MAX_LIMIT, limit));
        int off = Math.max(0, offset);
        List<Object> args = new ArrayList<>();
        String from = from(q, args);
        String cols = "i.id, i.sha256, i.tool, i.prompt, i.negative, i.seed, i.steps, i.cfg, i.sampler, i.scheduler,"
                + " i.model, i.model_hash, i.width, i.height, "
                + (withRaw ? "(SELECT r.text FROM raw r WHERE r.id = i.id)" : "NULL") + ", i.first_seen";
        long total = -1;
        Map<String, Map<String, Long>> fs = new LinkedHashMap<>();
        if (facets) {
            try (Statement s = conn.createStatement()) {
                s.execute("CREATE TEMP TABLE IF NOT EXISTS matched(id INTEGER PRIMARY KEY, rank REAL, model TEXT,"
                        + " sampler TEXT, tool TEXT, first_seen INTEGER)");
                s.execute("DELETE FROM temp.matched");
            }
            try (PreparedStatement p = conn.prepareStatement("INSERT INTO temp.matched SELECT i.id, "
                    + (q.match() != null ? RANK : "NULL") + ", i.model, i.sampler, i.tool, i.first_seen" + from)) {
                bind(p, args);
                total = p.executeUpdate();
            }
            fs.put("model", facet("model"));
            fs.put(
                    "lora",
                    counts("SELECT l.name, count(DISTINCT l.image_id) FROM temp.matched h CROSS JOIN loras l ON"
                            + " l.image_id = h.id GROUP BY l.name ORDER BY 2 DESC, 1 LIMIT " + FACET_TOP));
            fs.put("sampler", facet("sampler"));
            fs.put("tool", facet("tool"));
            fs.put(
                    "day",
                    counts("SELECT date(first_seen / 1000, 'unixepoch', 'localtime') d, count(*) FROM temp.matched"
                            + " GROUP BY d ORDER BY d DESC LIMIT 31"));
        }
        List<Hit> hits = new ArrayList<>();
        String sql;
        List<Object> pageArgs;
        if (facets && q.match() != null) {
            // the ranked page from what matched: no second MATCH, and only the page's rows are looked up
            sql = "SELECT " + cols + " FROM (SELECT id, rank, first_seen FROM temp.matched ORDER BY rank, first_seen"
                    + " DESC LIMIT ? OFFSET ?) m CROSS JOIN images i ON i.id = m.id ORDER BY m.rank, m.first_seen DESC";
            pageArgs = List.of(lim, off);
        } else {
            // newest first follows the first_seen index and stops at the page: cheaper than sorting what matched
            String order = q.match() != null
                    ? " ORDER BY " + RANK + ", i.first_seen DESC"
                    : " ORDER BY i.first_seen DESC, i.id DESC";
            sql = "SELECT " + cols + from + order + " LIMIT ? OFFSET ?";
            pageArgs = new ArrayList<>(args);
            pageArgs.add(lim);
            pageArgs.add(off);
        }
        try (PreparedStatement p = conn.prepareStatement(sql)) {
            bind(p, pageArgs);
            try (ResultSet r = p.executeQuery()) {
                while (r.next()) {
                    Hit h = hit(r);
                    if (h != null) {
                        hits.add(h);
                    }
                }
            }
        }
        return new SearchResult(hits, total, fs);
    }

    /** FROM and WHERE, the FTS table driving when there are words. */
    private static String from(Query q, List<Object> args) {
        StringBuilder sql = new StringBuilder();
        List<String> where = new ArrayList<>();
        if (q.match() != null) {
            sql.append(" FROM fts CROSS JOIN images i ON i.id = fts.rowid"); // CROSS: the FTS table drives, always
            where.add("fts MATCH ?");
            args.add(q.match());
        } else {
            sql.append(" FROM images i");
        }
        where.add("EXISTS (SELECT 1 FROM paths p0 WHERE p0.image_id = i.id)");
        for (Query.Condition c : q.conditions()) {
            where.add(c.sql());
            args.addAll(c.args());
        }
        return sql.append(" WHERE ").append(String.join(" AND ", where)).toString();
    }

    private static int bind(PreparedStatement p, List<Object> args) throws SQLException {
        int i = 1;
        for (Object a : args) {
            p.setObject(i++, a);
        }
        return i;
    }

    /** The {@value #FACET_TOP} commonest values of {@code column} among the matched, most first. */
    private Map<String, Long> facet(String column) throws SQLException {
        return counts("SELECT " + column + ", count(*) FROM temp.matched WHERE " + column + " IS NOT NULL GROUP BY "
                + column + " ORDER BY 2 DESC, 1 LIMIT " + FACET_TOP);
    }

    private Map<String, Long> counts(String sql) throws SQLException {
        Map<String, Long> out = new LinkedHashMap<>();
        try (Statement s = conn.createStatement();
                ResultSet r = s.executeQuery(sql)) {
            while (r.next()) {
                out.put(String.valueOf(r.getString(1)), r.getLong(2));
            }
        }
        return out;
    }

    /** The hit of the current row; null when no snapshot still has it and it is not live (pruned, not synced yet). */
    private Hit hit(ResultSet r) throws SQLException {
        long id = r.getLong(1);
        List<ImageMeta.Lora> loras = new ArrayList<>();
        try (PreparedStatement p =
                conn.prepareStatement("SELECT name, weight FROM loras WHERE image_id = ? ORDER BY rowid")) {
            p.setLong(1, id);
            try (ResultSet l = p.executeQuery()) {
                while (l.next()) {
                    double w = l.getDouble(2);
                    loras.add(new ImageMeta.Lora(l.getString(1), l.wasNull() ? null : w));
                }
            }
        }
        ImageMeta meta = new ImageMeta(
                r.getString(3),
                r.getString(4),
                r.getString(5),
                nullableLong(r, 6),
                nullableInt(r, 7),
                nullableDouble(r, 8),
                r.getString(9),
                r.getString(10),
                r.getString(11),
                r.getString(12),
                loras,
                nullableInt(r, 13),
                nullableInt(r, 14),
                r.getString(15));
        List<Hit.Span> spans = new ArrayList<>();
        List<String> snapshots = new ArrayList<>();
        boolean pending = false;
        String livePath = null;
        String lastPath = null;
        long lastSeq = Long.MIN_VALUE;
        try (PreparedStatement p = conn.prepareStatement("SELECT p.path, p.live, p.first_seq, p.last_seq,"
                + " (SELECT s.id FROM snapshots s WHERE s.seq BETWEEN p.first_seq AND p.last_seq ORDER BY s.seq LIMIT 1),"
                + " (SELECT s.id FROM snapshots s WHERE s.seq BETWEEN p.first_seq AND p.last_seq ORDER BY s.seq DESC"
                + " LIMIT 1) FROM paths p WHERE p.image_id = ? ORDER BY p.path, p.first_seq")) {
            p.setLong(1, id);
            try (ResultSet s = p.executeQuery()) {
                while (s.next()) {
                    String path = s.getString(1);
                    boolean live = s.getInt(2) == 1;
                    s.getLong(3);
                    boolean journal = s.wasNull();
                    long last = s.getLong(4);
                    String a = s.getString(5);
                    String b = s.getString(6);
                    if (existing != null) {
                        a = existing.contains(a) ? a : null;
                        b = existing.contains(b) ? b : null;
                    }
                    if (!live && (journal || a == null || b == null)) {
                        continue; // in no snapshot that is still there
                    }
                    pending |= journal;
                    spans.add(new Hit.Span(path, journal ? null : a, journal ? null : b, live));
                    if (live && livePath == null) {
                        livePath = path;
                    }
                    if (!journal && last > lastSeq) {
                        lastSeq = last;
                        lastPath = path;
                    }
                    if (journal) {
                        lastPath = lastPath == null ? path : lastPath;
                    }
                }
            }
        }
        if (spans.isEmpty()) {
            return null;
        }
        try (PreparedStatement p = conn.prepareStatement("SELECT s.id FROM snapshots s WHERE EXISTS (SELECT 1 FROM"
                + " paths p WHERE p.image_id = ? AND s.seq BETWEEN p.first_seq AND p.last_seq) ORDER BY s.seq")) {
            p.setLong(1, id);
            try (ResultSet s = p.executeQuery()) {
                while (s.next()) {
                    String sid = s.getString(1);
                    if (existing == null || existing.contains(sid)) {
                        snapshots.add(sid);
                    }
                }
            }
        }
        if (pending) {
            snapshots.add("pending");
        }
        return new Hit(
                r.getString(2),
                livePath != null ? livePath : lastPath,
                livePath == null,
                snapshots,
                spans,
                Instant.ofEpochMilli(r.getLong(16)),
                meta);
    }

    private static Long nullableLong(ResultSet r, int i) throws SQLException {
        long v = r.getLong(i);
        return r.wasNull() ? null : v;
    }

    private static Integer nullableInt(ResultSet r, int i) throws SQLException {
        int v = r.getInt(i);
        return r.wasNull() ? null : v;
    }

    private static Double nullableDouble(ResultSet r, int i) throws SQLException {
        double v = r.getDouble(i);
        return r.wasNull() ? null : v;
    }
}
