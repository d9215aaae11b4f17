package dev.lifeline.catalog;

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
import java.sql.SQLException;
import java.util.List;
import org.sqlite.SQLiteConfig;

/**
 * The catalog's database file and its connections: the file is private from its first byte (made
 * 0600 before SQLite writes to it, never through a link, its {@code -wal} and {@code -shm} files
 * kept 0600 too), and a connection is either the one writer (WAL, synchronous NORMAL, {@code BEGIN
 * IMMEDIATE}) or a short-lived reader (read-only, the file mapped up to 256 MiB, a 16 MB page
 * cache). Both wait up to {@link Catalog#BUSY_TIMEOUT_MS} for a lock.
 */
final class CatalogFile {
    private CatalogFile() {}

    /**
     * The database file private from its first byte: created empty 0600 (never through a link),
     * or, when it is there, checked to be a regular file of ours and made 0600 again. The
     * repository folder is made (0700) when missing: a fresh machine rebuilding from the mirror.
     */
    static void prepare(Path repo, Path db) {
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
                Path p = db.resolveSibling(Catalog.FILE + side);
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

    static Connection connect(Path db, boolean readOnly) {
        NativeLibrary.prepare();
        SQLiteConfig c = new SQLiteConfig();
        c.setBusyTimeout(Catalog.BUSY_TIMEOUT_MS);
        if (readOnly) {
            c.setReadOnly(true);
            // a reader is short-lived (one find): map the file and cache more, so the row lookups of
            // a broad search are memory reads rather than one read() each
            c.setPragma(SQLiteConfig.Pragma.MMAP_SIZE, Long.toString(256L << 20));
            c.setCacheSize(-16_000);
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
}
