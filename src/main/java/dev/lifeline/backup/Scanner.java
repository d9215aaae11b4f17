package dev.lifeline.backup;

import dev.lifeline.core.Event;
import dev.lifeline.core.EventListener;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SecureDirectoryStream;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * Walks the sources and lists regular files with size, mtime and mode, and symbolic links with
 * their targets (a link is recorded, never followed), skipping excluded names.
 *
 * <p>Below each source folder nothing is reached through a link: each folder is opened relative
 * to its parent's open handle without following links ({@link SecureDirectoryStream}, {@code
 * openat}), and each entry is stat'ed relative to it ({@code fstatat}), so a folder swapped for a
 * link while walking is never entered. That also walks paths longer than {@code PATH_MAX}; an
 * entry whose full path is that long is skipped with a warning (nothing could restore it), as is
 * a folder that cannot be read. Names are bytes ({@link Names}).
 */
final class Scanner {
    /**
     * {@code link} is a symbolic link's target (null for a regular file); {@code root} the source
     * folder it lies under.
     */
    record Scanned(String path, Path file, long size, long mtimeNanos, int mode, String link, Path root) {}

    /** POSIX where there is POSIX (a basic view would report no permissions: every mode 0644). */
    private static final Class<? extends BasicFileAttributes> ATTRIBUTES =
            FileSystems.getDefault().supportedFileAttributeViews().contains("posix")
                    ? PosixFileAttributes.class
                    : BasicFileAttributes.class;

    private static final Class<? extends BasicFileAttributeView> VIEW =
            ATTRIBUTES == PosixFileAttributes.class ? PosixFileAttributeView.class : BasicFileAttributeView.class;

    private static final LinkOption[] NOFOLLOW = {LinkOption.NOFOLLOW_LINKS};

    /** Linux's PATH_MAX, with the terminating NUL: a longer path cannot be opened or created by name. */
    static final int PATH_MAX = 4096;

    private final Map<String, Path> sources;
    private final EventListener events;
    private final List<Glob> nameGlobs = new ArrayList<>();
    private final List<Glob> pathGlobs = new ArrayList<>();

    Scanner(Map<String, Path> sources, List<String> exclude, EventListener events) {
        this.sources = sources;
        this.events = events;
        for (String g : exclude) {
            Glob m = Glob.of(g);
            (m.anyDepth() ? nameGlobs : pathGlobs).add(m);
        }
    }

