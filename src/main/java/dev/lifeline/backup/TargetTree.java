package dev.lifeline.backup;

import dev.lifeline.core.LifelineException;
import java.io.Closeable;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.SeekableByteChannel;
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
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
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

    private final Path root;
    private final SecureDirectoryStream<Path> rootDir;
    // "" is the root; "a/b" a folder under it. Opened once each, closed with the tree.
    private final Map<String, SecureDirectoryStream<Path>> dirs = new ConcurrentHashMap<>();
    private RestoreLock lock;

    private final int umask;

    private TargetTree(Path root, SecureDirectoryStream<Path> rootDir, int umask) {
        this.root = root;
        this.rootDir = rootDir;
        this.umask = umask;
        dirs.put("", rootDir);
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

    /** The folder {@code rel}, already opened by {@link #openExisting} or {@link #make}. */
    SecureDirectoryStream<Path> dir(String rel) {
        SecureDirectoryStream<Path> d = dirs.get(rel);
        if (d == null) {
            throw new IllegalStateException("folder not opened: " + rel);
        }
        return d;
    }

    /**
     * Opens {@code rel} if every folder on the way exists; null when one does not.
     *
     * @throws Blocked when one of them is a link or not a folder
     */
    SecureDirectoryStream<Path> openExisting(String rel) throws IOException, Blocked {
        SecureDirectoryStream<Path> d = dirs.get(rel);
        if (d != null) {
            return d;
        }
        SecureDirectoryStream<Path> parent = openExisting(parent(rel));
        if (parent == null) {
            return null;
        }
        Path name = Names.element(name(rel));
        try {
            d = parent.newDirectoryStream(name, LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException e) {
            return null;
        } catch (FileSystemException e) {
            throw blocked(parent, rel, e);
        }
        return keep(rel, d);
    }

    private SecureDirectoryStream<Path> keep(String rel, SecureDirectoryStream<Path> d) throws IOException {
        SecureDirectoryStream<Path> had = dirs.putIfAbsent(rel, d);
        if (had != null) {
            d.close();
            return had;
        }
        return d;
    }

    private Blocked blocked(SecureDirectoryStream<Path> parent, String rel, IOException cause) {
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
    synchronized SecureDirectoryStream<Path> make(String rel, java.util.function.Consumer<String> made)
            throws IOException, Blocked {
        SecureDirectoryStream<Path> d = openExisting(rel);
        if (d != null) {
            return d;
        }
        SecureDirectoryStream<Path> parent = make(parent(rel), made);
        String tmp = tempName();
        Files.createDirectory(root.resolve(tmp));
        try {
            rootDir.move(Path.of(tmp), parent, Names.element(name(rel)));
        } catch (IOException e) {
            deleteQuietly(rootDir, tmp);
            SecureDirectoryStream<Path> raced = openExisting(rel); // made by someone else meanwhile
            if (raced != null) {
                return raced;
            }
            throw e;
        }
        made.accept(rel);
        try {
            return keep(rel, parent.newDirectoryStream(Names.element(name(rel)), LinkOption.NOFOLLOW_LINKS));
        } catch (FileSystemException e) {
            throw blocked(parent, rel, e); // swapped right after it was made
        }
    }

    static String tempName() {
        return TEMP + Long.toHexString(ThreadLocalRandom.current().nextLong() | Long.MIN_VALUE);
    }

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
     * the umask may take bits away, which {@link #needsChmod} tells.
     */
    static SeekableByteChannel create(SecureDirectoryStream<Path> dir, String name, int mode) throws IOException {
        return dir.newByteChannel(
                Names.element(name),
                Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS),
                PosixFilePermissions.asFileAttribute(perms(createMode(mode))));
    }

    private static int createMode(int mode) {
        return (mode & 0777) | 0400;
    }

    /** Whether a file made by {@link #create} lacks some bits of {@code mode} or has one too many. */
    boolean needsChmod(int mode) {
        return (createMode(mode) & ~umask) != (mode & 0777);
    }

    /** The process's umask, seen on a probe file at the root (Java cannot ask for it). */
    private static int umask(SecureDirectoryStream<Path> rootDir) throws IOException {
        String probe = tempName();
        try {
            rootDir.newByteChannel(
                            Path.of(probe),
                            Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS),
                            PosixFilePermissions.asFileAttribute(perms(0777)))
                    .close();
            BasicFileAttributes a = stat(rootDir, probe);
            return a instanceof java.nio.file.attribute.PosixFileAttributes px
                    ? ~mode(px.permissions()) & 0777
                    : 0777; // unknown: every file gets a chmod
        } finally {
            deleteQuietly(rootDir, probe);
        }
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

    /** Removes what an interrupted restore left in {@code dir} (names starting with {@link #TEMP}); returns how many. */
    static int removeLeftovers(SecureDirectoryStream<Path> dir, List<String> names) {
        int n = 0;
        for (String name : names) {
            if (name.startsWith(TEMP)) {
                deleteQuietly(dir, name);
                n++;
            }
        }
        return n;
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

    /** The folders opened, by relative path. */
    Map<String, SecureDirectoryStream<Path>> opened() {
        return dirs;
    }

    @Override
    public void close() {
        if (lock != null) {
            lock.close();
            lock = null;
        }
        for (SecureDirectoryStream<Path> d : dirs.values()) {
            try {
                d.close();
            } catch (IOException ignored) {
                // a read-only handle: nothing to lose
            }
        }
        dirs.clear();
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
