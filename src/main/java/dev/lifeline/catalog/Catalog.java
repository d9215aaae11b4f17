package dev.lifeline.catalog;

import dev.lifeline.backup.Vault;
import dev.lifeline.catalog.meta.ImageMeta;
import dev.lifeline.catalog.meta.MetaOptions;
import dev.lifeline.catalog.meta.MetaReader;
import dev.lifeline.core.LifelineException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
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
    static final int BUSY_TIMEOUT_MS = 10_000;

    static final java.util.regex.Pattern SHA = java.util.regex.Pattern.compile("[0-9a-f]{64}");

    /** Extensions of the files the catalog indexes (others are backed up, not catalogued). */
    static final Set<String> IMAGE_EXTENSIONS =
            Set.of("png", "jpg", "jpeg", "webp", "avif", "gif", "bmp", "tif", "tiff", "jxl", "heic");

    private final Path repository;
    private final Path file;
    private final Connection conn;
    private final boolean readOnly;
    private final Function<Path, Optional<ImageMeta>> reader;
    private final Clock clock;
    private final ImageRows rows;

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
        this.rows = new ImageRows(conn);
    }

    /** Opens (creating when needed) the catalog of {@code repository} for writing, with the real metadata reader. */
    public static Catalog open(Path repository, MetaOptions options) {
        return open(repository, f -> MetaReader.read(f, options));
    }

    /** Opens (creating when needed) the catalog of {@code repository} for writing. */
    public static Catalog open(Path repository, Function<Path, Optional<ImageMeta>> reader) {
        Path repo = repository.toAbsolutePath().normalize();
        Path db = repo.resolve(FILE);
        CatalogFile.prepare(repo, db);
        Connection c = CatalogFile.connect(db, false);
        Catalog cat = new Catalog(repo, c, false, reader, Clock.systemDefaultZone());
        try {
            Schema.ensure(c);
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
        Connection c = CatalogFile.connect(db, true);
        Catalog cat = new Catalog(repo, c, true, f -> Optional.empty(), Clock.systemDefaultZone());
        try {
            int v = Schema.version(c);
            if (v != Schema.VERSION) {
                throw new LifelineException(
                        "the catalog at " + db + " has format " + v + ", this Lifeline reads format " + Schema.VERSION,
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

    ImageRows rows() {
        return rows;
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
            long id = rows.ensureImage(sha256, Optional.ofNullable(meta), when.toEpochMilli());
            rows.live(id, path);
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
                Long id = rows.imageId(s.sha256());
                long at = s.when().toEpochMilli();
                if (id == null) {
                    id = rows.ensureImage(s.sha256(), readMeta(s.sha256()), at);
                } else {
                    rows.seen(id, at);
                }
                rows.live(id, s.path());
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
        return search(query, limit, 0, facets, withRaw, existing);
    }

    /**
     * As {@link #search(Query, int, boolean, boolean, Set)}, the hits from {@code offset} on (0:
     * from the best; a page of a gallery is {@code offset = page * limit}); total and facets are
     * over all hits whatever the offset.
     */
    public SearchResult search(
            Query query, int limit, int offset, boolean facets, boolean withRaw, Set<String> existing) {
        try {
            return new Search(conn, existing).run(query, limit, offset, facets, withRaw);
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
