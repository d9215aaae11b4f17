package dev.lifeline.backup;

import dev.lifeline.process.Exec;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

/** Atomic, durable file writes: temp file, fsync, rename, directory fsync. */
final class Durable {
    private Durable() {}

    static void fsync(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ch.force(true);
        }
    }

    /** Makes a rename or create inside {@code dir} durable; a no-op where directories cannot be opened. */
    static void fsyncDir(Path dir) throws IOException {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException e) {
            if (System.getProperty("os.name", "").startsWith("Windows")) {
                return; // directories cannot be fsynced there; NTFS journals renames
            }
            throw e;
        }
    }

    /**
     * Flushes the whole file system holding {@code anyPath} (syncfs(2), through coreutils
     * {@code sync -f}): one call instead of thousands of fsyncs when a batch holds many small
     * objects. Returns false when that is not available, so the caller fsyncs file by file.
     */
    static boolean syncFileSystem(Path anyPath) {
        if (!System.getProperty("os.name", "").equals("Linux")) {
            return false;
        }
        try {
            return Exec.of("sync", "-f", anyPath.toString())
                    .discardOutput()
                    .timeout(Duration.ofSeconds(60)) // a hung disk: fsync file by file instead
                    .run()
                    .ok();
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    static void move(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    /** Writes {@code data} to {@code target} so that a crash leaves either the old or the new file. */
    static void write(Path target, byte[] data) throws IOException {
        Path dir = target.getParent();
        Files.createDirectories(dir);
        Path tmp = dir.resolve(".tmp-" + target.getFileName() + "-"
                + Long.toHexString(ThreadLocalRandom.current().nextLong()));
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                ByteBuffer b = ByteBuffer.wrap(data);
                while (b.hasRemaining()) {
                    ch.write(b);
                }
                ch.force(true);
            }
            move(tmp, target);
            fsyncDir(dir);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}
