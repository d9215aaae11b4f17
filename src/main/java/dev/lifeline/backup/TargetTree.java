package dev.lifeline.backup;

import dev.lifeline.core.LifelineException;
import java.io.Closeable;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SecureDirectoryStream;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * A restore target, opened folder by folder without following links. Every write below the root
 * goes through an open folder handle ({@code openat}, {@code renameat}, {@code unlinkat} with
 * {@code O_NOFOLLOW}): a link planted in the target, or a folder swapped for a link while the
 * restore runs, cannot redirect a write anywhere else. A folder on the way that is a link is
 * refused.
 *
 * <p>What a handle cannot create (a folder, a symbolic link) is made at the root under a temp name
 * and renamed into its folder by handle. Every temp name starts with {@link #TEMP}, so a restore
 * killed midway is cleaned up by the next one.
 *
 * <p>Handles are lent out ({@link Lease}) and given back; at most {@link #KEPT_OPEN} (64) unused
 * ones stay open, so a tree of any width or depth restores within a common {@code ulimit -n} of
 * 1024 (each handle holds two descriptors). A folder whose handle was closed is opened again
 * from the nearest open folder above it, one element at a time without following a link: a link
 * swapped in meanwhile stops the restore, as at the first open.
 */
final class TargetTree implements Closeable {
    /** Every temp file and folder a restore makes starts with this. */
    static final String TEMP = ".lifeline-restore-";

    /** A folder of the target that is a link or a file: refused before anything is written. */
    static final class Blocked extends Exception {
        private static final long serialVersionUID = 1L;

        Blocked(String message) {
            super(message, null, false, false);
        }
    }

    /**
     * How many folder handles are kept open while no one uses them (each holds two descriptors:
     * the folder and its listing). Beyond that the least recently used are closed, and opened
     * again, from the root down without following a link, when a folder is needed again.
     */
    static final int KEPT_OPEN = 64;

    /** An open folder: {@code users} leases hold it open (guarded by the tree). */
    private static final class Folder {
        final SecureDirectoryStream<Path> dir;
        int users;

        Folder(SecureDirectoryStream<Path> dir) {
            this.dir = dir;
        }
    }

    /** A folder handle lent out; {@link #close()} gives it back (it may stay open for the next one). Safe to close twice. */
    final class Lease implements AutoCloseable {
        private final Folder folder;
        private boolean returned; // guarded by the tree

        private Lease(Folder folder) {
            this.folder = folder;
            folder.users++;
        }

        SecureDirectoryStream<Path> dir() {
            return folder.dir;
        }

        @Override
        public void close() {
            release(this);
        }
    }

    private final Path root;
    private final SecureDirectoryStream<Path> rootDir;
    // guarded by this. "" is the root (never closed before the tree); "a/b" a folder under it. In
    // access order: the unused ones at the head are the first closed.
    private final LinkedHashMap<String, Folder> dirs = new LinkedHashMap<>(16, 0.75f, true);
    private RestoreLock lock;

    private final int umask;

    private TargetTree(Path root, SecureDirectoryStream<Path> rootDir, int umask) {
        this.root = root;
        this.rootDir = rootDir;
        this.umask = umask;
        Folder top = new Folder(rootDir);
        top.users = 1; // held by the tree itself
        dirs.put("", top);
    }

    /** Opens {@code root} (a real path, made by the caller). */
    static TargetTree open(Path root) throws IOException {
        DirectoryStream<Path> ds = Files.newDirectoryStream(root);
        if (!(ds instanceof SecureDirectoryStream<Path> sds)) {
            ds.close();
            throw new LifelineException(
                    "restore needs a file system that opens folders without following links (openat); " + root
                            + " has none",
                    "restore on Linux or macOS");
        }
        try {
            return new TargetTree(root, sds, umask(sds));
        } catch (IOException | RuntimeException e) {
            sds.close();
            throw e;
        }
    }

    Path root() {
        return root;
    }

    static String parent(String rel) {
        int slash = rel.lastIndexOf('/');
        return slash < 0 ? "" : rel.substring(0, slash);
    }

    static String name(String rel) {
        return rel.substring(rel.lastIndexOf('/') + 1);
    }

    /**
     * The folder {@code rel}, which the restore found or made: opened again if its handle was
     * closed meanwhile.
     *
     * @throws IOException when it is gone, or is now a link or a file
     */
    synchronized Lease dir(String rel) throws IOException {
        Lease l;
        try {
            l = openExisting(rel);
        } catch (Blocked b) {
            throw new FileSystemException(Names.resolve(root, rel).toString(), null, b.getMessage());
        }
        if (l == null) {
            throw new NoSuchFileException(Names.resolve(root, rel).toString(), null, "the folder is gone");
        }
        return l;
    }

    /**
     * Opens {@code rel} if every folder on the way exists; null when one does not.
     *
     * @throws Blocked when one of them is a link or not a folder
     */
    synchronized Lease openExisting(String rel) throws IOException, Blocked {
        Folder f = dirs.get(rel);
        if (f != null) {
            return new Lease(f);
        }
        try (Lease parent = openExisting(parent(rel))) {
            if (parent == null) {
                return null;
            }
            SecureDirectoryStream<Path> d;
            try {
                d = parent.dir().newDirectoryStream(Names.element(name(rel)), LinkOption.NOFOLLOW_LINKS);
            } catch (NoSuchFileException e) {
                return null;
            } catch (FileSystemException e) {
                throw blocked(parent.dir(), rel, e);
            }
            return keep(rel, d);
        }
    }

    private Lease keep(String rel, SecureDirectoryStream<Path> d) {
        Folder f = new Folder(d);
        dirs.put(rel, f);
        return new Lease(f);
    }

    private synchronized void release(Lease l) {
        if (l.returned) {
            return;
        }
        l.returned = true;
        l.folder.users--;
        if (dirs.size() <= KEPT_OPEN) {
            return;
        }
        for (Iterator<Folder> it = dirs.values().iterator(); it.hasNext() && dirs.size() > KEPT_OPEN; ) {
            Folder f = it.next();
            if (f.users == 0) {
                it.remove();
                closeQuietly(f.dir);
            }
        }
    }

    private static void closeQuietly(SecureDirectoryStream<Path> d) {
        try {
            d.close();
        } catch (IOException ignored) {
            // a read-only handle: nothing to lose
        }
    }

    /** Why a folder did not open: a {@link Blocked} way, or (out of descriptors) the failure itself. */
    private Blocked blocked(SecureDirectoryStream<Path> parent, String rel, FileSystemException cause)
            throws FileSystemException {
        if (cause.getMessage() != null && cause.getMessage().contains("Too many open files")) {
            throw cause; // EMFILE or ENFILE: not the folder's fault, so not worded as a link or a file
        }
        String what;
        try {
            BasicFileAttributes a = parent.getFileAttributeView(
                            Names.element(name(rel)), BasicFileAttributeView.class, LinkOption.NOFOLLOW_LINKS)
                    .readAttributes();
            what = a.isSymbolicLink() ? "a symbolic link" : a.isDirectory() ? "unreadable" : "a file, not a folder";
        } catch (IOException e) {
            what = "unreadable (" + cause.getMessage() + ")";
        }
        return new Blocked(Names.resolve(root, rel) + " is " + what);
    }

    /**
     * Opens {@code rel}, making the folders that are missing: each is made at the root under a temp
     * name, then renamed into its parent by handle (never through a path that could be a link).
     * One at a time: two threads making the same folder would rename one over the other.
     *
     * @param made told the relative path of each folder made
     */
    synchronized Lease make(String rel, java.util.function.Consumer<String> made) throws IOException, Blocked {
        Lease d = openExisting(rel);
        if (d != null) {
            return d;
        }
        try (Lease parent = make(parent(rel), made)) {
            String tmp = tempName();
            Files.createDirectory(root.resolve(tmp));
            try {
                rootDir.move(Path.of(tmp), parent.dir(), Names.element(name(rel)));
            } catch (IOException e) {
                FolderFiles.deleteQuietly(rootDir, tmp);
                Lease raced = openExisting(rel); // made by someone else meanwhile
                if (raced != null) {
                    return raced;
                }
                throw e;
            }
            made.accept(rel);
            try {
                return keep(rel, parent.dir().newDirectoryStream(Names.element(name(rel)), LinkOption.NOFOLLOW_LINKS));
            } catch (FileSystemException e) {
                throw blocked(parent.dir(), rel, e); // swapped right after it was made
            }
        }
    }

    static String tempName() {
        return TEMP + Long.toHexString(ThreadLocalRandom.current().nextLong() | Long.MIN_VALUE);
    }

    /** Whether a file made by {@link FolderFiles#create} lacks some bits of {@code mode} or has one too many. */
    boolean needsChmod(int mode) {
        return (FolderFiles.createMode(mode) & ~umask) != (mode & 0777);
    }

    /** The process's umask, seen on a probe file at the root (Java cannot ask for it). */
    private static int umask(SecureDirectoryStream<Path> rootDir) throws IOException {
        String probe = tempName();
        try {
            rootDir.newByteChannel(
                            Path.of(probe),
                            Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS),
                            PosixFilePermissions.asFileAttribute(FolderFiles.perms(0777)))
                    .close();
            BasicFileAttributes a = FolderFiles.stat(rootDir, probe);
            return a instanceof java.nio.file.attribute.PosixFileAttributes px
                    ? ~FolderFiles.mode(px.permissions()) & 0777
                    : 0777; // unknown: every file gets a chmod
        } finally {
            FolderFiles.deleteQuietly(rootDir, probe);
        }
    }

    /**
     * Sets the mtime of {@code name} in {@code rel}, to the nanosecond. A folder handle sets times
     * only to the microsecond (futimes), so this goes by path, opened without following the last
     * link: a folder swapped meanwhile would at worst give another file of this random temp name
     * the time, and leave this one with the restore's.
     */
    void setMtime(String rel, String name, long mtimeNanos) throws IOException {
        Files.getFileAttributeView(
                        Names.resolve(root, rel.isEmpty() ? name : rel + "/" + name),
                        BasicFileAttributeView.class,
                        LinkOption.NOFOLLOW_LINKS)
                .setTimes(FileTime.from(mtimeNanos, TimeUnit.NANOSECONDS), null, null);
    }

    /** Makes a symbolic link at the root under a temp name (the root's path is the target's own); returns the name. */
    String makeLinkAtRoot(Path target, long mtimeNanos) throws IOException {
        String tmp = tempName();
        Path at = root.resolve(tmp);
        Files.createSymbolicLink(at, target);
        try {
            // the link's own time (lutimes), not its target's
            Files.getFileAttributeView(at, BasicFileAttributeView.class, LinkOption.NOFOLLOW_LINKS)
                    .setTimes(FileTime.from(mtimeNanos, TimeUnit.NANOSECONDS), null, null);
        } catch (UnsupportedOperationException | IOException e) {
            // a file system without lutimes: the link keeps the time of the restore
        }
        return tmp;
    }

    SecureDirectoryStream<Path> rootDir() {
        return rootDir;
    }

    /** The lock a restore holds on its target, so a second restore into it cannot remove its temp files. */
    static final String LOCK = RestoreLock.NAME;

    /**
     * Takes the target's restore lock ({@link RestoreLock}), or refuses naming the holder. Closing
     * the tree releases it and removes the file.
     */
    void lock() throws IOException {
        lock = RestoreLock.take(root, rootDir);
    }

    @Override
    public void close() {
        if (lock != null) {
            lock.close();
            lock = null;
        }
        synchronized (this) {
            for (Folder f : dirs.values()) {
                closeQuietly(f.dir);
            }
            dirs.clear();
        }
    }
}
