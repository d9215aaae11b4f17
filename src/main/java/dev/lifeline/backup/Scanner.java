package dev.lifeline.backup;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.nio.file.attribute.BasicFileAttributes;
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
 */
final class Scanner {
    /** {@code link} is a symbolic link's target (null for a regular file). */
    record Scanned(String path, Path file, long size, long mtimeNanos, int mode, String link) {}

    /** POSIX where there is POSIX (a basic view would report no permissions: every mode 0644). */
    private static final Class<? extends BasicFileAttributes> ATTRIBUTES =
            FileSystems.getDefault().supportedFileAttributeViews().contains("posix")
                    ? PosixFileAttributes.class
                    : BasicFileAttributes.class;

    private static final LinkOption[] NOFOLLOW = {LinkOption.NOFOLLOW_LINKS};

    private final Map<String, Path> sources;
    private final List<PathMatcher> nameGlobs = new ArrayList<>();
    private final List<PathMatcher> pathGlobs = new ArrayList<>();

    Scanner(Map<String, Path> sources, List<String> exclude) {
        this.sources = sources;
        for (String g : exclude) {
            PathMatcher m = FileSystems.getDefault().getPathMatcher("glob:" + g);
            (g.contains("/") ? pathGlobs : nameGlobs).add(m);
        }
    }

    /** True when {@code rel} (relative to its source) or its name matches an exclude glob. */
    boolean excluded(Path rel) {
        if (rel.getNameCount() == 0 || rel.toString().isEmpty()) {
            return false;
        }
        Path name = rel.getFileName();
        for (PathMatcher m : nameGlobs) {
            if (m.matches(name)) {
                return true;
            }
        }
        for (PathMatcher m : pathGlobs) {
            if (m.matches(rel)) {
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
                return s.getKey() + "/" + rel.toString().replace('\\', '/');
            }
        }
        return null;
    }

    /** What a walk found: the entries, and their list fingerprint as the walking threads computed it. */
    record Walk(List<Scanned> files, ListPrint print) {}

    /**
     * Lists the files; a missing source yields nothing (the caller decides what that means). The
     * first-level folders are walked by this thread and one task on {@code pool} together: a
     * no-change rescan of many files is bound by the walk (one {@code stat} per file).
     */
    Walk scan(java.util.concurrent.ExecutorService pool) throws IOException, InterruptedException {
        record Dir(Path dir, String prefix, int sourceLength) {}
        java.util.concurrent.ConcurrentLinkedQueue<Dir> queue = new java.util.concurrent.ConcurrentLinkedQueue<>();
        Walker top = new Walker();
        for (Map.Entry<String, Path> s : sources.entrySet()) {
            Path root = s.getValue();
            if (!Files.isDirectory(root)) {
                continue;
            }
            String prefix = s.getKey() + "/";
            int first = top.subdirs.size();
            top.list(root, prefix, prefix.length());
            for (int i = first; i < top.subdirs.size(); i++) {
                queue.add(new Dir(top.subdirs.get(i), top.subPrefixes.get(i), prefix.length()));
            }
        }
        top.subdirs.clear();
        top.subPrefixes.clear();
        java.util.function.Function<Walker, Walker> drain = w -> {
            for (Dir d; (d = queue.poll()) != null; ) {
                w.walk(d.dir(), d.prefix(), d.sourceLength());
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
            }
        } catch (java.util.concurrent.ExecutionException e) {
            Throwable c = e.getCause() instanceof java.io.UncheckedIOException u ? u.getCause() : e.getCause();
            throw c instanceof IOException io ? io : new IOException(c);
        } catch (java.io.UncheckedIOException e) {
            throw e.getCause();
        }
        return new Walk(top.out, top.print);
    }

    /** One walking thread's findings. */
    private final class Walker {
        final List<Scanned> out = new ArrayList<>();
        final ListPrint print = new ListPrint();
        final List<Path> subdirs = new ArrayList<>();
        final List<String> subPrefixes = new ArrayList<>();
        private final StringBuilder names = new StringBuilder(256);

        void walk(Path dir, String prefix, int sourceLength) {
            int first = subdirs.size();
            list(dir, prefix, sourceLength);
            int last = subdirs.size();
            for (int i = first; i < last; i++) {
                walk(subdirs.get(i), subPrefixes.get(i), sourceLength);
            }
            subdirs.subList(first, subdirs.size()).clear();
            subPrefixes.subList(first, subPrefixes.size()).clear();
        }

