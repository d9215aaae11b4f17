package dev.lifeline.core;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/**
 * Writing Lifeline's own files without following a link someone planted: a state file is written
 * to a new temp file (created exclusively, so an existing name or link there fails instead of
 * being written through) with its final mode from the first byte, then renamed over the target
 * (a rename replaces a link, it never writes through it). Log files are created or opened only if
 * they are regular files.
 */
public final class PrivateFiles {
    /** Owner read and write only: state files can hold a config's text and so its secrets. */
    public static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rw-------");

    private static final boolean POSIX =
            java.nio.file.FileSystems.getDefault().supportedFileAttributeViews().contains("posix");

    private PrivateFiles() {}

    /** {@link #write(Path, byte[], Set)} of UTF-8 text, owner-only. */
    public static void writePrivate(Path target, String text) throws IOException {
        write(target, text.getBytes(StandardCharsets.UTF_8), OWNER_ONLY);
    }

    /**
     * Replaces {@code target} so that a crash leaves the old or the new content, never half of it
     * and never a file with looser permissions for a moment. A link at {@code target} is replaced,
     * not followed.
     */
    public static void write(Path target, byte[] data, Set<PosixFilePermission> mode) throws IOException {
        Path dir = target.toAbsolutePath().getParent();
        String prefix = "." + target.getFileName() + ".";
        Path tmp = POSIX
                ? Files.createTempFile(dir, prefix, ".tmp", PosixFilePermissions.asFileAttribute(mode))
                : Files.createTempFile(dir, prefix, ".tmp");
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS)) {
                ByteBuffer b = ByteBuffer.wrap(data);
                while (b.hasRemaining()) {
                    ch.write(b);
                }
            }
            if (POSIX) {
                Files.setPosixFilePermissions(tmp, mode); // the umask may have narrowed a wider mode
            }
            try {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(tmp); // gone after the rename; removes the temp file if it failed
        }
    }

    /**
     * Creates {@code log} private to its owner if it is missing, and checks it is a regular file:
     * a link in its place is refused, so a program's output appended to it can never land in the
     * link's target.
     *
     * @throws IOException naming the file when it is a link or not a regular file
     */
    public static void createLog(Path log) throws IOException {
        try {
            requireRegular(log); // one lstat when it is there, as it nearly always is
            return;
        } catch (NoSuchFileException e) {
            // first run: create it below
        }
        FileAttribute<?>[] attrs = POSIX
                ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(OWNER_ONLY)}
                : new FileAttribute<?>[0];
        try {
            // created exclusively: nothing was there to follow
            FileChannel.open(log, Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE), attrs)
                    .close();
        } catch (FileAlreadyExistsException e) {
            requireRegular(log); // created meanwhile by a concurrent start: fine if it is a file
        }
    }

    /** Throws unless {@code file} is a regular file itself (not a link to one). */
    public static BasicFileAttributes requireRegular(Path file) throws IOException {
        BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        if (a.isSymbolicLink()) {
            throw new IOException(file + " is a symbolic link, not Lifeline's file: remove it (rm " + file
                    + "); Lifeline never writes through a link");
        }
        if (!a.isRegularFile()) {
            throw new IOException(file + " is not a regular file: remove it (Lifeline creates it again)");
        }
        return a;
    }
}
