package dev.lifeline.backup;

import dev.lifeline.config.BackupSpec;
import dev.lifeline.core.EventListener;
import dev.lifeline.core.LifelineException;
import java.io.IOException;
import java.nio.file.FileSystemException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The backup vault's facade: every operation the CLI, the daemon and the dashboard need. Works
 * directly on the repository folder, taking the writer lock for anything that writes, so it
 * needs no daemon.
 *
 * <p>A push and a remote prune take the repository's remote lock instead ({@code remote.lock}, the
 * same mechanism), so they exclude each other without holding up backups and the watcher.
 *
 * <p>Defaults: 2 hashing threads (one per core here), waits up to 2 minutes for the writer lock
 * and for the remote lock; a remote prune spares unreferenced objects younger than 6 hours.
 */
public final class Vault {
    static final Duration LOCK_WAIT = Duration.ofMinutes(2);

    private final BackupSpec spec;
    private final EventListener events;
    private final Clock clock;
    private final Repository repo;
    private final Map<String, Path> sources;
    private final Scanner scanner;
    private final Snapshots snapshots;
    private final WriterAccess writer;
    private final Mirror mirror;
    // test seam; fixed in production
    private volatile long[] restoreFlush = {Restorer.FLUSH_BYTES, Restorer.FLUSH_FILES};

    Vault(
            BackupSpec spec,
            EventListener events,
            Clock clock,
            ObjectStore.WriteHook hook,
            Remote.Factory remotes,
            Map<String, String> env) {
        this.spec = spec;
        this.events = events;
        this.clock = clock;
        this.sources = sourceNames(spec.sources());
        Layout layout = new Layout(spec.repository());
        this.repo = new Repository(layout, new ObjectStore(layout, new RateLimiter(spec.bandwidth()), hook), sources);
        this.scanner = new Scanner(sources, spec.exclude(), events);
        this.snapshots = new Snapshots(repo, events, clock);
        this.writer = new WriterAccess(repo, events);
        this.mirror = new Mirror(spec, remotes, env, events, clock, layout);
    }

    /** A restore or {@code ls} pattern that matches exactly {@code path}: every glob character escaped. */
    public static String exactPattern(String path) {
        return Glob.quote(path);
    }

    public static Vault open(BackupSpec spec, EventListener events) {
        return new Vault(
                spec, events, Clock.systemUTC(), ObjectStore.WriteHook.NONE, Remote.Factory.S3, System.getenv());
    }

    public BackupSpec spec() {
        return spec;
    }

    /** Source folder names as they appear as the first path element in snapshots. */
    static Map<String, Path> sourceNames(List<Path> sources) {
        Map<String, Path> m = new LinkedHashMap<>();
        for (Path p : sources) {
            Path abs = p.toAbsolutePath().normalize();
            String base = abs.getFileName() == null ? "root" : abs.getFileName().toString();
            String name = base;
            for (int i = 2; m.containsKey(name); i++) {
                name = base + "-" + i;
            }
            m.put(name, abs);
        }
        return m;
    }

    Repository repository() {
        return repo;
    }

    Scanner scanner() {
        return scanner;
    }

    /** How long a push or remote prune waits for the remote lock (tests). */
    Vault remoteLockWait(Duration wait) {
        mirror.lockWait = wait;
        return this;
    }

    /** How young an unreferenced remote object must be for a remote prune to keep it (tests). */
    Vault remotePruneGrace(Duration grace) {
        mirror.pruneGrace = grace;
        return this;
    }

    /** After how many bytes or files a restore flushes and names what it wrote (tests). */
    Vault restoreFlushEvery(long bytes, int files) {
        this.restoreFlush = new long[] {bytes, files};
        return this;
    }

    /** Runs between a push's objects and its manifests (tests). */
    Vault pushHook(Remote.PushHook hook) {
        mirror.pushHook = hook;
        return this;
    }

    // ------------------------------------------------------------------ writing

    /** Runs {@code body} holding the in-process and the on-disk writer lock (see {@link WriterAccess}). */
    <T> T locked(String what, WriterAccess.Body<T> body) {
        return writer.locked(what, body);
    }

    LifelineException failure(String what, IOException e) {
        return failure(spec.repository(), what, e);
    }

