package dev.lifeline.backup;

import dev.lifeline.core.LifelineException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SecureDirectoryStream;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The lock a restore holds on its target ({@value #NAME} at its top, 0600), so a second restore
 * into it cannot remove the first one's temp files: an OS lock ({@code fcntl}) the kernel releases
 * when the holder dies, with the holder's pid and start time in the file for the one refused.
 * Restores of one process meet in memory first (by the target's device and inode), since closing
 * any second descriptor of the file would drop the first one's lock. Closing releases it and
 * removes the file; double close is safe.
 */
final class RestoreLock implements AutoCloseable {
    static final String NAME = ".lifeline-restore.lock";

    private static final FileAttribute<?> PRIVATE =
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"));

    /** The targets (by device and inode) a restore of this process holds the lock of: fcntl locks belong to the process. */
    private static final Set<Object> LOCKED_HERE = ConcurrentHashMap.newKeySet();

    private final SecureDirectoryStream<Path> rootDir;
    private FileChannel channel;
    private Object key;

    private RestoreLock(SecureDirectoryStream<Path> rootDir, FileChannel channel, Object key) {
        this.rootDir = rootDir;
        this.channel = channel;
        this.key = key;
    }

    /**
     * Takes the lock of the target {@code root} (opened as {@code rootDir}), or refuses naming the
     * holder.
     */
    static RestoreLock take(Path root, SecureDirectoryStream<Path> rootDir) throws IOException {
        // Within one JVM a second descriptor of the lock file must never be opened: closing it would
        // drop the first restore's fcntl lock. So restores of this process meet here first.
        Object key = rootDir.getFileAttributeView(BasicFileAttributeView.class)
                .readAttributes()
                .fileKey();
        if (key != null && !LOCKED_HERE.add(key)) {
            throw new LifelineException(
                    "another restore is writing into " + root + " (pid "
                            + ProcessHandle.current().pid() + ")",
                    "wait for it to finish, or restore into another folder; nothing was written");
        }
        boolean locked = false;
        try {
            RestoreLock l = new RestoreLock(rootDir, lockFile(root, rootDir), key);
            locked = true;
            return l;
        } finally {
            if (!locked && key != null) {
                LOCKED_HERE.remove(key);
            }
        }
    }

    private static FileChannel lockFile(Path root, SecureDirectoryStream<Path> rootDir) throws IOException {
        Path name = Path.of(NAME);
        for (int attempt = 0; ; attempt++) {
            FileChannel ch = (FileChannel) rootDir.newByteChannel(
                    name,
                    Set.of(
                            StandardOpenOption.CREATE,
                            StandardOpenOption.READ,
                            StandardOpenOption.WRITE,
                            LinkOption.NOFOLLOW_LINKS),
                    PRIVATE);
            boolean kept = false;
            try {
                FileLock held;
                try {
                    held = ch.tryLock();
                } catch (OverlappingFileLockException e) {
                    held = null; // this process restores into it already
                }
                if (held == null) {
                    // the holder writes its pid right after it takes the lock: give it a moment
                    String who = readAll(ch).trim();
                    for (int i = 0; who.isEmpty() && i < 50; i++) {
                        sleepQuietly(10);
                        who = readAll(ch).trim();
                    }
                    throw new LifelineException(
                            "another restore is writing into " + root + (who.isEmpty() ? "" : " (" + who + ")"),
                            "wait for it to finish, or restore into another folder; nothing was written");
                }
                String token = "pid " + ProcessHandle.current().pid() + " started " + Instant.now() + "\n";
                ch.truncate(0);
                ch.write(ByteBuffer.wrap(token.getBytes(StandardCharsets.UTF_8)), 0);
                // a restore that just finished may have removed the file this one locked (it removes
                // it before it releases the lock): then lock the one at the name now. Checked by
                // stat, not by opening it again: closing any descriptor of a file drops its fcntl lock.
                if (FolderFiles.stat(rootDir, NAME) == null && attempt < 10) {
                    continue;
                }
                kept = true;
                return ch;
            } finally {
                if (!kept) {
                    ch.close();
                }
            }
        }
    }

    private static void sleepQuietly(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static String readAll(FileChannel ch) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(256);
        while (b.hasRemaining() && ch.read(b, b.position()) > 0) {
            // a short file: one or two reads
        }
        return new String(b.array(), 0, b.position(), StandardCharsets.UTF_8);
    }

    /** Removes the file, then releases the lock (so a restore waiting on it locks the next file). */
    @Override
    public void close() {
        if (channel != null) {
            try {
                rootDir.deleteFile(Path.of(NAME));
            } catch (IOException e) {
                // gone already: nothing to clean
            }
            try {
                channel.close(); // releases the lock
            } catch (IOException ignored) {
                // the kernel releases it with the process anyway
            }
            channel = null;
        }
        if (key != null) {
            LOCKED_HERE.remove(key);
            key = null;
        }
    }
}
