package dev.lifeline.backup;

import dev.lifeline.config.BackupSpec;
import dev.lifeline.core.EventListener;
import dev.lifeline.core.LifelineException;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.function.Supplier;

/**
 * The vault's operations on its S3 mirror ({@code backup.remote.s3}): each connects with the
 * config, runs its step ({@link Remote#push}, {@link RemoteVerifier}, {@link RemotePruner}, a
 * restore from the bucket) on a pool of its own, and words what failed with the next step to take.
 * It also owns the repository's remote lock, which keeps a push and a remote prune apart.
 *
 * <p>Defaults: 4 threads per operation, waits up to 2 minutes for the remote lock, a remote prune
 * spares unreferenced objects younger than 6 hours.
 */
final class Mirror {
    /** Restores a snapshot read from the bucket (the facade's restore, with its wording of failures). */
    interface Restore {
        RestoreResult from(SnapshotSource src, Manifest m);
    }

    private final BackupSpec spec;
    private final Remote.Factory remotes;
    private final Map<String, String> env;
    private final EventListener events;
    private final Clock clock;
    private final Layout layout;
    // test seams; fixed in production
    volatile Duration lockWait = Vault.LOCK_WAIT;
    volatile Duration pruneGrace = RemotePruner.GRACE;
    volatile Remote.PushHook pushHook = Remote.PushHook.NONE;

    Mirror(
            BackupSpec spec,
            Remote.Factory remotes,
            Map<String, String> env,
            EventListener events,
            Clock clock,
            Layout layout) {
        this.spec = spec;
        this.remotes = remotes;
        this.env = env;
        this.events = events;
        this.clock = clock;
        this.layout = layout;
    }

    /** Takes the remote lock, which keeps a push and a remote prune of this repository's mirror apart. */
    WriterLock lock(String what) {
        return WriterLock.acquire(layout.remoteLock(), lockWait, events, WriterLock.Kind.REMOTE, what);
    }

    /** Mirrors every snapshot of {@code repo} not yet in the bucket, objects first. */
    PushResult push(Repository repo) {
        // Not the writer lock, so backups and the watcher go on during a long upload; the remote
        // lock keeps a prune of this repository (local and remote) out until the manifests are up.
        WriterLock lock = lock("push");
        try (Remote remote = Remote.connect(spec, remotes, env, true)) {
            ExecutorService pool = Vault.newPool("upload", 4);
            try {
                // A prune --local-only may still run meanwhile: it can only remove objects of
                // snapshots it drops; their uploads fail, and those manifests are never uploaded.
                return remote.push(repo, events, pool, pushHook);
            } catch (IOException e) {
                throw Vault.failure(spec.repository(), "upload to " + remote.describe(), e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new LifelineException("the upload was interrupted; the next push resumes it", null, e);
            } finally {
                pool.shutdownNow();
            }
        } finally {
            lock.close();
        }
    }

    List<Snapshot> snapshots() {
        try (Remote remote = Remote.connect(spec, remotes, env, false)) {
            return remote.snapshots();
        } catch (IOException e) {
            throw Vault.failure(spec.repository(), "listing remote snapshots", e);
        }
    }

    List<FileEntry> ls(String ref, String path) {
        try (Remote remote = Remote.connect(spec, remotes, env, false)) {
            return Snapshots.under(
                    remote.manifest(Snapshots.resolve(remote, ref)).files(), path);
        } catch (IOException e) {
            throw Vault.failure(spec.repository(), "reading a remote snapshot", e);
        }
    }

    VerifyResult verify(double samplePercent) {
        try (Remote remote = Remote.connect(spec, remotes, env, false)) {
            ExecutorService pool = Vault.newPool("verify-remote", 4);
            try {
                return new RemoteVerifier(remote, events, pool).run(samplePercent);
            } catch (IOException e) {
                throw Vault.failure(spec.repository(), "verify of " + remote.describe(), e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new LifelineException("verify was interrupted", null, e);
            } finally {
                pool.shutdownNow();
            }
        }
    }

    RestoreResult restore(String ref, Restore restore) {
        try (Remote remote = Remote.connect(spec, remotes, env, false)) {
            String id = Snapshots.resolve(remote, ref);
            Manifest m;
            try {
                m = remote.manifest(id);
            } catch (IOException e) {
                throw Vault.failure(spec.repository(), "reading remote snapshot " + id, e);
            }
            return restore.from(remote, m);
        }
    }

    /**
     * A prune of the repository and then of the bucket. Unless it is a dry run, it holds the remote
     * lock, taken first, from before the local part until the remote part ends, so it never
     * overlaps a push of this repository; if a push holds the lock beyond the wait, it fails before
     * pruning anything.
     *
     * @param local the local prune (it takes the writer lock for itself)
     */
    PruneResult prune(boolean dryRun, Supplier<PruneResult> local) {
        WriterLock lock = null;
        if (!dryRun) {
            try {
                lock = lock("prune");
            } catch (LifelineException e) {
                throw new LifelineException(
                        "prune did not start: " + e.getMessage(),
                        (e.hint() == null ? "" : e.hint() + "; or ")
                                + "prune only this machine with 'lifeline backup prune --local-only'",
                        e);
            }
        }
        try {
            PruneResult done = local.get();
            try {
                return done.withRemote(pruneRemote(done, dryRun));
            } catch (LifelineException e) {
                throw new LifelineException(
                        (dryRun ? "" : "the local prune is done, but ") + "the remote prune failed: " + e.getMessage(),
                        (e.hint() == null ? "" : e.hint() + "; ")
                                + "then run 'lifeline backup prune' again (safe to repeat)",
                        e);
            }
        } finally {
            if (lock != null) {
                lock.close();
            }
        }
    }

    /** Applies {@code backup.retention} to the bucket, keeping what the local prune kept. */
    private PruneResult pruneRemote(PruneResult local, boolean dryRun) {
        Remote remote = Remote.connectIfPresent(spec, remotes, env);
        if (remote == null) {
            return new PruneResult(dryRun, List.of(), List.of(), 0, 0); // nothing pushed yet
        }
        ExecutorService pool = Vault.newPool("prune-remote", 4);
        try (remote) {
            return new RemotePruner(remote, events, pool, clock, pruneGrace)
                    .run(spec.retention(), new HashSet<>(local.kept()), dryRun);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new LifelineException("interrupted", "every remote snapshot still has its objects", e);
        } catch (IOException e) {
            throw new LifelineException(
                    "on " + remote.describe() + ": " + e.getMessage(),
                    "check the network and the bucket's credentials; every remote snapshot still has its objects",
                    e);
        } finally {
            pool.shutdownNow();
        }
    }
}
