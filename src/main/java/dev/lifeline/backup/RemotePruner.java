package dev.lifeline.backup;

import dev.lifeline.backup.s3.Bucket;
import dev.lifeline.config.BackupSpec.Retention;
import dev.lifeline.core.Event;
import dev.lifeline.core.EventListener;
import dev.lifeline.core.LifelineException;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
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
 *
 * <p>An unreferenced object whose LastModified is later than the prune's start minus {@code grace}
 * is kept: a push from another machine to the same prefix uploads its objects long before its
 * manifest, and until then nothing names them. An object whose listing has no LastModified is
 * kept too. (A push from this repository is kept out by the remote lock, see {@link Vault#push}.)
 *
 * <p>Defaults: grace 6 hours.
 */
final class RemotePruner {
    static final Duration GRACE = Duration.ofHours(6);

    private final Remote remote;
    private final EventListener events;
    private final ExecutorService pool;
    private final Clock clock;
    private final Duration grace;

    RemotePruner(Remote remote, EventListener events, ExecutorService pool, Clock clock, Duration grace) {
        this.remote = remote;
        this.events = events;
        this.pool = pool;
        this.clock = clock;
        this.grace = grace;
    }

    PruneResult run(Retention retention, Set<String> keptLocally, boolean dryRun)
            throws IOException, InterruptedException {
        // objects written after this may belong to a push whose manifest is not up yet
        Instant cutoff = clock.instant().minus(grace);
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
        Map<String, Bucket.Entry> objects = remote.bucket().listing(remote.objectsPrefix());
        List<String> doomed = new ArrayList<>();
        long deleted = 0;
        long freed = 0;
        long recent = 0;
        for (Map.Entry<String, Bucket.Entry> o : new TreeMap<>(objects).entrySet()) {
            String key = o.getKey();
            if (referenced.contains(key) || !remote.isObjectKey(key)) {
                continue;
            }
            Instant modified = o.getValue().lastModified();
            if (modified == null || modified.isAfter(cutoff)) {
                recent++; // fail safe: unknown age counts as recent
                continue;
            }
            deleted++;
            freed += o.getValue().size();
            if (!dryRun) {
                doomed.add(key);
            }
        }
        // in batches (S3: one request per 1,000 keys), the batches side by side
        List<Future<Void>> deletes = new ArrayList<>();
        for (int from = 0; from < doomed.size(); from += Bucket.DELETE_BATCH) {
            List<String> batch = doomed.subList(from, Math.min(doomed.size(), from + Bucket.DELETE_BATCH));
            deletes.add(pool.submit(() -> {
                remote.bucket().deleteAll(batch);
                return null;
            }));
        }
        for (Future<Void> d : deletes) {
            try {
                d.get();
            } catch (ExecutionException e) {
                throw e.getCause() instanceof IOException io
                        ? io
                        : new IOException("deleting objects failed: " + e.getCause(), e.getCause());
            }
        }
        // an upload interrupted longer ago than the grace will not be resumed: its parts go too
        int aborted = dryRun ? 0 : remote.bucket().abortUploads(remote.objectsPrefix(), cutoff);
        events.onEvent(Event.of(
                "backup",
                "pruned-remote",
                Event.Level.INFO,
                (dryRun ? "would remove " : "removed ") + removed.size() + " snapshot(s) and " + deleted
                        + " object(s) from " + remote.describe()
                        + (recent == 0
                                ? ""
                                : "; kept " + recent + " recent unreferenced object(s) (written in the last "
                                        + human(grace) + ", perhaps by a push still under way elsewhere)")
                        + (aborted == 0
                                ? ""
                                : "; aborted " + aborted + " unfinished upload(s) older than " + human(grace)),
                Map.of(
                        "snapshots", removed.size(),
                        "objects", deleted,
                        "bytes", freed,
                        "recentKept", recent,
                        "uploadsAborted", aborted)));
        return new PruneResult(dryRun, kept, removed, deleted, freed, recent, Optional.empty());
    }

    static String human(Duration d) {
        if (d.toMinutes() > 0 && d.toSecondsPart() == 0) {
            return d.toMinutesPart() == 0 ? d.toHours() + " h" : d.toMinutes() + " min";
        }
        return d.toSeconds() + " s";
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
