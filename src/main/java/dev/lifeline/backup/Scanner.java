package dev.lifeline.backup;

import java.io.IOException;
import java.nio.file.FileSystems;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * Walks the sources and lists regular files with size, mtime and mode, skipping excluded names
 * and symbolic links (a link is not followed out of the source).
 */
final class Scanner {
    record Scanned(String path, Path file, long size, long mtimeNanos, int mode) {}

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
            if (!Files.isDirectory(root)) {
                continue;
            }
            String prefix = s.getKey() + "/";
            Files.walkFileTree(root, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) {
                    return !dir.equals(root) && excluded(root.relativize(dir))
                            ? FileVisitResult.SKIP_SUBTREE
                            : FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes a) {
                    if (!a.isRegularFile()) {
                        return FileVisitResult.CONTINUE;
                    }
                    Path rel = root.relativize(file);
                    if (excluded(rel)) {
                        return FileVisitResult.CONTINUE;
                    }
                    out.add(new Scanned(
                            prefix + rel.toString().replace('\\', '/'),
                            file,
                            a.size(),
                            a.lastModifiedTime().to(TimeUnit.NANOSECONDS),
                            a instanceof PosixFileAttributes p ? mode(p.permissions()) : 0644));
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFileFailed(Path file, IOException e) throws IOException {
                    if (e instanceof NoSuchFileException) {
                        return FileVisitResult.CONTINUE; // deleted while walking
                    }
                    throw e;
                }
            });
        }
        return out;
    }

    /** Stats one file, as {@link #scan} would list it; null when missing, excluded or not regular. */
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
            BasicFileAttributes a =
                    Files.readAttributes(file, PosixFileAttributes.class, java.nio.file.LinkOption.NOFOLLOW_LINKS);
            if (!a.isRegularFile()) {
                return null;
            }
            return new Scanned(
                    mp,
                    file,
                    a.size(),
                    a.lastModifiedTime().to(TimeUnit.NANOSECONDS),
                    a instanceof PosixFileAttributes p ? mode(p.permissions()) : 0644);
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