        /**
         * Files of one folder into {@code out}, its subfolders (not excluded) onto the lists.
         * {@code prefix} is the folder's manifest path with a trailing slash; the first
         * {@code sourceLength} characters of it name the source.
         */
        void list(Path dir, String prefix, int sourceLength) {
            String d = dir.toString();
            int nameAt = d.endsWith("/") ? d.length() : d.length() + 1;
            try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
                for (Path p : ds) {
                    String full = p.toString();
                    entry(
                            p,
                            names.append(prefix)
                                    .append(full, nameAt, full.length())
                                    .toString(),
                            sourceLength);
                    names.setLength(0);
                }
            } catch (NoSuchFileException gone) {
                // the folder went away while walking
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }

        // One method per entry, so that the JIT compiles it after a few hundred files (a loop
        // body in list() would run interpreted for the first 60,000). Paths are built by string
        // concatenation, not Path.relativize or getFileName: on 100,000 files that was most of a
        // no-change rescan's CPU time in a fresh JVM.
        private void entry(Path p, String path, int sourceLength) throws IOException {
            BasicFileAttributes a;
            try {
                a = Files.readAttributes(p, ATTRIBUTES, NOFOLLOW);
            } catch (NoSuchFileException gone) {
                return; // deleted while walking
            }
            if (a.isDirectory()) {
                if (!excluded(p, path, sourceLength)) {
                    subdirs.add(p);
                    subPrefixes.add(path + "/");
                }
            } else if (a.isRegularFile()) {
                if (!excluded(p, path, sourceLength)) {
                    add(new Scanned(
                            path,
                            p,
                            a.size(),
                            a.lastModifiedTime().to(TimeUnit.NANOSECONDS),
                            a instanceof PosixFileAttributes px ? mode(px.permissions()) : 0644,
                            null));
                }
            } else if (a.isSymbolicLink() && !excluded(p, path, sourceLength)) {
                String target;
                try {
                    target = Files.readSymbolicLink(p).toString();
                } catch (NoSuchFileException gone) {
                    return;
                }
                add(new Scanned(
                        path,
                        p,
                        target.getBytes(java.nio.charset.StandardCharsets.UTF_8).length,
                        a.lastModifiedTime().to(TimeUnit.NANOSECONDS),
                        0777,
                        target));
            }
        }

        private void add(Scanned s) {
            out.add(s);
            print.add(s.path(), s.size(), s.mtimeNanos(), s.mode(), s.link() != null);
        }
    }

    private boolean excluded(Path p, String path, int sourceLength) {
        if (nameGlobs.isEmpty() && pathGlobs.isEmpty()) {
            return false;
        }
        String rel = path.substring(sourceLength);
        Path name = p.getFileName();
        for (PathMatcher m : nameGlobs) {
            if (m.matches(name)) {
                return true;
            }
        }
        if (!pathGlobs.isEmpty()) {
            Path r = Path.of(rel);
            for (PathMatcher m : pathGlobs) {
                if (m.matches(r)) {
                    return true;
                }
            }
        }
        return false;
    }

    /** Stats one file, as {@link #scan} would list it; null when missing, excluded, or neither a file nor a link. */
    Scanned stat(Path file) {
        String mp = manifestPath(file);
        if (mp == null) {
            return null;
        }
        for (Path root : sources.values()) {
            if (file.startsWith(root)) {
                Path rel = root.relativize(file);
                for (int i = 1; i <= rel.getNameCount(); i++) {
                    if (excluded(rel.subpath(0, i))) {
                        return null;
                    }
                }
            }
        }
        try {
            BasicFileAttributes a = Files.readAttributes(file, ATTRIBUTES, java.nio.file.LinkOption.NOFOLLOW_LINKS);
            if (a.isSymbolicLink()) {
                String target = Files.readSymbolicLink(file).toString();
                return new Scanned(
                        mp,
                        file,
                        target.getBytes(java.nio.charset.StandardCharsets.UTF_8).length,
                        a.lastModifiedTime().to(TimeUnit.NANOSECONDS),
                        0777,
                        target);
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
                    null);
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
