package dev.lifeline.catalog;

import dev.lifeline.backup.Vault;
import dev.lifeline.catalog.meta.ImageMeta;
import dev.lifeline.catalog.meta.MetaOptions;
import dev.lifeline.catalog.meta.MetaReader;
import dev.lifeline.core.LifelineException;
import dev.lifeline.core.PrivateFiles;
import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import org.sqlite.SQLiteConfig;

/**
 * The catalog's facade: every stored image, findable by what made it, across every snapshot.
 *
 * <p>The index is {@code <repository>/catalog.db}, a SQLite database that is only a cache: {@link
 * #rebuild} makes it again from the repository (or its S3 mirror) alone. It is keyed by the
 * content's SHA-256: one {@code images} row per content (duplicates collapse), one {@code paths}
 * row per path and run of consecutive snapshots it had that content in (so a moved or renamed
 * image keeps its identity, and a deleted one stays findable in the snapshots that had it), and a
 * contentless FTS5 table over prompt, negative prompt, model and LoRA names, ranked by BM25.
 *
 * <p>One instance is one connection, for one thread at a time. A read-write catalog is the single
 * writer (WAL mode; other processes' readers never wait for it, a second writer waits up to
 * {@link #BUSY_TIMEOUT_MS}); {@link #openReadOnly} never writes. Metadata is read only through
 * the given reader (by default {@link MetaReader#read}), from the object file, never by this
 * package itself.
 *
 * <p>Defaults: WAL, synchronous NORMAL (a crash loses at most the last transactions, which the
 * next sync re-reads from the repository), busy timeout 10 s, file 0600.
 */
public final class Catalog implements AutoCloseable {
    public static final String FILE = "catalog.db";
    static final int SCHEMA = 1;
    static final int BUSY_TIMEOUT_MS = 10_000;

    /** Extensions of the files the catalog indexes (others are backed up, not catalogued). */
    static final java.util.regex.Pattern SHA = java.util.regex.Pattern.compile("[0-9a-f]{64}");

    static final Set<String> IMAGE_EXTENSIONS =
            Set.of("png", "jpg", "jpeg", "webp", "avif", "gif", "bmp", "tif", "tiff", "jxl", "heic");

    private final Path repository;
    private final Path file;
    private final Connection conn;
    private final boolean readOnly;
    private final Function<Path, Optional<ImageMeta>> reader;
    private final Clock clock;

    private Catalog(
            Path repository,
            Connection conn,
            boolean readOnly,
            Function<Path, Optional<ImageMeta>> reader,
            Clock clock) {
        this.repository = repository;
        this.file = repository.resolve(FILE);
        this.conn = conn;
        this.readOnly = readOnly;
        this.reader = reader;
        this.clock = clock;
    }

    /** Opens (creating when needed) the catalog of {@code repository} for writing, with the real metadata reader. */
    public static Catalog open(Path repository, MetaOptions options) {
        return open(repository, f -> MetaReader.read(f, options));
    }

    /** Opens (creating when needed) the catalog of {@code repository} for writing. */
    public static Catalog open(Path repository, Function<Path, Optional<ImageMeta>> reader) {
        Path repo = repository.toAbsolutePath().normalize();
        Path db = repo.resolve(FILE);
        prepareFile(repo, db);
        Connection c = connect(db, false);
        Catalog cat = new Catalog(repo, c, false, reader, Clock.systemDefaultZone());
        try {
            cat.schema();
        } catch (SQLException | RuntimeException e) {
            cat.close();
            throw cat.failure("opening", e);
        }
        return cat;
    }

    /** Opens the catalog of {@code repository} for reading only; it must exist. */
    public static Catalog openReadOnly(Path repository) {
        Path repo = repository.toAbsolutePath().normalize();
        Path db = repo.resolve(FILE);
        if (!Files.isRegularFile(db, LinkOption.NOFOLLOW_LINKS)) {
            throw new LifelineException(
                    "there is no catalog at " + db + " yet",
                    "the daemon builds it while it watches the outputs; or make it now with 'lifeline catalog"
                            + " rebuild'");
        }
        Connection c = connect(db, true);
        Catalog cat = new Catalog(repo, c, true, f -> Optional.empty(), Clock.systemDefaultZone());
        try {
            int v = cat.schemaVersion();
            if (v != SCHEMA) {
                throw new LifelineException(
                        "the catalog at " + db + " has format " + v + ", this Lifeline reads format " + SCHEMA,
                        "make it again with 'lifeline catalog rebuild' (it is only a cache of the repository)");
            }
        } catch (SQLException e) {
            cat.close();
            throw cat.failure("opening", e);
        } catch (RuntimeException e) {
            cat.close();
            throw e;
        }
        return cat;
    }

    public Path file() {
        return file;
    }

    Path repository() {
        return repository;
    }

