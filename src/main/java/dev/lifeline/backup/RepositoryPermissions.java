package dev.lifeline.backup;

import dev.lifeline.core.Event;
import dev.lifeline.core.EventListener;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.Set;

/**
 * Keeps a repository private to its owner: folders 0700, objects 0400 (read-only, as before),
 * manifests and every other file 0600. New files and folders are created so (see {@link
 * ObjectStore#privateFile()}); {@link #tighten} makes the top folders so each time the
 * repository is opened for writing, and, when it finds the repository folder open to others (one
 * made before this), every folder and file in it.
 */
final class RepositoryPermissions {
    private RepositoryPermissions() {}

    static final Set<PosixFilePermission> DIR = PosixFilePermissions.fromString("rwx------");
    static final Set<PosixFilePermission> FILE = PosixFilePermissions.fromString("rw-------");
    static final Set<PosixFilePermission> OBJECT = PosixFilePermissions.fromString("r--------");
    private static final LinkOption[] NOFOLLOW = {LinkOption.NOFOLLOW_LINKS};

    /** Creates the repository's folders (owner only) and tightens what is looser; call before taking the writer lock. */
    static void tighten(Layout layout, EventListener events) throws IOException {
        if (!ObjectStore.POSIX) {
            return;
        }
        Path root = layout.root();
        Files.createDirectories(root, ObjectStore.privateDir());
        boolean open = !Files.getPosixFilePermissions(root, NOFOLLOW).equals(DIR);
        for (Path d : new Path[] {root, layout.objects(), layout.snapshots(), layout.tmp(), layout.journal()}) {
            Files.createDirectories(d, ObjectStore.privateDir());
            set(d, DIR);
        }
        // the locks (created by the writers), the marker and the journal: a few files, each time
        for (Path f : new Path[] {layout.lock(), layout.remoteLock()}) {
            try {
                Files.newByteChannel(
                                f,
                                Set.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS),
                                ObjectStore.privateFile())
                        .close();
            } catch (java.nio.file.FileSystemException e) {
                // a link planted there: the writer lock refuses it; nothing to tighten
            }
            set(f, FILE);
        }
        set(layout.marker(), FILE);
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(layout.journal())) {
            for (Path p : ds) {
                if (Files.isRegularFile(p, NOFOLLOW)) {
                    set(p, FILE);
                }
            }
        }
        if (!open) {
            return;
        }
        long files = tree(layout.root(), layout);
        events.onEvent(Event.of(
                "backup",
                "repository-private",
                Event.Level.WARN,
                "the repository " + root + " was readable by other users; made it private to its owner (" + files
                        + " files: folders 0700, objects 0400, others 0600)",
                Map.of("repository", root.toString(), "files", files)));
    }

    private static long tree(Path dir, Layout layout) throws IOException {
        long n = 0;
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            for (Path p : ds) {
                java.nio.file.attribute.BasicFileAttributes a;
                try {
                    a = Files.readAttributes(p, java.nio.file.attribute.BasicFileAttributes.class, NOFOLLOW);
                } catch (NoSuchFileException gone) {
                    continue;
                }
                if (a.isDirectory()) {
                    set(p, DIR);
                    n += tree(p, layout);
                } else if (a.isRegularFile()) {
                    set(p, p.startsWith(layout.objects()) ? OBJECT : FILE);
                    n++;
                }
            }
        }
        return n;
    }

    private static void set(Path p, Set<PosixFilePermission> perms) throws IOException {
        try {
            java.nio.file.attribute.PosixFileAttributes a =
                    Files.readAttributes(p, java.nio.file.attribute.PosixFileAttributes.class, NOFOLLOW);
            // never through a link (a chmod would change its target)
            if (!a.isSymbolicLink() && !a.permissions().equals(perms)) {
                Files.setPosixFilePermissions(p, perms);
            }
        } catch (NoSuchFileException gone) {
            // removed meanwhile
        }
    }
}
