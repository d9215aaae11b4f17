package dev.lifeline.backup;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * The newest snapshot of a repository, by its id (ids begin with their UTC second), for {@code
 * status}: one {@code stat} of {@code snapshots/} per call; the folder is listed again only when
 * its modification time changed, and a manifest's head is read only when several snapshots were
 * cut in the newest second.
 * A listing taken within a second of the folder's last change is not trusted for the next call
 * (a file system with coarse timestamps may show the same time after one more snapshot).
 */
final class LatestSnapshot {
    /** The newest id and its time, or none. */
    record Found(Optional<String> id, Optional<Instant> time) {
        static final Found NONE = new Found(Optional.empty(), Optional.empty());
    }

    private record Cached(long modifiedNanos, Found found) {}

    private static final long RACY_NANOS = 1_000_000_000L;
    private final Path folder;
    private volatile Cached cached;

    LatestSnapshot(Path repository) {
        this.folder = new Layout(repository).snapshots();
    }

    Found read() {
        long modified;
        try {
            BasicFileAttributes a = Files.readAttributes(folder, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            if (!a.isDirectory()) {
                return Found.NONE;
            }
            modified = nanos(a.lastModifiedTime().toInstant());
        } catch (IOException e) {
            return Found.NONE; // no repository yet
        }
        Cached c = cached;
        if (c != null && c.modifiedNanos() == modified) {
            return c.found();
        }
        long listedAt = nanos(Instant.now());
        Found f = list();
        // racing writers only cost a second listing: the newer answer wins the next call anyway
        cached = listedAt - modified > RACY_NANOS ? new Cached(modified, f) : null;
        return f;
    }

    private Found list() {
        // ids begin with their second: the newest second's ids, and among several cut in that
        // second, the one Vault calls latest (by the manifest's own time, then id)
        List<String> newest = new ArrayList<>();
        try (var s = Files.newDirectoryStream(folder, "*.json")) {
            for (Path p : s) {
                String name = p.getFileName().toString();
                String id = name.substring(0, name.length() - ".json".length());
                if (!Layout.SNAPSHOT_ID.matcher(id).matches()) {
                    continue;
                }
                int c = newest.isEmpty() ? 1 : second(id).compareTo(second(newest.get(0)));
                if (c > 0) {
                    newest.clear();
                }
                if (c >= 0) {
                    newest.add(id);
                }
            }
        } catch (IOException | RuntimeException e) {
            return Found.NONE;
        }
        if (newest.isEmpty()) {
            return Found.NONE;
        }
        if (newest.size() == 1) {
            return new Found(Optional.of(newest.get(0)), Optional.of(Repository.idTime(newest.get(0))));
        }
        Snapshot best = null;
        for (String id : newest) {
            Path p = folder.resolve(id + ".json");
            try (InputStream in = Files.newInputStream(p, LinkOption.NOFOLLOW_LINKS)) {
                Snapshot s = Manifest.decodeHead(in, p.getFileName().toString()).summary();
                if (best == null
                        || Comparator.comparing(Snapshot::time)
                                        .thenComparing(Snapshot::id)
                                        .compare(s, best)
                                > 0) {
                    best = s;
                }
            } catch (IOException | RuntimeException e) {
                // pruned meanwhile, or unreadable: not the latest
            }
        }
        return best == null ? Found.NONE : new Found(Optional.of(best.id()), Optional.of(best.time()));
    }

    private static String second(String id) {
        return id.substring(0, 15);
    }

    private static long nanos(Instant t) {
        return t.getEpochSecond() * 1_000_000_000L + t.getNano();
    }
}
