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

    /** Lists the files; a missing source yields nothing (the caller decides what that means). */
    List<Scanned> scan() throws IOException {
        List<Scanned> out = new ArrayList<>();
        for (Map.Entry<String, Path> s : sources.entrySet()) {
            Path root = s.getValue();
            if (Files.isDirectory(root)) {
                walk(root, "", s.getKey() + "/", out);
            }
        }
        return out;
    }

    /**
     * Like {@link #scan()}, but the first-level folders are walked by this thread and one task on
     * {@code pool} together (a no-change rescan of many files is bound by the walk).
     */
    List<Scanned> scan(java.util.concurrent.ExecutorService pool) throws IOException, InterruptedException {
        record Dir(Path dir, String rel, String prefix) {}
        java.util.concurrent.ConcurrentLinkedQueue<Dir> queue = new java.util.concurrent.ConcurrentLinkedQueue<>();
        List<Scanned> top = new ArrayList<>();
        for (Map.Entry<String, Path> s : sources.entrySet()) {
            Path root = s.getValue();
            if (!Files.isDirectory(root)) {
                continue;
            }
            List<Path> subdirs = new ArrayList<>();
            List<String> rels = new ArrayList<>();
            list(root, "", s.getKey() + "/", top, subdirs, rels);
            for (int i = 0; i < subdirs.size(); i++) {
                queue.add(new Dir(subdirs.get(i), rels.get(i), s.getKey() + "/"));
            }
        }
        java.util.concurrent.Callable<List<Scanned>> drain = () -> {
            List<Scanned> mine = new ArrayList<>();
            for (Dir d; (d = queue.poll()) != null; ) {
                walk(d.dir(), d.rel(), d.prefix(), mine);
            }
            return mine;
        };
        java.util.concurrent.Future<List<Scanned>> helper = queue.size() > 1 ? pool.submit(drain) : null;
        List<Scanned> out = top;
        try {
            out.addAll(drain.call());
            if (helper != null) {
                out.addAll(helper.get());
            }
        } catch (java.util.concurrent.ExecutionException e) {
            throw e.getCause() instanceof IOException io ? io : new IOException(e.getCause());
        } catch (IOException | InterruptedException | RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IOException(e);
        }
        return out;
    }

    // Paths are built by string concatenation rather than Path.relativize: on 100,000 files
    // that is most of a no-change rescan's CPU time in a fresh JVM.
    private void walk(Path dir, String rel, String prefix, List<Scanned> out) throws IOException {
        List<Path> subdirs = new ArrayList<>();
        List<String> subRels = new ArrayList<>();
        list(dir, rel, prefix, out, subdirs, subRels);
        for (int i = 0; i < subdirs.size(); i++) {
            walk(subdirs.get(i), subRels.get(i), prefix, out);
        }
    }

    /** Files of one folder into {@code out}, its subfolders (not excluded) into the lists. */
    private void list(Path dir, String rel, String prefix, List<Scanned> out, List<Path> subdirs, List<String> subRels)
            throws IOException {
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            for (Path p : ds) {
                String name = p.getFileName().toString();
                BasicFileAttributes a;
                try {
                    a = Files.readAttributes(p, ATTRIBUTES, LinkOption.NOFOLLOW_LINKS);
                } catch (NoSuchFileException gone) {
                    continue; // deleted while walking
                }
                String r = rel + name;
                if (a.isDirectory()) {
                    if (!excluded(p, r)) {
                        subdirs.add(p);
                        subRels.add(r + "/");
                    }
                } else if (a.isRegularFile() && !excluded(p, r)) {
                    out.add(new Scanned(
                            prefix + r,
                            p,
                            a.size(),
                            a.lastModifiedTime().to(TimeUnit.NANOSECONDS),
                            a instanceof PosixFileAttributes px ? mode(px.permissions()) : 0644,
                            null));
                } else if (a.isSymbolicLink() && !excluded(p, r)) {
                    String target;
                    try {
                        target = Files.readSymbolicLink(p).toString();
                    } catch (NoSuchFileException gone) {
                        continue;
                    }
                    out.add(new Scanned(
                            prefix + r,
                            p,
                            target.getBytes(java.nio.charset.StandardCharsets.UTF_8).length,
                            a.lastModifiedTime().to(TimeUnit.NANOSECONDS),
                            0777,
                            target));
                }
            }
        } catch (NoSuchFileException gone) {
            // the folder went away while walking
        }
    }

    private boolean excluded(Path p, String rel) {
        if (nameGlobs.isEmpty() && pathGlobs.isEmpty()) {
            return false;
        }
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
