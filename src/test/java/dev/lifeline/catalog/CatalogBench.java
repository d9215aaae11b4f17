package dev.lifeline.catalog;

import dev.lifeline.backup.FileEntry;
import dev.lifeline.backup.Vault;
import dev.lifeline.catalog.meta.ImageMeta;
import dev.lifeline.catalog.meta.MetaOptions;
import dev.lifeline.catalog.meta.MetaReader;
import dev.lifeline.config.BackupSpec;
import dev.lifeline.core.EventListener;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The catalog benchmark's Java half (bench/catalog.sh runs it; not a test).
 *
 * <pre>
 *   index REPO        rebuild REPO's catalog from the vault; images/s and bytes per image
 *   search DIR ROWS   a synthetic catalog of ROWS images in DIR, then free words + two filters,
 *                     FTS5 against LIKE '%word%' over the same rows in the same SQLite
 *   facets DIR [QUERIES]   on search's catalog in DIR: the same queries with facets, the way
 *                     before 2026-12-01 evening (page, then match again for the facets, one
 *                     lookup per hit and facet) and the current one, alternating per query
 *   latency HOME OUTPUTS SAMPLES N   with a daemon of HOME watching OUTPUTS: each of N sample files
 *                     moved in whole, then catalog.find polled every 20 ms until it finds it
 * </pre>
 *
 * <p>Until the real {@code MetaReader} reads these files (the meta work lands separately), {@code
 * index} uses {@link StandIn}, a header-only reader of the generator's three formats written for
 * this benchmark: it says which one it used.
 */
public final class CatalogBench {
    private CatalogBench() {}

    public static void main(String[] args) throws Exception {
        switch (args[0]) {
            case "index" -> index(Path.of(args[1]), args.length > 2 ? args[2] : "auto");
            case "search" ->
                search(Path.of(args[1]), Integer.parseInt(args[2]), args.length > 3 ? Integer.parseInt(args[3]) : 200);
            case "facets" -> facets(Path.of(args[1]), args.length > 2 ? Integer.parseInt(args[2]) : 200);
            case "latency" -> latency(Path.of(args[1]), Path.of(args[2]), Path.of(args[3]), Integer.parseInt(args[4]));
            default -> throw new IllegalArgumentException(args[0]);
        }
    }

    /** @param which auto (MetaReader when it reads these files, else the stand-in), standin, or const (no parsing: the index's own cost) */
    static void index(Path repo, String which) throws Exception {
        Vault v = Vault.open(BackupSpec.of(repo, List.of()), EventListener.NONE);
        List<FileEntry> files = v.ls("latest", "");
        Path first = repo.resolve("objects")
                .resolve(files.get(0).sha256().substring(0, 2))
                .resolve(files.get(0).sha256());
        boolean real = which.equals("auto")
                && MetaReader.read(first, MetaOptions.DEFAULT).isPresent();
        ImageMeta fixed = synthetic(new Random(1), 0);
        Function<Path, Optional<ImageMeta>> reader = real
                ? f -> MetaReader.read(f, MetaOptions.DEFAULT)
                : which.equals("const") ? f -> Optional.of(fixed) : new StandIn();
        Files.deleteIfExists(repo.resolve(Catalog.FILE));
        long withMeta;
        SyncResult r;
        try (Catalog c = Catalog.open(repo, reader)) {
            r = c.rebuild(v, false);
            withMeta = c.status().withMetadata();
        }
        try (Catalog c = Catalog.open(repo, reader)) {
            c.connection().createStatement().execute("PRAGMA wal_checkpoint(TRUNCATE)");
        }
        long bytes = Files.size(repo.resolve(Catalog.FILE));
        double secs = r.took().toNanos() / 1e9;
        System.out.printf(
                "{\"case\":\"index\",\"reader\":\"%s\",\"images\":%d,\"with_metadata\":%d,\"seconds\":%.3f,"
                        + "\"images_per_s\":%.0f,\"index_bytes\":%d,\"bytes_per_image\":%.0f}%n",
                real
                        ? "MetaReader"
                        : which.equals("const") ? "none (a fixed value: the index's own cost)" : "bench stand-in",
                r.imagesAdded(),
                withMeta,
                secs,
                r.imagesAdded() / secs,
                bytes,
                bytes / (double) Math.max(1, r.imagesAdded()));
    }

