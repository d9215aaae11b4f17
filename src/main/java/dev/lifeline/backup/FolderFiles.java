package dev.lifeline.backup;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SecureDirectoryStream;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * What a restore does to one name inside an open folder handle, never following a link: list,
 * stat ({@code fstatat} without following), create ({@code O_CREAT|O_EXCL|O_NOFOLLOW}, with its
 * final mode from the first byte), read, chmod, rename ({@code renameat}), fsync, delete, and the
 * leftovers of a killed restore. The handles themselves come from {@link TargetTree}.
 */
final class FolderFiles {
    private FolderFiles() {}

    /** Names in a folder (its handle can be iterated only once, so this opens it again). */
    static List<String> list(SecureDirectoryStream<Path> dir) throws IOException {
        List<String> out = new ArrayList<>();
        try (DirectoryStream<Path> again = dir.newDirectoryStream(Path.of("."), LinkOption.NOFOLLOW_LINKS)) {
            for (Path p : again) {
                out.add(Names.name(p)); // the manifest's string of it: exact where the JDK's is not
            }
        }
        return out;
    }

    /** Attributes of {@code name} itself (a link is not followed; POSIX ones where there are); null when absent. */
    static BasicFileAttributes stat(SecureDirectoryStream<Path> dir, String name) throws IOException {
        try {
            PosixFileAttributeView posix = dir.getFileAttributeView(
                    Names.element(name), PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS);
            if (posix != null) {
                return posix.readAttributes();
            }
            return dir.getFileAttributeView(
                            Names.element(name), BasicFileAttributeView.class, LinkOption.NOFOLLOW_LINKS)
                    .readAttributes();
        } catch (NoSuchFileException e) {
            return null;
        }
    }

    /**
     * A new file of {@code mode} plus owner read (the restore sets its time through a read-only
     * open), failing if the name exists (a link there is not followed). Made with its own mode, not
     * a wider one narrowed later, so a private file is never readable by others while it is written;
     * the umask may take bits away, which {@link TargetTree#needsChmod} tells.
     */
    static SeekableByteChannel create(SecureDirectoryStream<Path> dir, String name, int mode) throws IOException {
        return dir.newByteChannel(
                Names.element(name),
                Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS),
                PosixFilePermissions.asFileAttribute(perms(createMode(mode))));
    }

    static int createMode(int mode) {
        return (mode & 0777) | 0400;
    }

    /** Opens a regular file for reading; a link fails. */
    static SeekableByteChannel read(SecureDirectoryStream<Path> dir, String name) throws IOException {
        return dir.newByteChannel(Names.element(name), Set.of(StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS));
    }

    /** Sets a file's permissions through its handle (fchmod of the file itself, never a link's target). */
    static void chmod(SecureDirectoryStream<Path> dir, String name, int mode) throws IOException {
        dir.getFileAttributeView(Names.element(name), PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS)
                .setPermissions(perms(mode));
    }

    /** Renames {@code from} in {@code fromDir} to {@code to} in {@code toDir}, replacing a file or link there. */
    static void rename(SecureDirectoryStream<Path> fromDir, String from, SecureDirectoryStream<Path> toDir, String to)
            throws IOException {
        fromDir.move(Names.element(from), toDir, Names.element(to));
    }

    /** fsync of a file in {@code dir}, by handle. */
    static void fsync(SecureDirectoryStream<Path> dir, String name) throws IOException {
        try (SeekableByteChannel ch = read(dir, name)) {
            ((FileChannel) ch).force(true);
        }
    }

    /** fsync of the folder itself: the names renamed into it survive a power cut. */
    static void fsyncDir(SecureDirectoryStream<Path> dir) throws IOException {
        try (SeekableByteChannel ch = dir.newByteChannel(Path.of("."), Set.of(StandardOpenOption.READ))) {
            ((FileChannel) ch).force(true);
        }
    }

    static void deleteQuietly(SecureDirectoryStream<Path> dir, String name) {
        try {
            dir.deleteFile(Names.element(name));
        } catch (NoSuchFileException e) {
            // gone
        } catch (IOException e) {
            try {
                dir.deleteDirectory(Names.element(name));
            } catch (IOException ignored) {
                // best effort: a later restore into this folder removes it
            }
        }
    }

    /** Removes what an interrupted restore left in {@code dir} (names starting with {@link TargetTree#TEMP}); returns how many. */
    static int removeLeftovers(SecureDirectoryStream<Path> dir, List<String> names) {
        int n = 0;
        for (String name : names) {
            if (name.startsWith(TargetTree.TEMP)) {
                deleteQuietly(dir, name);
                n++;
            }
        }
        return n;
    }

    /** The permission bits of {@code perms} as a mode ({@code 0644}). */
    static int mode(Set<PosixFilePermission> perms) {
        int m = 0;
        for (PosixFilePermission p : perms) {
            m |= 1 << (8 - p.ordinal());
        }
        return m;
    }

    /** The permissions of a mode's lower 9 bits. */
    static Set<PosixFilePermission> perms(int mode) {
        Set<PosixFilePermission> s = EnumSet.noneOf(PosixFilePermission.class);
        for (PosixFilePermission p : PosixFilePermission.values()) {
            if ((mode & (1 << (8 - p.ordinal()))) != 0) {
                s.add(p);
            }
        }
        return s;
    }
}
