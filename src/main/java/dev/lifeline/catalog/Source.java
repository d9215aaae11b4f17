package dev.lifeline.catalog;

import dev.lifeline.backup.FileEntry;
import dev.lifeline.backup.Snapshot;
import dev.lifeline.backup.Vault;
import dev.lifeline.catalog.meta.ImageMeta;
import dev.lifeline.core.LifelineException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/**
 * Where a sync reads the vault from: the local repository (objects read in place), or its S3
 * mirror on a machine that has only the config (the images restored through the vault's own
 * restore into a private temp folder, read, and deleted: the mirror has no journal, and its
 * objects may be encrypted, so only the vault can give their bytes).
 */
abstract class Source {
    /** A content to read the metadata of, and one place that holds it. */
    record Need(String sha256, String snapshot, String path) {}

    final Vault vault;

    Source(Vault vault) {
        this.vault = vault;
    }

    /** Readable snapshots, oldest first. */
    abstract List<Snapshot> snapshots();

    abstract List<FileEntry> files(String snapshot);

    /** What {@code latest} holds: the newest snapshot with the journal on top. */
    abstract List<FileEntry> latest();

    abstract Map<String, Optional<ImageMeta>> read(Catalog catalog, List<Need> needs);

    abstract String describe();

    static Source local(Vault vault) {
        return new Source(vault) {
            @Override
            List<Snapshot> snapshots() {
                return vault.snapshots();
            }

            @Override
            List<FileEntry> files(String snapshot) {
                return vault.ls(snapshot, "");
            }

            @Override
            List<FileEntry> latest() {
                try {
                    return vault.ls("latest", "");
                } catch (LifelineException e) {
                    return List.of(); // no snapshot and no journal yet
                }
            }

            @Override
            Map<String, Optional<ImageMeta>> read(Catalog catalog, List<Need> needs) {
                return parallel(needs, n -> catalog.readMeta(n.sha256()));
            }

            @Override
            String describe() {
                return vault.spec().repository().toString();
            }
        };
    }

    static Source remote(Vault vault) {
        if (!vault.hasRemote()) {
            throw new LifelineException(
                    "--from-remote needs backup.remote.s3 in the config",
                    "add the remote, or rebuild from the repository");
        }
        return new Source(vault) {
            @Override
            List<Snapshot> snapshots() {
                List<Snapshot> all = new ArrayList<>(vault.remoteSnapshots());
                all.sort(Comparator.comparing(Snapshot::time).thenComparing(Snapshot::id));
                return all;
            }

            @Override
            List<FileEntry> files(String snapshot) {
                return vault.remoteLs(snapshot, "");
            }

            @Override
            List<FileEntry> latest() {
                List<Snapshot> all = snapshots();
                return all.isEmpty() ? List.of() : files(all.get(all.size() - 1).id());
            }

            @Override
            Map<String, Optional<ImageMeta>> read(Catalog catalog, List<Need> needs) {
                Map<String, List<Need>> bySnapshot = new LinkedHashMap<>();
                needs.forEach(n -> bySnapshot
                        .computeIfAbsent(n.snapshot(), k -> new ArrayList<>())
                        .add(n));
                Map<String, Optional<ImageMeta>> out = new HashMap<>();
                Path tmp;
                try {
                    tmp = Files.createTempDirectory("lifeline-catalog-"); // 0700
                } catch (IOException e) {
                    throw new LifelineException(
                            "cannot make a temp folder: " + e.getMessage(), "check free space in /tmp");
                }
                try {
                    for (Map.Entry<String, List<Need>> e : bySnapshot.entrySet()) {
                        Path dir = tmp.resolve(e.getKey());
                        List<String> patterns = e.getValue().stream()
                                .map(n -> Vault.exactPattern(n.path()))
                                .toList();
                        vault.restoreFromRemote(e.getKey(), patterns, dir, false);
                        out.putAll(parallel(e.getValue(), n -> catalog.readMetaFile(dir.resolve(n.path()))));
                    }
                } finally {
                    deleteTree(tmp);
                }
                return out;
            }

            @Override
            String describe() {
                return "the S3 mirror of " + vault.spec().repository();
            }
        };
    }

    /** Reads on two threads (one per core here): the metadata reader is the cost of indexing. */
    static Map<String, Optional<ImageMeta>> parallel(
            List<Need> needs, java.util.function.Function<Need, Optional<ImageMeta>> read) {
        Map<String, Optional<ImageMeta>> out = new HashMap<>();
        if (needs.size() < 8) {
            needs.forEach(n -> out.put(n.sha256(), read.apply(n)));
            return out;
        }
        AtomicInteger count = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(
                Math.max(2, Math.min(4, Runtime.getRuntime().availableProcessors())), r -> {
                    Thread t = new Thread(r, "lifeline-catalog-read-" + count.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                });
        try {
            List<Future<Optional<ImageMeta>>> fs = new ArrayList<>();
            for (Need n : needs) {
                fs.add(pool.submit(() -> read.apply(n)));
            }
            for (int i = 0; i < needs.size(); i++) {
                out.put(needs.get(i).sha256(), fs.get(i).get());
            }
            return out;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new LifelineException("interrupted while reading metadata", "run it again: the index catches up");
        } catch (ExecutionException e) {
            throw new IllegalStateException(e.getCause());
        } finally {
            pool.shutdownNow();
        }
    }

    static void deleteTree(Path dir) {
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) s.sorted(Comparator.reverseOrder())::iterator) {
                Files.deleteIfExists(p);
            }
        } catch (IOException ignored) {
            // a temp folder: best effort
        }
    }
}