    static void latency(Path home, Path outputs, Path samples, int n) throws Exception {
        var client = dev.lifeline.daemon.DaemonClient.of(
                dev.lifeline.core.Home.fromEnvironment(java.util.Map.of("LIFELINE_HOME", home.toString())));
        List<Path> files;
        try (var s = Files.walk(samples)) {
            files = s.filter(Files::isRegularFile).sorted().limit(n).toList();
        }
        long[] t = new long[files.size()];
        for (int i = 0; i < files.size(); i++) {
            String name = "lat-" + i + "-" + files.get(i).getFileName();
            Path part = outputs.resolve("." + name + ".part");
            Files.copy(files.get(i), part);
            long t0 = System.nanoTime();
            Files.move(part, outputs.resolve(name), java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            long[] at = new long[1];
            org.awaitility.Awaitility.await(name + " searchable")
                    .atMost(java.time.Duration.ofSeconds(10))
                    .pollDelay(java.time.Duration.ZERO)
                    .pollInterval(java.time.Duration.ofMillis(20))
                    .until(() -> {
                        at[0] = System.nanoTime();
                        return !client.call("catalog.find", java.util.Map.of("query", "path: " + name, "limit", 1))
                                .path("hits")
                                .isEmpty();
                    });
            t[i] = at[0] - t0;
            // the next file once this one's batch window (200 ms) has passed, so each is measured alone
            org.awaitility.Awaitility.await()
                    .pollDelay(java.time.Duration.ofMillis(200))
                    .atMost(java.time.Duration.ofSeconds(1))
                    .until(() -> true);
        }
        System.out.printf(
                "{\"case\":\"stored-to-searchable\",\"files\":%d,\"p50_ms\":%.0f,\"p95_ms\":%.0f,\"max_ms\":%.0f}%n",
                t.length, pct(t, 50), pct(t, 95), pct(t, 100));
    }

    // ------------------------------------------------------------------ search at scale

    static final String[] VOCAB = vocab();

    static String[] vocab() {
        Random r = new Random(42);
        String[] v = new String[20_000];
        String letters = "abcdefghijklmnopqrstuvwxyz";
        for (int i = 0; i < v.length; i++) {
            StringBuilder sb = new StringBuilder();
            int len = 3 + r.nextInt(7);
            for (int j = 0; j < len; j++) {
                sb.append(letters.charAt(r.nextInt(26)));
            }
            v[i] = sb.toString();
        }
        return v;
    }

    /** Zipf-like: word k with weight 1/(k+10), as prompt words are (a few very common, a long tail). */
    static String word(Random r) {
        double u = r.nextDouble();
        int k = (int) (Math.pow(VOCAB.length + 10.0, u) * Math.pow(10, 1 - u)) - 10;
        return VOCAB[Math.max(0, Math.min(VOCAB.length - 1, k))];
    }

    static final String[] SAMPLERS = {"Euler a", "Euler", "DPM++ 2M", "DPM++ 2M SDE", "DDIM", "UniPC", "Heun", "LMS"};

    static void search(Path dir, int rows, int queries) throws Exception {
        Files.createDirectories(dir);
        Path db = dir.resolve(Catalog.FILE);
        Random r = new Random(7);
        if (!Files.exists(db)) {
            long t0 = System.nanoTime();
            try (Catalog c = Catalog.open(dir, f -> Optional.empty())) {
                for (int done = 0; done < rows; ) {
                    int n = Math.min(20_000, rows - done);
                    int base = done;
                    c.write(() -> {
                        for (int i = 0; i < n; i++) {
                            int k = base + i;
                            ImageMeta m = synthetic(r, k);
                            long id = c.rows()
                                    .ensureImage(
                                            String.format("%064x", k), Optional.of(m), 1_700_000_000_000L + k * 1000L);
                            c.rows().live(id, "outputs/" + (k / 1000) + "/" + k + ".png");
                        }
                        return null;
                    });
                    done += n;
                }
                c.connection().createStatement().execute("PRAGMA wal_checkpoint(TRUNCATE)");
            }
            System.err.printf("built %d rows in %.1f s%n", rows, (System.nanoTime() - t0) / 1e9);
        }
        long bytes = Files.size(db);
        try (Catalog c = Catalog.openReadOnly(dir)) { // as find and catalog.find do
            long[] fts = new long[queries];
            long[] ftsFacets = new long[queries];
            long[] like = new long[queries];
            long ftsHits = 0;
            long likeHits = 0;
            Random q = new Random(11);
            // warm the page cache for both methods alike
            run(c, "zzz", 0, 100, "Euler", 50, false);
            likeQuery(c, "zzz", "zzz", 0, 100, "Euler");
            for (int i = 0; i < queries; i++) {
                String a = word(q);
                String b = word(q);
                int lo = 10 + q.nextInt(20);
                int hi = lo + 10;
                String sampler = SAMPLERS[q.nextInt(SAMPLERS.length)];
                long t = System.nanoTime();
                ftsHits += run(c, a + " " + b, lo, hi, sampler, 50, false);
                fts[i] = System.nanoTime() - t;
                t = System.nanoTime();
                run(c, a + " " + b, lo, hi, sampler, 50, true);
                ftsFacets[i] = System.nanoTime() - t;
                t = System.nanoTime();
                likeHits += likeQuery(c, a, b, lo, hi, sampler);
                like[i] = System.nanoTime() - t;
            }
            System.out.printf(
                    "{\"case\":\"search\",\"rows\":%d,\"queries\":%d,\"index_bytes\":%d,\"bytes_per_row\":%.0f,"
                            + "\"fts_p50_ms\":%.2f,\"fts_p95_ms\":%.2f,\"fts_facets_p50_ms\":%.2f,\"fts_facets_p95_ms\":%.2f,"
                            + "\"like_p50_ms\":%.2f,\"like_p95_ms\":%.2f,\"fts_hits\":%d,\"like_hits\":%d}%n",
                    rows,
                    queries,
                    bytes,
                    bytes / (double) rows,
                    pct(fts, 50),
                    pct(fts, 95),
                    pct(ftsFacets, 50),
                    pct(ftsFacets, 95),
                    pct(like, 50),
                    pct(like, 95),
                    ftsHits,
                    likeHits);
        }
    }

    /**
     * Facets the previous way and the current way on the same catalog, in the same JVM, the order
     * of the three (no facets, previous, current) rotating per query so that neither gets the
     * warmer cache or the quieter moment.
     */
    static void facets(Path dir, int queries) throws Exception {
        try (Catalog c = Catalog.openReadOnly(dir)) {
            long[][] t = new long[3][queries];
            long[] hits = new long[3];
            Random q = new Random(11); // the search case's queries
            run(c, "zzz", 0, 100, "Euler", 50, true);
            previousFacets(c, Query.parse("zzz"), 50);
            for (int i = 0; i < queries; i++) {
                String a = word(q);
                String b = word(q);
                int lo = 10 + q.nextInt(20);
                int hi = lo + 10;
                String sampler = SAMPLERS[q.nextInt(SAMPLERS.length)];
                Query query = Query.parse(a + " " + b + " steps: " + lo + "-" + hi + " sampler: \"" + sampler + "\"");
                for (int k = 0; k < 3; k++) {
                    int which = (i + k) % 3;
                    long t0 = System.nanoTime();
                    hits[which] += switch (which) {
                        case 0 -> c.search(query, 50, false, false).hits().size();
                        case 1 -> previousFacets(c, query, 50);
                        default -> c.search(query, 50, true, false).hits().size();
                    };
                    t[which][i] = System.nanoTime() - t0;
                }
            }
            System.out.printf(
                    "{\"case\":\"facets\",\"queries\":%d,\"fts_p50_ms\":%.2f,\"fts_p95_ms\":%.2f,"
                            + "\"previous_facets_p50_ms\":%.2f,\"previous_facets_p95_ms\":%.2f,"
                            + "\"facets_p50_ms\":%.2f,\"facets_p95_ms\":%.2f,\"hits\":[%d,%d,%d]}%n",
                    queries,
                    pct(t[0], 50),
                    pct(t[0], 95),
                    pct(t[1], 50),
                    pct(t[1], 95),
                    pct(t[2], 50),
                    pct(t[2], 95),
                    hits[0],
                    hits[1],
                    hits[2]);
        }
    }

    /** Search with facets as it was up to 7fb43b7^ (the SQL copied): the page, then the facets apart. */
    static int previousFacets(Catalog c, Query q, int limit) throws SQLException {
        int n = c.search(q, limit, false, false).hits().size();
        java.sql.Connection conn = c.connection();
        List<Object> args = new ArrayList<>();
        String from = " FROM fts CROSS JOIN images i ON i.id = fts.rowid WHERE fts MATCH ? AND EXISTS (SELECT 1 FROM"
                + " paths p0 WHERE p0.image_id = i.id)";
        args.add(q.match());
        for (Query.Condition cond : q.conditions()) {
            from += " AND " + cond.sql();
            args.addAll(cond.args());
        }
        try (java.sql.Statement s = conn.createStatement()) {
            s.execute("CREATE TEMP TABLE IF NOT EXISTS hits(id INTEGER PRIMARY KEY)");
            s.execute("DELETE FROM temp.hits");
        }
        try (PreparedStatement p = conn.prepareStatement("INSERT INTO temp.hits SELECT i.id" + from)) {
            for (int i = 0; i < args.size(); i++) {
                p.setObject(i + 1, args.get(i));
            }
            p.executeUpdate();
        }
        for (String sql : List.of(
                "SELECT i.model, count(*) FROM temp.hits h CROSS JOIN images i ON i.id = h.id WHERE"
                        + " i.model IS NOT NULL GROUP BY i.model ORDER BY 2 DESC, 1 LIMIT 20",
                "SELECT l.name, count(DISTINCT l.image_id) FROM temp.hits h CROSS JOIN loras l ON l.image_id"
                        + " = h.id GROUP BY l.name ORDER BY 2 DESC, 1 LIMIT 20",
                "SELECT i.sampler, count(*) FROM temp.hits h CROSS JOIN images i ON i.id = h.id WHERE"
                        + " i.sampler IS NOT NULL GROUP BY i.sampler ORDER BY 2 DESC, 1 LIMIT 20",
                "SELECT i.tool, count(*) FROM temp.hits h CROSS JOIN images i ON i.id = h.id WHERE"
                        + " i.tool IS NOT NULL GROUP BY i.tool ORDER BY 2 DESC, 1 LIMIT 20",
                "SELECT date(i.first_seen / 1000, 'unixepoch', 'localtime') d, count(*) FROM temp.hits h CROSS"
                        + " JOIN images i ON i.id = h.id GROUP BY d ORDER BY d DESC LIMIT 31")) {
            try (java.sql.Statement s = conn.createStatement();
                    ResultSet r = s.executeQuery(sql)) {
                while (r.next()) {
                    r.getString(1);
                    r.getLong(2);
                }
            }
        }
        return n;
    }

    static ImageMeta synthetic(Random r, int k) {
        StringBuilder p = new StringBuilder();
        int n = 15 + r.nextInt(25);
        for (int i = 0; i < n; i++) {
            p.append(i == 0 ? "" : (r.nextInt(3) == 0 ? ", " : " ")).append(word(r));
        }
        StringBuilder neg = new StringBuilder();
        for (int i = 0; i < 8; i++) {
            neg.append(i == 0 ? "" : ", ").append(word(r));
        }
        int steps = 8 + r.nextInt(43);
        String sampler = SAMPLERS[r.nextInt(SAMPLERS.length)];
        double cfg = 3 + r.nextInt(10) * 0.5;
        long seed = r.nextLong() >>> 14;
        String model = "model_" + r.nextInt(40);
        List<ImageMeta.Lora> loras = new ArrayList<>();
        for (int i = r.nextInt(3); i > 0; i--) {
            loras.add(new ImageMeta.Lora("lora_" + r.nextInt(200), 0.8));
        }
        String raw = p + "\nNegative prompt: " + neg + "\nSteps: " + steps + ", Sampler: " + sampler + ", CFG scale: "
                + cfg + ", Seed: " + seed + ", Size: 1024x1024, Model: " + model;
        return new ImageMeta(
                "a1111",
                p.toString(),
                neg.toString(),
                seed,
                steps,
                cfg,
                sampler,
                "karras",
                model,
                Long.toHexString(r.nextLong()),
                loras,
                1024,
                1024,
                raw);
    }

    static int run(Catalog c, String words, int lo, int hi, String sampler, int limit, boolean facets) {
        Query q = Query.parse(words + " steps: " + lo + "-" + hi + " sampler: \"" + sampler + "\"");
        return c.search(q, limit, facets, false).hits().size();
    }

    /** The anchors' method: LIKE '%word%' over the prompt text, same filters, newest first. */
    static int likeQuery(Catalog c, String a, String b, int lo, int hi, String sampler) throws SQLException {
        try (PreparedStatement p = c.connection()
                .prepareStatement("SELECT id, sha256, prompt, seed, model FROM images"
                        + " WHERE prompt LIKE ? AND prompt LIKE ? AND steps BETWEEN ? AND ? AND sampler = ?"
                        + " ORDER BY first_seen DESC LIMIT 50")) {
            p.setString(1, "%" + a + "%");
            p.setString(2, "%" + b + "%");
            p.setInt(3, lo);
            p.setInt(4, hi);
            p.setString(5, sampler);
            int n = 0;
            try (ResultSet rs = p.executeQuery()) {
                while (rs.next()) {
                    n++;
                }
            }
            return n;
        }
    }

    static double pct(long[] nanos, int p) {
        long[] s = nanos.clone();
        Arrays.sort(s);
        return s[Math.min(s.length - 1, (int) Math.ceil(p / 100.0 * s.length) - 1)] / 1e6;
    }

    // ------------------------------------------------------------------ the stand-in reader

    /**
     * Reads the generator's files only: PNG tEXt {@code parameters} (A1111 infotext) or {@code
     * prompt} (a ComfyUI API graph, the first KSampler's inputs and text encoders), JPEG EXIF
     * UserComment ({@code UNICODE\0} + UTF-16BE). Header chunks only, as the real reader does.
     * For the benchmark's speed figure until {@code MetaReader} lands; never for real files.
     */
    static final class StandIn implements Function<Path, Optional<ImageMeta>> {
        static final Pattern PAIR = Pattern.compile("\\s*([A-Za-z][A-Za-z ]*):\\s*(\"[^\"]*\"|[^,]*)(?:,|$)");
        static final com.fasterxml.jackson.databind.ObjectMapper JSON =
                new com.fasterxml.jackson.databind.ObjectMapper();

        @Override
        public Optional<ImageMeta> apply(Path f) {
            try (InputStream in = Files.newInputStream(f)) {
                byte[] head = in.readNBytes(8);
                if (head.length == 8 && head[0] == (byte) 0x89 && head[1] == 'P') {
                    return png(in);
                }
                if (head.length >= 2 && head[0] == (byte) 0xff && head[1] == (byte) 0xd8) {
                    byte[] rest = in.readNBytes(64 * 1024);
                    byte[] all = new byte[8 + rest.length];
                    System.arraycopy(head, 0, all, 0, 8);
                    System.arraycopy(rest, 0, all, 8, rest.length);
                    return jpeg(all);
                }
                return Optional.empty();
            } catch (IOException | RuntimeException e) {
                return Optional.empty();
            }
        }

        private Optional<ImageMeta> png(InputStream in) throws IOException {
            while (true) {
                byte[] h = in.readNBytes(8);
                if (h.length < 8) {
                    return Optional.empty();
                }
                int len = ((h[0] & 0xff) << 24) | ((h[1] & 0xff) << 16) | ((h[2] & 0xff) << 8) | (h[3] & 0xff);
                String type = new String(h, 4, 4, StandardCharsets.ISO_8859_1);
                if (type.equals("IDAT") || type.equals("IEND") || len < 0 || len > (8 << 20)) {
                    return Optional.empty();
                }
                byte[] data = in.readNBytes(len);
                in.skipNBytes(4);
                if (type.equals("tEXt")) {
                    int z = 0;
                    while (z < data.length && data[z] != 0) {
                        z++;
                    }
                    String key = new String(data, 0, z, StandardCharsets.ISO_8859_1);
                    String value = new String(data, z + 1, data.length - z - 1, StandardCharsets.ISO_8859_1);
                    if (key.equals("parameters")) {
                        return Optional.of(infotext(value));
                    }
                    if (key.equals("prompt")) {
                        return Optional.of(comfy(value));
                    }
                }
            }
        }

        private Optional<ImageMeta> jpeg(byte[] b) {
            byte[] marker = "UNICODE\0".getBytes(StandardCharsets.ISO_8859_1);
            outer:
            for (int i = 0; i + marker.length < b.length; i++) {
                for (int j = 0; j < marker.length; j++) {
                    if (b[i + j] != marker[j]) {
                        continue outer;
                    }
                }
                int start = i + marker.length;
                int end = start;
                while (end + 1 < b.length && !(b[end] == (byte) 0xff && b[end + 1] == (byte) 0xfe)) {
                    end += 2;
                }
                return Optional.of(infotext(new String(b, start, end - start, StandardCharsets.UTF_16BE)));
            }
            return Optional.empty();
        }

        static ImageMeta infotext(String text) {
            int nl = text.lastIndexOf('\n');
            String params = text.substring(nl + 1);
            String head = nl < 0 ? "" : text.substring(0, nl);
            int neg = head.indexOf("\nNegative prompt:");
            String prompt = neg < 0 ? head : head.substring(0, neg);
            String negative = neg < 0 ? null : head.substring(neg + 17).trim();
            java.util.Map<String, String> kv = new java.util.HashMap<>();
            Matcher m = PAIR.matcher(params);
            while (m.find()) {
                kv.put(m.group(1).trim(), m.group(2).trim());
            }
            List<ImageMeta.Lora> loras = new ArrayList<>();
            String lh = kv.get("Lora hashes");
            if (lh != null) {
                for (String part : lh.replace("\"", "").split(",")) {
                    int c = part.indexOf(':');
                    if (c > 0) {
                        loras.add(new ImageMeta.Lora(part.substring(0, c).trim(), null));
                    }
                }
            }
            String size = kv.getOrDefault("Size", "");
            int x = size.indexOf('x');
            return new ImageMeta(
                    "a1111",
                    prompt,
                    negative,
                    kv.containsKey("Seed") ? Long.parseLong(kv.get("Seed")) : null,
                    kv.containsKey("Steps") ? Integer.parseInt(kv.get("Steps")) : null,
                    kv.containsKey("CFG scale") ? Double.parseDouble(kv.get("CFG scale")) : null,
                    kv.get("Sampler"),
                    kv.get("Schedule type"),
                    kv.get("Model"),
                    kv.get("Model hash"),
                    loras,
                    x > 0 ? Integer.parseInt(size.substring(0, x)) : null,
                    x > 0 ? Integer.parseInt(size.substring(x + 1)) : null,
                    text);
        }

        static ImageMeta comfy(String json) throws IOException {
            var g = JSON.readTree(json);
            String model = null;
            String prompt = null;
            String negative = null;
            List<ImageMeta.Lora> loras = new ArrayList<>();
            var ks = (com.fasterxml.jackson.databind.JsonNode) null;
            for (var e : g.properties()) {
                String type = e.getValue().path("class_type").asText();
                var in = e.getValue().path("inputs");
                switch (type) {
                    case "CheckpointLoaderSimple" ->
                        model = in.path("ckpt_name").asText();
                    case "LoraLoader" ->
                        loras.add(new ImageMeta.Lora(
                                in.path("lora_name").asText(),
                                in.path("strength_model").asDouble()));
                    case "KSampler" -> ks = in;
                    default -> {}
                }
            }
            if (ks != null) {
                prompt = g.path(ks.path("positive").path(0).asText())
                        .path("inputs")
                        .path("text")
                        .asText(null);
                negative = g.path(ks.path("negative").path(0).asText())
                        .path("inputs")
                        .path("text")
                        .asText(null);
            }
            return new ImageMeta(
                    "comfyui",
                    prompt,
                    negative,
                    ks == null ? null : ks.path("seed").asLong(),
                    ks == null ? null : ks.path("steps").asInt(),
                    ks == null ? null : ks.path("cfg").asDouble(),
                    ks == null ? null : ks.path("sampler_name").asText(),
                    ks == null ? null : ks.path("scheduler").asText(),
                    model,
                    null,
                    loras,
                    1024,
                    1024,
                    json);
        }
    }
}