    /** {@code what} failed, worded with the next step: free space when the disk holding {@code repository} is full. */
    static LifelineException failure(Path repository, String what, IOException e) {
        String msg = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        boolean full = msg.toLowerCase(Locale.ROOT).contains("no space left")
                || msg.toLowerCase(Locale.ROOT).contains("quota");
        String hint = full
                ? "free space on the disk holding " + repository
                        + " (or prune old snapshots), then run it again; the repository is consistent"
                : e instanceof FileSystemException
                        ? "check that the folders exist and are writable; the repository is consistent, run it again"
                        : "the repository is consistent; run it again, and 'lifeline backup verify' if it keeps failing";
        return new LifelineException(what + " failed: " + msg, hint, e);
    }

    /** A backup run on {@code pool}, for the caller to run under {@link #locked}. */
    BackupRun run(ExecutorService pool) {
        return new BackupRun(repo, scanner, events, clock, pool);
    }

    /** Scans the sources, stores what changed and cuts a snapshot (none when nothing changed). */
    public BackupResult backup() {
        return locked(
                "backup of "
                        + String.join(
                                ", ",
                                sources.values().stream().map(Path::toString).toList()),
                () -> {
                    ExecutorService pool = pool("hash", 4);
                    try {
                        return run(pool).run(true);
                    } finally {
                        pool.shutdownNow();
                    }
                });
    }

    /**
     * Checks every object a snapshot or the journal needs (each hashed), and stores each missing
     * or corrupt one again from a source file that still hashes to its name. What no source holds
     * any more is listed in {@link RepairResult#remaining()}.
     */
    public RepairResult repair() {
        repo.requireExists();
        return locked("repair", () -> {
            ExecutorService pool = pool("repair");
            try {
                return new Repairer(repo, scanner, events, pool).run();
            } finally {
                pool.shutdownNow();
            }
        });
    }

    /** Applies {@code backup.retention} locally and, when configured, to the S3 mirror. */
    public PruneResult prune(boolean dryRun) {
        return prune(dryRun, false);
    }

    /**
     * Applies {@code backup.retention}; deletes only objects no kept snapshot needs. Then, unless
     * {@code localOnly} or no remote is configured, does the same to the S3 mirror (see {@link
     * Mirror#prune}: that whole prune holds the remote lock, so it never overlaps a push of this
     * repository); the writer lock is held for the local part only.
     */
    public PruneResult prune(boolean dryRun, boolean localOnly) {
        repo.requireExists();
        java.util.function.Supplier<PruneResult> local =
                () -> locked("prune", () -> new Pruner(repo, events).run(spec.retention(), dryRun));
        return localOnly || !hasRemote() ? local.get() : mirror.prune(dryRun, local);
    }

    // ------------------------------------------------------------------ reading

    /**
     * The id of the files stored since the last snapshot (the journal): {@code latest} is the
     * latest snapshot with these files on top, so an image the watcher stored is restorable at
     * once, not only after the next snapshot.
     */
    public static final String PENDING = "pending";

    /** The readable snapshots, oldest first (see {@link #listing} for the corrupt ones and the pending files). */
    public List<Snapshot> snapshots() {
        repo.requireExists();
        try {
            return repo.snapshots();
        } catch (IOException e) {
            throw failure("listing snapshots", e);
        }
    }

    /**
     * Every snapshot as {@code backup snapshots} shows it, oldest first: manifests that cannot be
     * read are marked {@link Snapshot.Status#CORRUPT} (every head is read and every end checked,
     * and the newest readable one is read in full, since it is {@code latest}; {@code verify}
     * reads all of them), and when files
     * were stored since the last snapshot a last row {@link #PENDING} counts what {@code latest}
     * holds with them.
     */
    public List<Snapshot> listing() {
        repo.requireExists();
        try {
            return snapshots.listing();
        } catch (IOException e) {
            throw failure("listing snapshots", e);
        }
    }

    /** "latest", a full id, or a unique prefix of one. */
    public String resolve(String ref) {
        return Snapshots.resolve(repo, ref);
    }

    /**
     * A local snapshot: an id, a unique prefix, {@value #PENDING}, or "latest" — the newest
     * readable snapshot with the files stored since it (the journal) on top. A newer manifest that
     * cannot be read is skipped with a warning naming it.
     */
    Manifest manifest(String ref) {
        repo.requireExists();
        try {
            return snapshots.manifest(ref);
        } catch (IOException e) {
            throw failure("reading snapshots", e);
        }
    }

    /** Files of a snapshot under {@code path} (a folder prefix or a glob; empty for all). */
    public List<FileEntry> ls(String ref, String path) {
        return Snapshots.under(manifest(ref).files(), path);
    }

    public DiffResult diff(String a, String b) {
        return Snapshots.diff(manifest(a), manifest(b));
    }