    Connection connection() {
        return conn;
    }

    Clock clock() {
        return clock;
    }

    // ------------------------------------------------------------------ files and connections

    /**
     * The database file private from its first byte: created empty 0600 (never through a link),
     * or, when it is there, checked to be a regular file of ours and made 0600 again. The
     * repository folder is made (0700) when missing: a fresh machine rebuilding from the mirror.
     */
    private static void prepareFile(Path repo, Path db) {
        try {
            if (!Files.isDirectory(repo, LinkOption.NOFOLLOW_LINKS)) {
                Files.createDirectories(
                        repo, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            }
            try {
                Files.createFile(db, PosixFilePermissions.asFileAttribute(PrivateFiles.OWNER_ONLY));
            } catch (FileAlreadyExistsException e) {
                BasicFileAttributes a = Files.readAttributes(db, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
                if (!a.isRegularFile()) {
                    throw new LifelineException(
                            db + " is not a regular file (a link or a folder); the catalog does not follow it",
                            "remove it; the catalog is rebuilt from the repository");
                }
                Files.setPosixFilePermissions(db, PrivateFiles.OWNER_ONLY);
            }
            for (String side : List.of("-wal", "-shm")) {
                Path p = db.resolveSibling(FILE + side);
                if (Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
                    if (Files.isSymbolicLink(p)) {
                        throw new LifelineException(
                                p + " is a link; the catalog does not follow it",
                                "remove it, then run the command again");
                    }
                    Files.setPosixFilePermissions(p, PrivateFiles.OWNER_ONLY);
                }
            }
        } catch (IOException e) {
            throw new LifelineException(
                    "cannot create the catalog " + db + ": " + e.getMessage(),
                    "check that " + repo + " is a folder of yours and writable");
        }
    }

    private static Connection connect(Path db, boolean readOnly) {
        NativeLibrary.prepare();
        SQLiteConfig c = new SQLiteConfig();
        c.setBusyTimeout(BUSY_TIMEOUT_MS);
        if (readOnly) {
            c.setReadOnly(true);
        } else {
            c.setJournalMode(SQLiteConfig.JournalMode.WAL);
            c.setSynchronous(SQLiteConfig.SynchronousMode.NORMAL);
            c.setTransactionMode(SQLiteConfig.TransactionMode.IMMEDIATE);
        }
        try {
            Connection conn = c.createConnection("jdbc:sqlite:" + db);
            if (!readOnly) {
                conn.setAutoCommit(true);
            }
            return conn;
        } catch (SQLException | RuntimeException | UnsatisfiedLinkError e) {
            String os = System.getProperty("os.name") + "/" + System.getProperty("os.arch");
            throw new LifelineException(
                    "cannot open the catalog " + db + ": " + e.getMessage(),
                    e instanceof UnsatisfiedLinkError
                                    || String.valueOf(e.getMessage()).contains("native")
                            ? "this jar carries SQLite for Linux and macOS on x86_64 and aarch64, not " + os
                            : "check free space and the file's permissions; or remove it and run 'lifeline catalog"
                                    + " rebuild'",
                    e);
        }
    }

    // ------------------------------------------------------------------ schema

    private int schemaVersion() throws SQLException {
        try (Statement s = conn.createStatement();
                ResultSet r = s.executeQuery(
                        "SELECT value FROM meta WHERE key = 'schema' AND EXISTS (SELECT 1 FROM sqlite_master WHERE"
                                + " name = 'meta')")) {
            return r.next() ? Integer.parseInt(r.getString(1)) : 0;
        } catch (SQLException e) {
            if (String.valueOf(e.getMessage()).contains("no such table")) {
                return 0;
            }
            throw e;
        }
    }

    private void schema() throws SQLException {
        int v = schemaVersion();
        if (v == SCHEMA) {
            return;
        }
        try (Statement s = conn.createStatement()) {
            conn.setAutoCommit(false);
            if (v != 0) {
                // another format: the index is a cache, so it is made again
                for (String t : List.of("fts", "loras", "paths", "images", "snapshots", "meta")) {
                    s.execute("DROP TABLE IF EXISTS " + t);
                }
            }
            s.execute("CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT)");
            s.execute("CREATE TABLE IF NOT EXISTS images("
                    + "id INTEGER PRIMARY KEY, sha256 TEXT NOT NULL UNIQUE, tool TEXT, prompt TEXT, negative TEXT,"
                    + " seed INTEGER, steps INTEGER, cfg REAL, sampler TEXT, scheduler TEXT, model TEXT,"
                    + " model_hash TEXT, width INTEGER, height INTEGER, raw TEXT, first_seen INTEGER NOT NULL)");
            s.execute("CREATE INDEX IF NOT EXISTS images_first_seen ON images(first_seen)");
            s.execute("CREATE INDEX IF NOT EXISTS images_seed ON images(seed)");
            s.execute("CREATE INDEX IF NOT EXISTS images_steps ON images(steps)");
            s.execute("CREATE INDEX IF NOT EXISTS images_sampler ON images(sampler COLLATE NOCASE)");
            s.execute("CREATE INDEX IF NOT EXISTS images_model ON images(model)");
            s.execute("CREATE TABLE IF NOT EXISTS loras(image_id INTEGER NOT NULL, name TEXT NOT NULL, weight REAL)");
            s.execute("CREATE INDEX IF NOT EXISTS loras_image ON loras(image_id)");
            s.execute("CREATE TABLE IF NOT EXISTS snapshots(seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE,"
                    + " time INTEGER NOT NULL)");
            // first_seq/last_seq null: only in the journal so far (stored since the last snapshot)
            s.execute("CREATE TABLE IF NOT EXISTS paths(image_id INTEGER NOT NULL, path TEXT NOT NULL,"
                    + " first_seq INTEGER, last_seq INTEGER, live INTEGER NOT NULL DEFAULT 0)");
            s.execute("CREATE INDEX IF NOT EXISTS paths_image ON paths(image_id)");
            s.execute("CREATE INDEX IF NOT EXISTS paths_path ON paths(path, image_id)");
            s.execute("CREATE INDEX IF NOT EXISTS paths_last ON paths(last_seq)");
            // Contentless (the text lives once, in images) with deletes by rowid: no triggers to keep
            // in step, no 'delete' command that must repeat the old values exactly.
            s.execute("CREATE VIRTUAL TABLE IF NOT EXISTS fts USING fts5(prompt, negative, model, loras,"
                    + " content='', contentless_delete=1, tokenize='unicode61 remove_diacritics 2')");
            s.execute("INSERT OR REPLACE INTO meta(key, value) VALUES ('schema', '" + SCHEMA + "')");
            conn.commit();
        } catch (SQLException e) {
            conn.rollback();
            throw e;
        } finally {
            conn.setAutoCommit(true);
        }
    }

    // ------------------------------------------------------------------ writing

    /** A file the vault stored: its path in {@code latest}, its content, and when. */
    public record Stored(String sha256, String path, Instant when) {}

    /**
     * Records a file the vault just stored (the journal, part of {@code latest}), with its
     * metadata as given; the path now holds this content.
     */
    public void index(String sha256, String path, ImageMeta meta, Instant when) {
        write(() -> {
            long id = ensureImage(sha256, Optional.ofNullable(meta), when.toEpochMilli());
            live(id, path);
            return null;
        });
    }

    /**
     * Records files the vault stored, reading each new content's metadata from its object, all
     * in one transaction; files that are not images are left out.
     *
     * @return how many were images
     */
    public int indexStored(List<Stored> batch) {
        return write(() -> {
            int n = 0;
            for (Stored s : batch) {
                if (!isImage(s.path()) || !SHA.matcher(s.sha256()).matches()) {
                    continue;
                }
                Long id = imageId(s.sha256());
                long at = s.when().toEpochMilli();
                if (id == null) {
                    id = ensureImage(s.sha256(), readMeta(s.sha256()), at);
                } else {
                    seen(id, at);
                }
                live(id, s.path());
                n++;
            }
            return n;
        });
    }

    /** Catches up with the repository: new snapshots and the journal in, pruned ones out. */
    public SyncResult sync(Vault vault) {
        return new Sync(this, Source.local(vault)).run(false);
    }

    /** Makes the index again from the repository alone ({@code fromRemote}: from its S3 mirror alone). */
    public SyncResult rebuild(Vault vault, boolean fromRemote) {
        return new Sync(this, fromRemote ? Source.remote(vault) : Source.local(vault)).run(true);
    }

    /** Runs {@code body} in one write transaction, stamping when the index was last written. */
    <T> T write(SqlWork<T> body) {
        if (readOnly) {
            throw new IllegalStateException("this catalog is open read-only");
        }
        try {
            conn.setAutoCommit(false);
            try {
                T out = body.run();
                try (PreparedStatement p =
                        conn.prepareStatement("INSERT OR REPLACE INTO meta(key, value) VALUES ('last_indexed', ?)")) {
                    p.setString(1, Long.toString(clock.millis()));
                    p.executeUpdate();
                }
                conn.commit();
                return out;
            } catch (SQLException | RuntimeException e) {
                conn.rollback();
                throw e;
            } finally {
                conn.setAutoCommit(true);
            }
        } catch (SQLException e) {
            throw failure("writing", e);
        }
    }

    interface SqlWork<T> {
        T run() throws SQLException;
    }

    Optional<ImageMeta> readMeta(String sha256) {
        Path object =
                repository.resolve("objects").resolve(sha256.substring(0, 2)).resolve(sha256);
        return readMetaFile(object);
    }

    Optional<ImageMeta> readMetaFile(Path file) {
        try {
            Optional<ImageMeta> m = reader.apply(file);
            return m == null ? Optional.empty() : m;
        } catch (RuntimeException e) {
            return Optional.empty(); // the reader promises not to throw; a file is never worth the index
        }
    }

    static boolean isImage(String path) {
        int dot = path.lastIndexOf('.');
        return dot >= 0
                && dot > path.lastIndexOf('/')
                && IMAGE_EXTENSIONS.contains(path.substring(dot + 1).toLowerCase(Locale.ROOT));
    }

    Long imageId(String sha256) throws SQLException {
        try (PreparedStatement p = conn.prepareStatement("SELECT id FROM images WHERE sha256 = ?")) {
            p.setString(1, sha256);
            try (ResultSet r = p.executeQuery()) {
                return r.next() ? r.getLong(1) : null;
            }
        }
    }

    private void seen(long id, long at) throws SQLException {
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
                + " steps, cfg, sampler, scheduler, model, model_hash, width, height, raw, first_seen)"
                + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
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
            p.setObject(14, m == null ? null : m.raw());
            p.setLong(15, firstSeen);
            p.executeUpdate();
        }
        long newId = imageId(sha256);
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

    long newestSeq() throws SQLException {
        try (Statement s = conn.createStatement();
                ResultSet r = s.executeQuery("SELECT coalesce(max(seq), 0) FROM snapshots")) {
            r.next();
            return r.getLong(1);
        }
    }

    // ------------------------------------------------------------------ reading

    /** The images {@code query} finds, best first; with {@code facets}, the counts over all of them. */
    public SearchResult search(Query query, int limit, boolean facets, boolean withRaw) {
        return search(query, limit, facets, withRaw, null);
    }

    /**
     * As {@link #search(Query, int, boolean, boolean)}, counting only the snapshots in {@code
     * existing} (the repository's own list, for a reader that cannot sync: a prune since the last
     * sync then hides what it removed); null trusts the index.
     */
    public SearchResult search(Query query, int limit, boolean facets, boolean withRaw, Set<String> existing) {
        try {
            return new Search(conn, existing).run(query, limit, facets, withRaw);
        } catch (SQLException e) {
            throw failure("searching", e);
        }
    }

    /** Parses {@code text} (the {@code find} language) and searches. */
    public SearchResult search(String text, int limit) {
        return search(Query.parse(text), limit, true, true);
    }

    public CatalogStatus status() {
        try (Statement s = conn.createStatement()) {
            long images = count(s, "SELECT count(*) FROM images");
            long meta = count(s, "SELECT count(*) FROM images WHERE tool IS NOT NULL OR prompt IS NOT NULL");
            long paths = count(s, "SELECT count(*) FROM paths");
            long snaps = count(s, "SELECT count(*) FROM snapshots");
            long deleted = count(
                    s,
                    "SELECT count(*) FROM images i WHERE NOT EXISTS (SELECT 1 FROM paths p WHERE p.image_id = i.id AND"
                            + " p.live = 1)");
            Instant last = null;
            try (ResultSet r = s.executeQuery("SELECT value FROM meta WHERE key = 'last_indexed'")) {
                if (r.next()) {
                    last = Instant.ofEpochMilli(Long.parseLong(r.getString(1)));
                }
            }
            long bytes = 0;
            for (String side : List.of("", "-wal", "-shm")) {
                Path p = file.resolveSibling(FILE + side);
                try {
                    bytes += Files.size(p);
                } catch (IOException e) {
                    // not there
                }
            }
            return new CatalogStatus(file, images, meta, paths, snaps, deleted, bytes, last);
        } catch (SQLException e) {
            throw failure("reading the status of", e);
        }
    }

    private static long count(Statement s, String sql) throws SQLException {
        try (ResultSet r = s.executeQuery(sql)) {
            r.next();
            return r.getLong(1);
        }
    }

    LifelineException failure(String what, Exception e) {
        if (e instanceof LifelineException le) {
            return le;
        }
        String msg = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        boolean full =
                msg.contains("SQLITE_FULL") || msg.toLowerCase(Locale.ROOT).contains("disk is full");
        boolean busy = msg.contains("SQLITE_BUSY");
        return new LifelineException(
                what + " the catalog " + file + " failed: " + msg,
                full
                        ? "free space on the disk holding " + repository + "; the catalog catches up by itself after"
                        : busy
                                ? "another process writes to it (the daemon, or a rebuild); try again in a moment"
                                : "the catalog is only a cache: 'lifeline catalog rebuild' makes it again from the"
                                        + " repository",
                e);
    }

    /** Idempotent. */
    @Override
    public void close() {
        try {
            conn.close();
        } catch (SQLException e) {
            // closing anyway
        }
    }
}
