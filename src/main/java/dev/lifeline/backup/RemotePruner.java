package dev.lifeline.backup;

import dev.lifeline.config.BackupSpec.Retention;
import dev.lifeline.core.Event;
import dev.lifeline.core.EventListener;
import dev.lifeline.core.LifelineException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;

/**
 * Applies retention to the S3 mirror, in the same interruption-safe order as {@link Pruner}: the
 * dropped manifests go first, then objects that no manifest still in the bucket names. The set of
 * objects in use is read from the bucket's own manifests (another machine may have pushed to the
 * same prefix), and the manifests are listed again just before objects are deleted, so one that
 * appeared meanwhile keeps its objects.
 *
 * <p>A remote snapshot is dropped when retention, applied to the bucket's own snapshot list, does
 * not keep it and the local repository does not keep it either. So a fresh local repository
 * (a rebuilt machine) never wipes the bucket's history, and a snapshot kept locally stays mirrored.
 */
final class RemotePruner {
    private final Remote remote;
    private final EventListener events;
    private final ExecutorService pool;

    RemotePruner(Remote remote, EventListener events, ExecutorService pool) {
        this.remote = remote;
        this.events = events;
        this.pool = pool;
    }

    PruneResult run(Retention retention, Set<String> keptLocally, boolean dryRun)
            throws IOException, InterruptedException {
        Map<String, String> keys = remote.manifestKeys();
        Map<String, Manifest> manifests = read(keys);
        List<Snapshot> all = new ArrayList<>();
        manifests.values().forEach(m -> all.add(m.summary()));
        all.sort(Comparator.comparing(Snapshot::time).thenComparing(Snapshot::id));
        Set<String> keep = new HashSet<>(RetentionPolicy.keep(all, retention));
        keep.addAll(keptLocally);
        List<String> kept = new ArrayList<>();
        List<String> removed = new ArrayList<>();
        Set<String> referenced = new HashSet<>();
        for (Snapshot s : all) {
            if (keep.contains(s.id())) {
                kept.add(s.id());
                manifests.get(s.id()).files().forEach(f -> referenced.add(remote.objectKey(f.sha256())));
            } else {
                removed.add(s.id());
            }
        }
        if (!dryRun) {
            for (String id : removed) {
                remote.bucket().delete(keys.get(id));
            }
            // a manifest pushed meanwhile (from another machine) keeps its objects
            Map<String, String> now = remote.manifestKeys();
            now.keySet().removeAll(keys.keySet());
            read(now).values().forEach(m -> m.files().forEach(f -> referenced.add(remote.objectKey(f.sha256()))));
        }
        Map<String, Long> objects = remote.bucket().sizes(remote.objectsPrefix());
        Map<String, Future<Void>> deletes = new LinkedHashMap<>();
        long deleted = 0;
        long freed = 0;
        for (Map.Entry<String, Long> o : new java.util.TreeMap<>(objects).entrySet()) {
            String key = o.getKey();
            if (referenced.contains(key) || !remote.isObjectKey(key)) {
                continue;
            }
            deleted++;
            freed += o.getValue();
            if (!dryRun) {
                deletes.put(key, pool.submit(() -> {
                    remote.bucket().delete(key);
                    return null;
                }));
            }
        }
        for (Map.Entry<String, Future<Void>> d : deletes.entrySet()) {
            try {
                d.getValue().get();
            } catch (ExecutionException e) {
                throw e.getCause() instanceof IOException io
                        ? io
                        : new IOException("deleting " + d.getKey() + " failed: " + e.getCause(), e.getCause());
            }
        }
        events.onEvent(Event.of(
                "backup",
                "pruned-remote",
                Event.Level.INFO,
                (dryRun ? "would remove " : "removed ") + removed.size() + " snapshot(s) and " + deleted
                        + " object(s) from " + remote.describe(),
                Map.of("snapshots", removed.size(), "objects", deleted, "bytes", freed)));
        return new PruneResult(dryRun, kept, removed, deleted, freed);
    }

    /** Every manifest, in full; any that cannot be read stops the prune before it deletes anything more. */
    private Map<String, Manifest> read(Map<String, String> keys) throws InterruptedException {
        Map<String, Future<Manifest>> reads = new LinkedHashMap<>();
        for (String id : keys.keySet()) {
            reads.put(id, pool.submit(() -> remote.manifest(id)));
        }
        Map<String, Manifest> out = new LinkedHashMap<>();
        for (Map.Entry<String, Future<Manifest>> r : reads.entrySet()) {
            try {
                out.put(r.getKey(), r.getValue().get());
            } catch (ExecutionException e) {
                throw new LifelineException(
                        "cannot read remote snapshot " + r.getKey() + " ("
                                + e.getCause().getMessage() + "), so prune cannot tell which remote objects are in use",
                        "run 'lifeline backup verify --from remote'; no remote object was deleted");
            }
        }
        return out;
    }
}