    /** The snapshot as {@code sha256sum -c} input: run it inside the folder it was restored to. */
    public List<String> sums(String ref) {
        return Snapshots.sums(manifest(ref));
    }

    public VerifyResult verify(boolean readData, double samplePercent) {
        repo.requireExists();
        double pct = readData ? 100 : samplePercent;
        ExecutorService pool = pool("verify");
        try {
            return new Verifier(repo, events, pool).run(pct);
        } catch (IOException e) {
            throw failure("verify", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new LifelineException("verify was interrupted", null, e);
        } finally {
            pool.shutdownNow();
        }
    }

    /**
     * Restores files of a snapshot under {@code target}. A file whose object is missing, corrupt
     * or unreadable is not written and is named in {@link RestoreResult#unrestored()} with every
     * snapshot that needs its object; every other file is restored.
     *
     * @param ref an id, a unique prefix, {@value #PENDING}, or "latest" (which includes the files
     *     stored since the last snapshot)
     * @param patterns path prefixes or globs of manifest paths; empty for everything
     */
    public RestoreResult restore(String ref, List<String> patterns, Path target, boolean overwrite) {
        return restoreFrom(repo, manifest(ref), patterns, target, overwrite);
    }

    RestoreResult restoreFrom(SnapshotSource src, Manifest m, List<String> patterns, Path target, boolean overwrite) {
        ExecutorService pool = pool("restore", 4);
        RestoreResult r;
        try {
            r = new Restorer(src, events, pool, restoreFlush[0], (int) restoreFlush[1])
                    .restore(m, patterns, target.toAbsolutePath().normalize(), overwrite);
        } catch (IOException e) {
            String msg = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
            throw new LifelineException(
                    "restore of " + m.id() + " into " + target + " failed: " + msg,
                    "files already restored are whole and checked; fix the cause (free space, permissions) and run"
                            + " it again: it keeps them and writes the rest",
                    e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new LifelineException(
                    "restore was interrupted; files already written are complete and checked", null, e);
        } finally {
            pool.shutdownNow();
        }
        return r.complete() ? r : r.withNeededBy(snapshots.neededBy(src, r.lostObjects()));
    }

    /** Restores the latest snapshot into a temp folder, checks every hash and decodes every image, then cleans up. */
    public DrillResult drill(Path scratchParent) {
        repo.requireExists();
        long t0 = System.nanoTime();
        Manifest latest = manifest("latest");
        try {
            return Drill.run(latest, scratchParent, dir -> restoreFrom(repo, latest, List.of(), dir, false), t0);
        } catch (IOException e) {
            throw failure("creating the drill folder", e);
        }
    }

    static void deleteTree(Path dir) {
        Drill.deleteTree(dir);
    }

    // ------------------------------------------------------------------ remote

    public boolean hasRemote() {
        return spec.s3().isPresent();
    }

    /** Mirrors every snapshot not yet in the bucket, objects first; resumes what an earlier push left. */
    public PushResult push() {
        repo.requireExists();
        return mirror.push(repo);
    }

    /** Snapshots in the bucket, readable on a machine that has only the config. */
    public List<Snapshot> remoteSnapshots() {
        return mirror.snapshots();
    }

    /** Files of a snapshot in the bucket under {@code path} (a folder prefix or a glob; empty for all). */
    public List<FileEntry> remoteLs(String ref, String path) {
        return mirror.ls(ref, path);
    }

    /**
     * Checks that every object a manifest in the bucket names is there with the right size; with
     * {@code readData} (or a sample) downloads, decrypts and hashes them. Needs no local repository.
     */
    public VerifyResult verifyRemote(boolean readData, double samplePercent) {
        return mirror.verify(readData ? 100 : samplePercent);
    }

    /** Restores from the bucket alone: no local repository needed. */
    public RestoreResult restoreFromRemote(String ref, List<String> patterns, Path target, boolean overwrite) {
        return mirror.restore(ref, (src, m) -> restoreFrom(src, m, patterns, target, overwrite));
    }

    ExecutorService pool(String what) {
        return pool(what, Math.max(2, Math.min(4, Runtime.getRuntime().availableProcessors())));
    }

    ExecutorService pool(String what, int threads) {
        return newPool(what, threads);
    }

    /** A fixed pool of daemon threads named {@code lifeline-vault-<what>-<n>}. */
    static ExecutorService newPool(String what, int threads) {
        AtomicInteger n = new AtomicInteger();
        return Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "lifeline-vault-" + what + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }
}
