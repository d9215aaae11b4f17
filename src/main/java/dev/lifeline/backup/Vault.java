package dev.lifeline.backup;

import dev.lifeline.config.BackupSpec;
import dev.lifeline.core.EventListener;
import dev.lifeline.core.LifelineException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;
import java.util.stream.Stream;
import javax.imageio.ImageIO;

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
    private final ReentrantLock inProcess = new ReentrantLock();
    private final Remote.Factory remotes;
    private final Map<String, String> env;
    // test seams; fixed in production
    private volatile Duration remoteLockWait = LOCK_WAIT;
    private volatile Duration remotePruneGrace = RemotePruner.GRACE;
    private volatile long[] restoreFlush = {Restorer.FLUSH_BYTES, Restorer.FLUSH_FILES};
    private volatile Remote.PushHook pushHook = Remote.PushHook.NONE;

    Vault(
            BackupSpec spec,
            EventListener events,
            Clock clock,
            ObjectStore.WriteHook hook,
            Remote.Factory remotes,
            Map<String, String> env) {
        this.spec = spec;
        this.env = env;
        this.events = events;
        this.clock = clock;
        this.remotes = remotes;
        this.sources = sourceNames(spec.sources());
        Layout layout = new Layout(spec.repository());
        this.repo = new Repository(layout, new ObjectStore(layout, new RateLimiter(spec.bandwidth()), hook), sources);
        this.scanner = new Scanner(sources, spec.exclude(), events);
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

    EventListener events() {
        return events;
    }

    /** How long a push or remote prune waits for the remote lock (tests). */
    Vault remoteLockWait(Duration wait) {
        this.remoteLockWait = wait;
        return this;
    }

    /** How young an unreferenced remote object must be for a remote prune to keep it (tests). */
    Vault remotePruneGrace(Duration grace) {
        this.remotePruneGrace = grace;
        return this;
    }

    /** After how many bytes or files a restore flushes and names what it wrote (tests). */
    Vault restoreFlushEvery(long bytes, int files) {
        this.restoreFlush = new long[] {bytes, files};
        return this;
    }

    /** Runs between a push's objects and its manifests (tests). */
    Vault pushHook(Remote.PushHook hook) {
        this.pushHook = hook;
        return this;
    }

    /** Takes the remote lock, which keeps a push and a remote prune of this repository's mirror apart. */
    WriterLock remoteLock(String what) {
        return WriterLock.acquire(repo.layout().remoteLock(), remoteLockWait, events, WriterLock.Kind.REMOTE, what);
    }

    // ------------------------------------------------------------------ writing

    interface Locked<T> {
        T run() throws IOException, InterruptedException;
    }

    /** Runs {@code body} holding the in-process and the on-disk writer lock. */
    <T> T locked(String what, Locked<T> body) {
        try {
            if (!inProcess.tryLock(LOCK_WAIT.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS)) {
                throw new LifelineException(
                        "the repository is busy with another operation in this process", "retry later");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new LifelineException("interrupted before " + what, null, e);
        }
        try {
            RepositoryPermissions.tighten(repo.layout(), events);
            repo.create();
            WriterLock lock = WriterLock.acquire(repo.layout().lock(), LOCK_WAIT, events, WriterLock.Kind.WRITER, what);
            try {
                return body.run();
            } finally {
                repo.store().releaseFolders();
                lock.close();
            }
        } catch (IOException e) {
            throw failure(what, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new LifelineException(what + " was interrupted; the repository is consistent, run it again", null, e);
        } finally {
            inProcess.unlock();
        }
    }

    LifelineException failure(String what, IOException e) {
        String msg = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        boolean full = msg.toLowerCase(Locale.ROOT).contains("no space left")
                || msg.toLowerCase(Locale.ROOT).contains("quota");
        String hint = full
                ? "free space on the disk holding " + spec.repository()
                        + " (or prune old snapshots), then run it again; the repository is consistent"
                : e instanceof FileSystemException
                        ? "check that the folders exist and are writable; the repository is consistent, run it again"
                        : "the repository is consistent; run it again, and 'lifeline backup verify' if it keeps failing";
        return new LifelineException(what + " failed: " + msg, hint, e);
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
                        return new BackupRun(repo, scanner, events, clock, pool).run(true);
                    } finally {
                        pool.shutdownNow();
                    }
                });
    }

    /** Stores what changed into the journal without cutting a snapshot (the watcher's reconciling scan). */
    record Reconciled(List<FileEntry> stored, List<Path> unsettled) {}

    Reconciled reconcile(java.util.function.Predicate<Scanner.Scanned> settled) {
        return locked("reconciling scan", () -> {
            ExecutorService pool = pool("hash");
            try {
                BackupRun run = new BackupRun(repo, scanner, events, clock, pool);
                run.run(false, settled);
                return new Reconciled(run.stored(), run.unsettled());
            } finally {
                pool.shutdownNow();
            }
        });
    }

    /** What {@link #storeFiles} did: the entries stored, and the files it could not store, with why. */
    record Stored(List<FileEntry> entries, List<Path> failed, String reason) {}

    /**
     * Stores these files now and records them in the journal (the watcher's path). When the
     * batch does not fit (a full disk), the files are stored one by one, smallest first, so that
     * what fits is stored; the rest are returned as failed.
     */
    Stored storeFiles(List<Path> files, ExecutorService pool) {
        return locked("storing " + files.size() + " new file(s)", () -> {
            List<Scanner.Scanned> scanned = new ArrayList<>();
            for (Path f : files) {
                Scanner.Scanned s = scanner.stat(f);
                if (s != null) {
                    scanned.add(s);
                }
            }
            BackupRun run = new BackupRun(repo, scanner, events, clock, pool);
            List<FileEntry> stored = new ArrayList<>();
            List<Path> failed = new ArrayList<>();
            String reason = null;
            try {
                stored.addAll(run.storeBatch(scanned, new long[2]));
            } catch (IOException e) {
                if (!isDiskFull(e) || scanned.size() <= 1) {
                    throw e;
                }
                reason = message(e);
                List<Scanner.Scanned> bySize = new ArrayList<>(scanned);
                bySize.sort(Comparator.comparingLong(Scanner.Scanned::size));
                for (Scanner.Scanned s : bySize) {
                    try {
                        stored.addAll(run.storeBatch(List.of(s), new long[2]));
                    } catch (IOException one) {
                        if (!isDiskFull(one)) {
                            throw one;
                        }
                        failed.add(s.file());
                    }
                }
            }
            if (!stored.isEmpty()) {
                repo.journal().append(stored);
            }
            return new Stored(stored, failed, reason);
        });
    }

    static boolean isDiskFull(IOException e) {
        String m = message(e).toLowerCase(Locale.ROOT);
        return m.contains("no space left") || m.contains("quota");
    }

    private static String message(IOException e) {
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
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
     * RemotePruner}). Unless it is a dry run, that whole prune holds the remote lock, taken first,
     * so it never overlaps a push of this repository (if one holds the lock beyond the wait, it
     * fails before pruning anything); the writer lock is held for the local part only.
     */
    public PruneResult prune(boolean dryRun, boolean localOnly) {
        repo.requireExists();
        boolean remote = !localOnly && hasRemote();
        WriterLock remoteLock = null;
        if (remote && !dryRun) {
            try {
                remoteLock = remoteLock("prune");
            } catch (LifelineException e) {
                throw new LifelineException(
                        "prune did not start: " + e.getMessage(),
                        (e.hint() == null ? "" : e.hint() + "; or ")
                                + "prune only this machine with 'lifeline backup prune --local-only'",
                        e);
            }
        }
        try {
            PruneResult local = locked("prune", () -> new Pruner(repo, events).run(spec.retention(), dryRun));
            if (!remote) {
                return local;
            }
            try {
                return local.withRemote(pruneRemote(local, dryRun));
            } catch (LifelineException e) {
                throw new LifelineException(
                        (dryRun ? "" : "the local prune is done, but ") + "the remote prune failed: " + e.getMessage(),
                        (e.hint() == null ? "" : e.hint() + "; ")
                                + "then run 'lifeline backup prune' again (safe to repeat)",
                        e);
            }
        } finally {
            if (remoteLock != null) {
                remoteLock.close();
            }
        }
    }

    private PruneResult pruneRemote(PruneResult local, boolean dryRun) {
        Remote remote = Remote.connectIfPresent(spec, remotes, env);
        if (remote == null) {
            return new PruneResult(dryRun, List.of(), List.of(), 0, 0); // nothing pushed yet
        }
        ExecutorService pool = pool("prune-remote", 4);
        try (remote) {
            return new RemotePruner(remote, events, pool, clock, remotePruneGrace)
                    .run(spec.retention(), new java.util.HashSet<>(local.kept()), dryRun);
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
            Repository.Heads heads = repo.readHeads();
            List<Snapshot> out = new ArrayList<>();
            for (int i = 0; i < heads.ok().size(); i++) {
                Snapshot s = heads.ok().get(i).summary();
                // each is checked for a cut-short end (one small read); the newest, latest, is read whole
                if (i == heads.ok().size() - 1 || !repo.looksWhole(s.id())) {
                    try {
                        repo.manifest(s.id());
                    } catch (IOException e) {
                        s = s.corrupt(e.getMessage());
                    }
                }
                out.add(s);
            }
            for (Repository.Bad b : heads.bad()) {
                out.add(new Snapshot(
                        b.id(), Repository.idTime(b.id()), -1, -1, "", null, Snapshot.Status.CORRUPT, b.problem()));
            }
            out.sort(Comparator.comparing(Snapshot::time).thenComparing(Snapshot::id));
            List<FileEntry> journal = repo.journal().read();
            if (!journal.isEmpty()) {
                Snapshot live = live(journal).summary();
                out.add(new Snapshot(
                        live.id(),
                        live.time(),
                        live.files(),
                        live.bytes(),
                        live.host(),
                        live.parent(),
                        Snapshot.Status.PENDING,
                        null));
            }
            return out;
        } catch (IOException e) {
            throw failure("listing snapshots", e);
        }
    }

    /** "latest", a full id, or a unique prefix of one. */
    public String resolve(String ref) {
        return resolve(repo, ref);
    }

    static String resolve(SnapshotSource src, String ref) {
        List<Snapshot> all;
        try {
            all = src.snapshots();
        } catch (IOException e) {
            throw new LifelineException("cannot list snapshots in " + src.describe() + ": " + e.getMessage(), null, e);
        }
        if (all.isEmpty()) {
            throw new LifelineException(
                    "there are no snapshots in " + src.describe(), "run 'lifeline backup now' first");
        }
        if (ref.equals("latest")) {
            return all.get(all.size() - 1).id();
        }
        List<String> hits =
                all.stream().map(Snapshot::id).filter(id -> id.startsWith(ref)).toList();
        if (hits.size() == 1) {
            return hits.get(0);
        }
        throw new LifelineException(
                hits.isEmpty()
                        ? "no snapshot '" + ref + "' in " + src.describe()
                        : "'" + ref + "' matches " + hits.size() + " snapshots",
                "list them with 'lifeline backup snapshots', or use 'latest'");
    }

    /**
     * A local snapshot: an id, a unique prefix, {@value #PENDING}, or "latest" — the newest
     * readable snapshot with the files stored since it (the journal) on top. A newer manifest that
     * cannot be read is skipped with a warning naming it.
     */
    Manifest manifest(String ref) {
        repo.requireExists();
        try {
            if (ref.equals("latest") || ref.equals(PENDING)) {
                List<FileEntry> journal = repo.journal().read();
                if (!journal.isEmpty()) {
                    return live(journal);
                }
                if (ref.equals(PENDING)) {
                    throw new LifelineException(
                            "nothing is pending in " + repo.describe() + ": every stored file is in a snapshot",
                            "list them with 'lifeline backup snapshots'");
                }
                Manifest m = newestReadable();
                if (m == null) {
                    throw new LifelineException(
                            "there are no readable snapshots in " + repo.describe(),
                            repo.readHeads().bad().isEmpty()
                                    ? "run 'lifeline backup now' first"
                                    : "'lifeline backup now' writes a complete new one; 'lifeline backup snapshots'"
                                            + " lists the corrupt ones");
                }
                return m;
            }
            Repository.Heads heads = repo.readHeads();
            for (Repository.Bad b : heads.bad()) {
                if (b.id().equals(ref)) {
                    throw corrupt(b.id(), b.problem());
                }
            }
            String id = resolve(ref);
            try {
                return repo.manifest(id);
            } catch (java.nio.file.NoSuchFileException e) {
                throw new LifelineException(
                        "snapshot " + id + " is gone (pruned meanwhile?)",
                        "list them with 'lifeline backup snapshots'");
            } catch (IOException e) {
                throw corrupt(id, e.getMessage());
            }
        } catch (IOException e) {
            throw failure("reading snapshots", e);
        }
    }

    private LifelineException corrupt(String id, String problem) {
        return new LifelineException(
                "snapshot " + id + " cannot be read: " + problem,
                "restore an older snapshot ('lifeline backup snapshots' lists them) or this one with --from remote;"
                        + " the next 'lifeline backup now' writes a complete new snapshot");
    }

    /** The newest snapshot whose manifest reads whole; warns about each newer one that does not. */
    private Manifest newestReadable() throws IOException {
        Repository.Heads heads = repo.readHeads();
        Repository.Bad bad = heads.newestIfBad();
        List<String> skipped = new ArrayList<>();
        if (bad != null) {
            skipped.add(bad.id() + " (" + bad.problem() + ")");
        }
        Manifest found = null;
        for (int i = heads.ok().size() - 1; i >= 0 && found == null; i--) {
            String id = heads.ok().get(i).summary().id();
            try {
                found = repo.manifest(id);
            } catch (IOException e) {
                skipped.add(id + " (" + e.getMessage() + ")");
            }
        }
        if (!skipped.isEmpty()) {
            events.onEvent(dev.lifeline.core.Event.of(
                    "backup",
                    "snapshot-corrupt",
                    dev.lifeline.core.Event.Level.WARN,
                    "snapshot(s) " + String.join(", ", skipped) + " cannot be read; latest is "
                            + (found == null ? "none" : found.id())
                            + ", the newest readable one; 'lifeline backup now' writes a complete new snapshot",
                    Map.of("corrupt", skipped.size())));
        }
        return found;
    }

    /** The newest readable snapshot with the journal's files on top (a stored file replaces its older entry). */
    private Manifest live(List<FileEntry> journal) throws IOException {
        Manifest base = newestReadable();
        Map<String, FileEntry> files = new java.util.TreeMap<>();
        if (base != null) {
            base.files().forEach(f -> files.put(f.path(), f));
        }
        journal.forEach(f -> files.put(f.path(), f));
        java.time.Instant when = repo.journal().modified();
        return new Manifest(
                PENDING,
                when == null ? clock.instant() : when,
                Repository.hostName(),
                base == null ? null : base.id(),
                base == null ? repo.sourcePaths() : base.sources(),
                new ArrayList<>(files.values()));
    }

    /**
     * Every local snapshot (and "journal") that names one of these objects, by object: what a
     * missing or corrupt object takes with it.
     */
    private Map<String, List<String>> neededBy(SnapshotSource src, java.util.Set<String> shas) {
        Map<String, List<String>> out = new HashMap<>();
        try {
            for (Snapshot s : src.snapshots()) {
                try {
                    for (FileEntry f : src.manifest(s.id()).files()) {
                        if (shas.contains(f.sha256())) {
                            List<String> l = out.computeIfAbsent(f.sha256(), k -> new ArrayList<>());
                            if (l.isEmpty() || !l.get(l.size() - 1).equals(s.id())) {
                                l.add(s.id());
                            }
                        }
                    }
                } catch (IOException e) {
                    // an unreadable manifest: verify reports it
                }
            }
            if (src == repo) {
                for (FileEntry f : repo.journal().read()) {
                    if (shas.contains(f.sha256())) {
                        List<String> l = out.computeIfAbsent(f.sha256(), k -> new ArrayList<>());
                        if (!l.contains("journal")) {
                            l.add("journal");
                        }
                    }
                }
            }
        } catch (IOException e) {
            // the list is a courtesy: the files themselves are already named
        }
        return out;
    }

    /** Files of a snapshot under {@code path} (a folder prefix or a glob; empty for all). */
    public List<FileEntry> ls(String ref, String path) {
        List<FileEntry> files = manifest(ref).files();
        return path == null || path.isEmpty() ? files : Restorer.select(files, List.of(path));
    }

    public DiffResult diff(String a, String b) {
        Manifest ma = manifest(a);
        Manifest mb = manifest(b);
        Map<String, FileEntry> left = new HashMap<>();
        ma.files().forEach(f -> left.put(f.path(), f));
        List<String> added = new ArrayList<>();
        List<String> changed = new ArrayList<>();
        for (FileEntry f : mb.files()) {
            FileEntry o = left.remove(f.path());
            if (o == null) {
                added.add(f.path());
            } else if (!o.sha256().equals(f.sha256())) {
                changed.add(f.path());
            }
        }
        List<String> removed = new ArrayList<>(left.keySet());
        removed.sort(Comparator.naturalOrder());
        return new DiffResult(ma.id(), mb.id(), added, removed, changed);
    }

    /** The snapshot as {@code sha256sum -c} input: run it inside the folder it was restored to. */
    public List<String> sums(String ref) {
        List<String> out = new ArrayList<>();
        for (FileEntry f : manifest(ref).files()) {
            if (f.link() != null) {
                continue; // sha256sum would hash what the link points to
            }
            String p = f.path();
            if (p.indexOf('\\') >= 0 || p.indexOf('\n') >= 0) {
                out.add("\\" + f.sha256() + "  " + p.replace("\\", "\\\\").replace("\n", "\\n"));
            } else {
                out.add(f.sha256() + "  " + p);
            }
        }
        return out;
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
        if (r.complete()) {
            return r;
        }
        java.util.Set<String> shas = new java.util.HashSet<>();
        r.unrestored().forEach(u -> shas.add(u.sha256()));
        Map<String, List<String>> needed = neededBy(src, shas);
        List<RestoreResult.Unrestored> named = new ArrayList<>();
        for (RestoreResult.Unrestored u : r.unrestored()) {
            named.add(new RestoreResult.Unrestored(
                    u.path(), u.sha256(), u.problem(), needed.getOrDefault(u.sha256(), List.of())));
        }
        return new RestoreResult(
                r.snapshot(),
                r.target(),
                r.files(),
                r.bytes(),
                r.took(),
                r.alreadyThere(),
                r.leftoversRemoved(),
                named);
    }

    /** Restores the latest snapshot into a temp folder, checks every hash and decodes every image, then cleans up. */
    public DrillResult drill(Path scratchParent) {
        repo.requireExists();
        long t0 = System.nanoTime();
        Manifest latest = manifest("latest");
        String id = latest.id();
        Path dir;
        try {
            Files.createDirectories(scratchParent);
            dir = Files.createTempDirectory(scratchParent, "lifeline-drill-");
        } catch (IOException e) {
            throw failure("creating the drill folder", e);
        }
        List<String> problems = new ArrayList<>();
        long images = 0;
        try {
            RestoreResult r;
            try {
                r = restoreFrom(repo, latest, List.of(), dir, false);
            } catch (LifelineException e) {
                problems.add(e.getMessage());
                return new DrillResult(id, 0, 0, 0, problems, Duration.ofNanos(System.nanoTime() - t0));
            }
            java.util.Set<String> lost = new java.util.HashSet<>();
            for (RestoreResult.Unrestored u : r.unrestored()) {
                problems.add(u.path() + ": " + u.problem());
                lost.add(u.path());
            }
            for (FileEntry f : latest.files()) {
                if (f.link() != null || lost.contains(f.path())) {
                    continue; // a link was restored as a link (its object was checked): nothing to decode
                }
                String lower = f.path().toLowerCase(Locale.ROOT);
                if (lower.endsWith(".png")
                        || lower.endsWith(".jpg")
                        || lower.endsWith(".jpeg")
                        || lower.endsWith(".gif")
                        || lower.endsWith(".bmp")) {
                    images++;
                    try (InputStream in = Files.newInputStream(Names.resolve(dir, f.path()))) {
                        if (ImageIO.read(in) == null) {
                            problems.add(f.path() + ": not a decodable image");
                        }
                    } catch (IOException | RuntimeException e) {
                        problems.add(f.path() + ": image does not decode: " + e.getMessage());
                    }
                }
            }
            return new DrillResult(
                    id, r.files(), r.bytes(), images, problems, Duration.ofNanos(System.nanoTime() - t0));
        } finally {
            deleteTree(dir);
        }
    }

    static void deleteTree(Path dir) {
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) s.sorted(Comparator.reverseOrder())::iterator) {
                try {
                    Files.deleteIfExists(p);
                } catch (NoSuchFileException ignored) {
                    // gone
                }
            }
        } catch (IOException ignored) {
            // best effort: it is a temp folder
        }
    }

    // ------------------------------------------------------------------ remote

    public boolean hasRemote() {
        return spec.s3().isPresent();
    }

    /** Mirrors every snapshot not yet in the bucket, objects first; resumes what an earlier push left. */
    public PushResult push() {
        repo.requireExists();
        // Not the writer lock, so backups and the watcher go on during a long upload; the remote
        // lock keeps a prune of this repository (local and remote) out until the manifests are up.
        WriterLock lock = remoteLock("push");
        try (Remote remote = Remote.connect(spec, remotes, env, true)) {
            ExecutorService pool = pool("upload", 4);
            try {
                // A prune --local-only may still run meanwhile: it can only remove objects of
                // snapshots it drops; their uploads fail, and those manifests are never uploaded.
                return remote.push(repo, events, pool, pushHook);
            } catch (IOException e) {
                throw failure("upload to " + remote.describe(), e);
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

    /** Snapshots in the bucket, readable on a machine that has only the config. */
    public List<Snapshot> remoteSnapshots() {
        try (Remote remote = Remote.connect(spec, remotes, env, false)) {
            return remote.snapshots();
        } catch (IOException e) {
            throw failure("listing remote snapshots", e);
        }
    }

    /** Files of a snapshot in the bucket under {@code path} (a folder prefix or a glob; empty for all). */
    public List<FileEntry> remoteLs(String ref, String path) {
        try (Remote remote = Remote.connect(spec, remotes, env, false)) {
            String id = resolve(remote, ref);
            List<FileEntry> files = remote.manifest(id).files();
            return path == null || path.isEmpty() ? files : Restorer.select(files, List.of(path));
        } catch (IOException e) {
            throw failure("reading a remote snapshot", e);
        }
    }

    /**
     * Checks that every object a manifest in the bucket names is there with the right size; with
     * {@code readData} (or a sample) downloads, decrypts and hashes them. Needs no local repository.
     */
    public VerifyResult verifyRemote(boolean readData, double samplePercent) {
        double pct = readData ? 100 : samplePercent;
        try (Remote remote = Remote.connect(spec, remotes, env, false)) {
            ExecutorService pool = pool("verify-remote", 4);
            try {
                return new RemoteVerifier(remote, events, pool).run(pct);
            } catch (IOException e) {
                throw failure("verify of " + remote.describe(), e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new LifelineException("verify was interrupted", null, e);
            } finally {
                pool.shutdownNow();
            }
        }
    }

    /** Restores from the bucket alone: no local repository needed. */
    public RestoreResult restoreFromRemote(String ref, List<String> patterns, Path target, boolean overwrite) {
        try (Remote remote = Remote.connect(spec, remotes, env, false)) {
            String id = resolve(remote, ref);
            Manifest m;
            try {
                m = remote.manifest(id);
            } catch (IOException e) {
                throw failure("reading remote snapshot " + id, e);
            }
            return restoreFrom(remote, m, patterns, target, overwrite);
        }
    }

    ExecutorService pool(String what) {
        return pool(what, Math.max(2, Math.min(4, Runtime.getRuntime().availableProcessors())));
    }

    ExecutorService pool(String what, int threads) {
        AtomicInteger n = new AtomicInteger();
        return Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "lifeline-vault-" + what + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }
}