    /** True when {@code rel} (relative to its source) or its name matches an exclude glob. */
    boolean excluded(Path rel) {
        if (rel.getNameCount() == 0 || rel.toString().isEmpty()) {
            return false;
        }
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < rel.getNameCount(); i++) {
            if (i > 0) {
                sb.append('/');
            }
            sb.append(rel.getName(i).toString());
        }
        return excludedRel(sb.toString());
    }

    /**
     * Names Lifeline itself makes inside a source for a moment (restore's temp files and lock,
     * doctor's writable probe): never backed up, so they are never pending, stored or counted.
     */
    static final String OWN_PREFIX = ".lifeline-";

    /** Whether the last name of the '/'-separated {@code path}, from {@code from} on, is one of Lifeline's own. */
    static boolean own(String path, int from) {
        return path.startsWith(OWN_PREFIX, Math.max(from, path.lastIndexOf('/') + 1));
    }

    private boolean excludedRel(String rel) {
        if (own(rel, 0)) {
            return true;
        }
        for (Glob m : nameGlobs) {
            if (m.matchesInSource(rel)) {
                return true;
            }
        }
        for (Glob m : pathGlobs) {
            if (m.matchesInSource(rel)) {
                return true;
            }
        }
        return false;
    }

    /** The manifest path of a file inside a source, or null when it is outside every source. */
    String manifestPath(Path file) {
        for (Map.Entry<String, Path> s : sources.entrySet()) {
            if (file.startsWith(s.getValue()) && !file.equals(s.getValue())) {
                Path rel = s.getValue().relativize(file);
                StringBuilder sb = new StringBuilder(s.getKey());
                Path at = s.getValue();
                for (int i = 0; i < rel.getNameCount(); i++) {
                    at = at.resolve(rel.getName(i));
                    sb.append('/').append(Names.name(at));
                }
                return sb.toString();
            }
        }
        return null;
    }

    /** The source folder {@code file} lies under, or null. */
    Path rootOf(Path file) {
        for (Path root : sources.values()) {
            if (file.startsWith(root) && !file.equals(root)) {
                return root;
            }
        }
        return null;
    }

    /** What a walk found: the entries, and their list fingerprint as the walking threads computed it. */
    record Walk(List<Scanned> files, ListPrint print) {}

    /**
     * Lists the files; a missing source yields nothing (the caller decides what that means). The
     * first-level folders are walked by this thread and one task on {@code pool} together: a
     * no-change rescan of many files is bound by the walk (one {@code stat} per file). Entries
     * skipped (too long a path, an unreadable folder) are each named in a {@code skipped} warning.
     */
    Walk scan(java.util.concurrent.ExecutorService pool) throws IOException, InterruptedException {
        record Dir(DirectoryStream<Path> parent, Path dir, Path name, String prefix, int sourceLength, Path root) {}
        java.util.concurrent.ConcurrentLinkedQueue<Dir> queue = new java.util.concurrent.ConcurrentLinkedQueue<>();
        Walker top = new Walker();
        List<DirectoryStream<Path>> roots = new ArrayList<>();
        try {
            for (Map.Entry<String, Path> s : sources.entrySet()) {
                Path root = s.getValue();
                if (!Files.isDirectory(root)) {
                    continue;
                }
                DirectoryStream<Path> ds;
                try {
                    ds = Files.newDirectoryStream(root);
                } catch (NoSuchFileException gone) {
                    continue;
                }
                roots.add(ds);
                String prefix = s.getKey() + "/";
                int first = top.subdirs.size();
                top.root = root;
                top.list(ds, root, prefix, prefix.length());
                for (int i = first; i < top.subdirs.size(); i++) {
                    queue.add(new Dir(
                            ds,
                            top.subdirs.get(i),
                            top.subNames.get(i),
                            top.subPrefixes.get(i),
                            prefix.length(),
                            root));
                }
            }
            top.subdirs.clear();
            top.subNames.clear();
            top.subPrefixes.clear();
            java.util.function.Function<Walker, Walker> drain = w -> {
                for (Dir d; (d = queue.poll()) != null; ) {
                    w.root = d.root();
                    w.enter(d.parent(), d.dir(), d.name(), d.prefix(), d.sourceLength());
                }
                return w;
            };
            java.util.concurrent.Future<Walker> helper =
                    queue.size() > 1 ? pool.submit(() -> drain.apply(new Walker())) : null;
            try {
                drain.apply(top);
                if (helper != null) {
                    Walker other = helper.get();
                    top.out.addAll(other.out);
                    top.print.add(other.print);
                    top.skipped.addAll(other.skipped);
                }
            } catch (java.util.concurrent.ExecutionException e) {
                Throwable c = e.getCause() instanceof java.io.UncheckedIOException u ? u.getCause() : e.getCause();
                throw c instanceof IOException io ? io : new IOException(c);
            } catch (java.io.UncheckedIOException e) {
                throw e.getCause();
            }
        } finally {
            for (DirectoryStream<Path> ds : roots) {
                ds.close();
            }
        }
        for (String[] s : top.skipped) {
            events.onEvent(Event.of("backup", "skipped", Event.Level.WARN, s[1], Map.of("path", s[0])));
        }
        return new Walk(top.out, top.print);
    }

    /** One walking thread's findings. */
    private final class Walker {
        final List<Scanned> out = new ArrayList<>();
        final ListPrint print = new ListPrint();
        final List<Path> subdirs = new ArrayList<>();
        final List<Path> subNames = new ArrayList<>();
        final List<String> subPrefixes = new ArrayList<>();
        final List<String[]> skipped = new ArrayList<>();
        private final StringBuilder names = new StringBuilder(256);
        Path root;

        /** Opens {@code name} in {@code parent} (not following a link) and walks it. */
        void enter(DirectoryStream<Path> parent, Path dir, Path name, String prefix, int sourceLength) {
            DirectoryStream<Path> ds;
            try {
                ds = parent instanceof SecureDirectoryStream<Path> sds
                        ? sds.newDirectoryStream(name, NOFOLLOW)
                        : Files.newDirectoryStream(dir);
            } catch (NoSuchFileException gone) {
                return; // the folder went away while walking
            } catch (IOException e) {
                // replaced by a link (ELOOP, not followed), or unreadable
                skipped.add(new String[] {
                    prefix.substring(0, prefix.length() - 1), "folder " + dir + " skipped: " + reason(e)
                });
                return;
            }
            try (ds) {
                int first = subdirs.size();
                list(ds, dir, prefix, sourceLength);
                int last = subdirs.size();
                for (int i = first; i < last; i++) {
                    enter(ds, subdirs.get(i), subNames.get(i), subPrefixes.get(i), sourceLength);
                }
                subdirs.subList(first, subdirs.size()).clear();
                subNames.subList(first, subNames.size()).clear();
                subPrefixes.subList(first, subPrefixes.size()).clear();
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }

        /**
         * Files of one open folder into {@code out}, its subfolders (not excluded) onto the lists.
         * {@code prefix} is the folder's manifest path with a trailing slash; the first
         * {@code sourceLength} characters of it name the source.
         */
        void list(DirectoryStream<Path> ds, Path dir, String prefix, int sourceLength) {
            String d = dir.toString();
            int nameAt = d.endsWith("/") ? d.length() : d.length() + 1;
            SecureDirectoryStream<Path> sds = ds instanceof SecureDirectoryStream<Path> s ? s : null;
            try {
                for (Path p : ds) {
                    String full = p.toString();
                    names.append(prefix).append(full, nameAt, full.length());
                    if (Names.lossy(full.substring(nameAt))) {
                        names.setLength(prefix.length());
                        names.append(Names.name(p));
                    }
                    String path = names.toString();
                    names.setLength(0);
                    if (full.length() >= PATH_MAX / 4 && Names.encode(full).length >= PATH_MAX) {
                        skipped.add(new String[] {
                            path,
                            p + ": path longer than PATH_MAX (" + PATH_MAX + " bytes) skipped; nothing could restore it"
                        });
                        continue;
                    }
                    entry(sds, p, path, sourceLength);
                }
            } catch (java.nio.file.DirectoryIteratorException e) {
                skipped.add(new String[] {
                    prefix.substring(0, prefix.length() - 1),
                    "folder " + dir + " not read to the end: " + reason(e.getCause())
                });
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }

        // One method per entry, so that the JIT compiles it after a few hundred files (a loop
        // body in list() would run interpreted for the first 60,000). Paths are built by string
        // concatenation, not Path.relativize: on 100,000 files that was most of a no-change
        // rescan's CPU time in a fresh JVM.
        private void entry(SecureDirectoryStream<Path> sds, Path p, String path, int sourceLength) throws IOException {
            BasicFileAttributes a;
            Path name = null;
            try {
                if (sds != null) {
                    name = p.getFileName();
                    a = sds.getFileAttributeView(name, VIEW, NOFOLLOW).readAttributes();
                } else {
                    a = Files.readAttributes(p, ATTRIBUTES, NOFOLLOW);
                }
            } catch (NoSuchFileException gone) {
                return; // deleted while walking
            } catch (java.nio.file.AccessDeniedException e) {
                skipped.add(new String[] {path, p + " skipped: " + reason(e)});
                return;
            }
            if (a.isDirectory()) {
                if (!excluded(path, sourceLength)) {
                    subdirs.add(p);
                    subNames.add(name == null ? p.getFileName() : name);
                    subPrefixes.add(path + "/");
                }
            } else if (a.isRegularFile()) {
                if (!excluded(path, sourceLength)) {
                    add(new Scanned(
                            path,
                            p,
                            a.size(),
                            a.lastModifiedTime().to(TimeUnit.NANOSECONDS),
                            a instanceof PosixFileAttributes px ? mode(px.permissions()) : 0644,
                            null,
                            root));
                }
            } else if (a.isSymbolicLink() && !excluded(path, sourceLength)) {
                String target;
                try {
                    target = Names.target(Files.readSymbolicLink(p));
                } catch (NoSuchFileException | java.nio.file.NotLinkException changed) {
                    return; // gone or replaced while walking: the next scan sees what is there
                }
                add(new Scanned(
                        path,
                        p,
                        Names.encode(target).length,
                        a.lastModifiedTime().to(TimeUnit.NANOSECONDS),
                        0777,
                        target,
                        root));
            }
        }

        private void add(Scanned s) {
            out.add(s);
            print.add(s.path(), s.size(), s.mtimeNanos(), s.mode(), s.link() != null);
        }
    }

    private static String reason(IOException e) {
        if (e instanceof java.nio.file.FileSystemException f && f.getReason() != null) {
            return f.getReason();
        }
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }

    private boolean excluded(String path, int sourceLength) {
        if (nameGlobs.isEmpty() && pathGlobs.isEmpty()) {
            return own(path, sourceLength);
        }
        return excludedRel(path.substring(sourceLength));
    }

    /** Stats one file, as {@link #scan} would list it; null when missing, excluded, or neither a file nor a link. */
    Scanned stat(Path file) {
        String mp = manifestPath(file);
        if (mp == null) {
            return null;
        }
        Path root = rootOf(file);
        String rel = mp.substring(mp.indexOf('/') + 1);
        for (int i = rel.indexOf('/'); ; i = rel.indexOf('/', i + 1)) {
            if (excludedRel(i < 0 ? rel : rel.substring(0, i))) {
                return null;
            }
            if (i < 0) {
                break;
            }
        }
        try {
            BasicFileAttributes a = Files.readAttributes(file, ATTRIBUTES, java.nio.file.LinkOption.NOFOLLOW_LINKS);
            if (a.isSymbolicLink()) {
                String target = Names.target(Files.readSymbolicLink(file));
                return new Scanned(
                        mp,
                        file,
                        Names.encode(target).length,
                        a.lastModifiedTime().to(TimeUnit.NANOSECONDS),
                        0777,
                        target,
                        root);
            }
            if (!a.isRegularFile()) {
                return null;
            }
            return new Scanned(
                    mp,
                    file,
                    a.size(),
                    a.lastModifiedTime().to(TimeUnit.NANOSECONDS),
                    a instanceof PosixFileAttributes p ? mode(p.permissions()) : 0644,
                    null,
                    root);
        } catch (UnsupportedOperationException e) {
            return null;
        } catch (IOException e) {
            return null;
        }
    }

    static int mode(Set<PosixFilePermission> perms) {
        int m = 0;
        for (PosixFilePermission p : perms) {
            m |= 1 << (8 - p.ordinal());
        }
        return m;
    }
}
