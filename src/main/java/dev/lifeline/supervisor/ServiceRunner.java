package dev.lifeline.supervisor;

import dev.lifeline.config.ServiceSpec;
import dev.lifeline.core.Event;
import dev.lifeline.core.EventListener;
import dev.lifeline.core.Home;
import dev.lifeline.core.LifelineException;
import dev.lifeline.process.Accounts;
import dev.lifeline.process.Launcher;
import dev.lifeline.process.ProcessIdentity;
import dev.lifeline.process.ProcessInfo;
import dev.lifeline.process.ProcessTree;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * Keeps one service running: launch, readiness, liveness, exit, restart, stop. {@link Lifecycle}
 * decides; this class carries it out. State changes happen under this object's lock, and nothing
 * that waits happens inside it: events and ready-future completions queued under the lock are
 * delivered after it is released ({@link #flush}), and ending a process tree or a probe runs
 * outside it. Per-service work runs on this service's own thread, so a hung service cannot delay
 * another's checks. Each launch has a generation number so late news about an earlier process is
 * ignored.
 */
final class ServiceRunner {
    private static final long READY_POLL_MILLIS = 100;
    private static final long WATCH_MILLIS = 250;

    private final Home home;
    private final Clock clock;
    private final String source;
    private final String name;
    private final Path log;
    /** {@code LIFELINE_SERVICE=<home id>:<name>}: in the environment of every process the service starts. */
    private final String marker;

    private final ScheduledThreadPoolExecutor worker;
    /** The account in {@code user:} and the uids the service's processes may run as; resolved off the lock. */
    private volatile Optional<Accounts.Account> account;

    private volatile Set<Long> owners;
    private final ScheduledFuture<?> watch;

    private final Outbox outbox;
    private final Stopper stopper;
    private final ResourceWatch resources; // guarded by this
    private final LogRotation rotation;
    private final StateWriter stateFile; // guarded by this

    // Guarded by this.
    private final Lifecycle life;
    private final List<StateStore.Run> runs = new ArrayList<>();
    private ServiceSpec spec;
    private String launchHash;
    private long gen;
    private Process process; // null when adopted from an earlier daemon
    private ProcessIdentity identity;
    private long runOffset;
    private LogScanner scanner;
    private String killedAs = "";
    private final HealthCheck health = new HealthCheck();
    private ScheduledFuture<?> pending;
    private CompletableFuture<ServiceStatus> readyWaiters = new CompletableFuture<>();
    private int ticks;

    ServiceRunner(ServiceSpec spec, String launchHash, Home home, EventListener events, StateStore store, Clock clock) {
        this.spec = spec;
        this.launchHash = launchHash;
        this.home = home;
        this.clock = clock;
        this.name = spec.name();
        this.source = "service/" + name;
        this.log = home.serviceLog(name);
        this.marker = Launch.markerEntry(home, name);
        this.outbox = new Outbox(this, events, source);
        this.stopper = new Stopper(name, outbox);
        this.resources = new ResourceWatch(name, outbox);
        this.rotation = new LogRotation(name, log, outbox);
        this.stateFile = new StateWriter(store, name);
        this.life = new Lifecycle(spec.restart(), clock);
        this.account = Launch.account(spec);
        this.owners = Launch.owners(account);
        ScheduledThreadPoolExecutor w = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "lifeline-service-" + name);
            t.setDaemon(true);
            return t;
        });
        w.setRemoveOnCancelPolicy(true);
        this.worker = w;
        this.watch = worker.scheduleWithFixedDelay(
                () -> guarded(this::watchTick), WATCH_MILLIS, WATCH_MILLIS, TimeUnit.MILLISECONDS);
    }

    synchronized String launchHash() {
        return launchHash;
    }

    synchronized ServiceSpec spec() {
        return spec;
    }

    synchronized ServiceState state() {
        return life.state();
    }

    /**
     * Replaces the definition. With {@code restarting} (what the process runs changed; the caller
     * stops it first and starts it after) the restart count starts afresh; otherwise the new
     * settings apply to the running instance as they are.
     */
    void redefine(ServiceSpec newSpec, String newLaunchHash, boolean restarting) {
        Optional<Accounts.Account> a = Launch.account(newSpec);
        account = a;
        owners = Launch.owners(a);
        synchronized (this) {
            ServiceSpec old = spec;
            spec = newSpec;
            launchHash = newLaunchHash;
            life.redefined(newSpec.restart(), restarting);
            if (!restarting
                    && life.state() == ServiceState.READY
                    && !old.health().equals(newSpec.health())) {
                cancelPending();
                health.reset();
                long g = gen;
                newSpec.health()
                        .ifPresent(h ->
                                schedulePending(() -> pollHealth(g), h.every().toMillis()));
            }
            saveState();
        }
        flush();
    }

    // ------------------------------------------------------------------ start

    /**
     * Starts the service unless it is already running.
     *
     * @return false when it was already running (a no-op)
     */
    boolean start() {
        boolean started;
        synchronized (this) {
            started = life.startRequested();
            if (started) {
                cancelPending();
                if (readyWaiters.isDone()) {
                    readyWaiters = new CompletableFuture<>();
                }
                launch(true);
            }
        }
        flush();
        return started;
    }

    /** Checks what can be checked before anything is stopped for {@code s}; fails with the reason. */
    void preflight(ServiceSpec s) {
        Preflight.check(s, Launch.fullEnvironment(home, s));
    }

    /** Launches a new generation. Under the lock. */
    private void launch(boolean byUser) {
        Optional<LifelineException> taken = Launch.portTaken(spec);
        if (taken.isPresent()) {
            String why = taken.get().getMessage();
            emit(
                    "port-in-use",
                    Event.Level.ERROR,
                    name + ": cannot start: " + why,
                    Map.of("port", spec.port().orElseThrow()));
            if (byUser) {
                life.cannotStart(why);
                failWaiters(new LifelineException(name + ": " + why, taken.get().hint()));
                saveState();
            } else {
                carryOut(life.failedRun(why));
            }
            return;
        }
        Launcher.Started started;
        try {
            Files.createDirectories(log.getParent());
            runOffset = Files.exists(log) ? Files.size(log) : 0;
            resources.prepare(spec);
            started = Launcher.start(Launch.spec(spec, marker, log, resources.cgroup(), account));
        } catch (LifelineException | IOException e) {
            LifelineException le = e instanceof LifelineException l
                    ? l
                    : new LifelineException(
                            "cannot use log file " + log + ": " + e.getMessage(),
                            "check the permissions of " + log.getParent());
            emit("start-failed", Event.Level.ERROR, name + ": " + le.getMessage(), Map.of());
            life.cannotStart(le.getMessage());
            failWaiters(le);
            saveState();
            return;
        }
        gen++;
        process = started.process();
        identity = started.identity();
        stateFile.launched();
        killedAs = "";
        health.reset();
        scanner = spec.ready().kind() == ServiceSpec.Ready.Kind.LOG
                ? new LogScanner(log, spec.ready().logPattern(), runOffset)
                : null;
        life.launched();
        runs.add(new StateStore.Run(life.startedAt().toEpochMilli(), runOffset, identity.pid(), 0, null, ""));
        while (runs.size() > StateStore.MAX_RUNS) {
            runs.remove(0);
        }
        saveState();
        emit("started", Event.Level.INFO, name + " started, pid " + identity.pid(), Map.of("pid", identity.pid()));
        long g = gen;
        process.onExit().whenComplete((p, err) -> onWorker(() -> onExit(g, p == null ? null : p.exitValue())));
        schedulePending(() -> pollReady(g), 0);
    }

    /** Everything the current run started: its session, its marked processes, its cgroup. Under the lock. */
    private ProcessTree.Scope scope() {
        return new ProcessTree.Scope(identity.pid(), marker, identity.startTicks(), resources.cgroup(), owners);
    }

    // ------------------------------------------------------------------ readiness and liveness

    private void pollReady(long g) {
        ServiceSpec s;
        LogScanner sc;
        Instant started;
        synchronized (this) {
            if (g != gen || life.state() != ServiceState.STARTING) {
                return;
            }
            s = spec;
            sc = scanner;
            started = life.startedAt();
        }
        ServiceSpec.Ready r = s.ready();
        boolean ok = switch (r.kind()) {
            case HTTP -> Probes.http(s.port().orElseThrow(), r.httpPath(), 2000);
            case TCP -> Probes.tcp(s.port().orElseThrow(), 1000);
            case LOG -> sc != null && sc.matches();
            case NONE -> Duration.between(started, clock.instant()).compareTo(r.after()) >= 0 && stillRunning(g);
        };
        String otherPort = "";
        if (!ok && (r.kind() == ServiceSpec.Ready.Kind.HTTP || r.kind() == ServiceSpec.Ready.Kind.TCP)) {
            long off;
            synchronized (this) {
                off = runOffset;
            }
            if (Duration.between(started, clock.instant()).compareTo(r.timeout()) > 0) {
                otherPort = Readiness.otherPort(
                        LogFiles.tailFrom(log, off, 200), s.port().orElseThrow());
            }
        }
        synchronized (this) {
            if (g != gen || life.state() != ServiceState.STARTING) {
                return;
            }
            if (ok) {
                Optional<Lifecycle.Recovery> rec = life.ready(r.kind() != ServiceSpec.Ready.Kind.NONE);
                double secs = life.readySeconds();
                saveState();
                emit(
                        "ready",
                        Event.Level.INFO,
                        name + " ready" + s.port().map(p -> " on :" + p).orElse("") + " after " + fmt(secs) + "s",
                        Map.of("seconds", secs));
                rec.ifPresent(x -> emit(
                        "recovered",
                        Event.Level.INFO,
                        name + " is ready again after " + x.downSeconds() + "s down (restart " + x.restarts() + ")",
                        Map.of("restarts", x.restarts(), "downSeconds", x.downSeconds())));
                ServiceStatus st = statusLocked();
                CompletableFuture<ServiceStatus> w = readyWaiters;
                outbox.later(() -> w.complete(st));
                s.health()
                        .ifPresent(h ->
                                schedulePending(() -> pollHealth(g), h.every().toMillis()));
            } else if (Duration.between(life.startedAt(), clock.instant()).compareTo(r.timeout()) > 0) {
                String why = "not ready within " + human(r.timeout()) + " (" + Readiness.describe(s) + ")" + otherPort;
                emit("ready-timeout", Event.Level.ERROR, name + ": " + why, Map.of());
                failReadyWaiters(name + ": " + why);
                killForRestart(why, "killed-not-ready");
            } else {
                schedulePending(() -> pollReady(g), READY_POLL_MILLIS);
            }
        }
        flush();
    }

    private boolean stillRunning(long g) {
        Process p;
        ProcessIdentity id;
        synchronized (this) {
            if (g != gen) {
                return false;
            }
            p = process;
            id = identity;
        }
        return p != null ? p.isAlive() : id != null && id.isAlive();
    }

    private void pollHealth(long g) {
        ServiceSpec s;
        synchronized (this) {
            if (g != gen || life.state() != ServiceState.READY) {
                return;
            }
            s = spec;
        }
        if (s.health().isEmpty()) {
            return;
        }
        boolean ok = HealthCheck.probe(s.port().orElseThrow(), s.health().get());
        synchronized (this) {
            // The settings may have changed live while the probe ran: judge by the current ones.
            Optional<ServiceSpec.Health> now = spec.health();
            if (g != gen || life.state() != ServiceState.READY || now.isEmpty()) {
                return;
            }
            ServiceSpec.Health h = now.get();
            switch (health.record(ok, h)) {
                case OK -> {}
                case ANSWERS_AGAIN ->
                    emit("healthy-again", Event.Level.INFO, name + " answers its health check again", Map.of());
                case FAILED, UNHEALTHY ->
                    emit(
                            "health-failed",
                            Event.Level.WARN,
                            name + ": health check failed (" + health.failures() + " of " + h.failures() + "): "
                                    + HealthCheck.describe(h, s.port().orElseThrow()),
                            Map.of("failures", health.failures()));
            }
            if (health.failures() >= h.failures()) {
                String why = "unhealthy: " + health.failures() + " health checks failed in a row";
                emit("unhealthy", Event.Level.ERROR, name + " is " + why + "; restarting", Map.of());
                killForRestart(why, "killed-unhealthy");
            } else {
                schedulePending(() -> pollHealth(g), h.every().toMillis());
            }
        }
        flush();
    }

    /** Ends the current run so the exit path restarts it. Under the lock; the kill runs on the worker, off it. */
    private void killForRestart(String why, String how) {
        life.killing(why);
        killedAs = how;
        saveState();
        long g = gen;
        ProcessTree.Scope sc = scope();
        boolean adopted = process == null;
        String sig = spec.stop().signal();
        Duration timeout = spec.stop().timeout();
        onWorker(() -> {
            stopper.terminate(sc, sig, timeout);
            if (adopted) {
                onExit(g, null); // adopted: no exit event will come
            }
        });
    }

    /** Every 250 ms: adopted processes' liveness, memory restart, log rotation. */
    private void watchTick() {
        ticks++;
        long g;
        ProcessIdentity id;
        boolean adopted;
        ServiceSpec s;
        ProcessTree.Scope sc = null;
        synchronized (this) {
            s = spec;
            g = gen;
            id = identity;
            adopted = process == null;
            if (!life.state().isRunning() || id == null) {
                id = null;
            } else {
                sc = scope();
            }
        }
        if (id != null) {
            if (adopted && !id.isAlive()) {
                onExit(g, null);
                return;
            }
            if (ticks % 4 == 0) {
                checkMemory(g, sc, s);
                refreshCommand(g, id);
            }
        }
        if (ticks % 4 == 0) {
            rotation.maybeRotate(s.logs(), this::logRotated);
        }
        flush();
    }

    /** Restart-above-memory counts everything the service started, workers out of its session too. */
    private void checkMemory(long g, ProcessTree.Scope sc, ServiceSpec s) {
        Optional<ResourceWatch.Over> over = ResourceWatch.overMemory(sc, s);
        if (over.isEmpty()) {
            return;
        }
        synchronized (this) {
            if (g == gen && life.state().isRunning() && life.state() != ServiceState.UNHEALTHY) {
                String why = over.get().why();
                emit(
                        "memory-restart",
                        Event.Level.WARN,
                        name + ": " + why,
                        Map.of("rssBytes", over.get().rssBytes()));
                if (life.state() == ServiceState.STARTING) {
                    failReadyWaiters(name + ": " + why + " while it was starting");
                }
                killForRestart(why, "killed-for-memory");
            }
        }
    }

    /** The saved command line follows the process's own (setsid, prlimit and sh exec into the program). */
    private void refreshCommand(long g, ProcessIdentity id) {
        String cmd = StateWriter.commandOf(id);
        synchronized (this) {
            if (g == gen && stateFile.commandChanged(cmd) && life.state().isRunning()) {
                saveState();
            }
        }
    }

    /** Log rotation moved {@code moved} bytes out of the log: shift the offsets. Returns the scanner to tell. */
    private LogScanner logRotated(long moved) {
        synchronized (this) {
            runOffset -= moved;
            runs.replaceAll(r -> r.shifted(moved));
            saveState();
            return scanner;
        }
    }

    // ------------------------------------------------------------------ exit

    /** The main process ended (its exit event, or noticed gone when adopted). On the worker. */
    private void onExit(long g, Integer code) {
        ProcessTree.Scope sc;
        String sig;
        Duration timeout;
        synchronized (this) {
            if (g != gen || !life.state().isRunning()) {
                return; // a stop is ending it, or this exit was already handled
            }
            cancelPending();
            sc = scope();
            sig = spec.stop().signal();
            timeout = spec.stop().timeout();
            if (life.state() != ServiceState.UNHEALTHY) {
                emit(
                        "crashed",
                        code != null && code == 0 ? Event.Level.WARN : Event.Level.ERROR,
                        name + " (pid " + sc.sid() + ") " + describeExit(code),
                        code == null ? Map.of("pid", sc.sid()) : Map.of("pid", sc.sid(), "exitCode", code));
            }
        }
        flush();
        // Workers the app left behind (in its session or escaped from it) still hold the port and
        // GPU memory: end them all before a restart.
        List<ProcessInfo> left = sc.members();
        if (!left.isEmpty()) {
            emit(
                    "orphans",
                    Event.Level.WARN,
                    name + ": ending " + left.size() + " process(es) its main process left behind",
                    Map.of("count", left.size()));
            stopper.terminate(sc, sig, timeout);
        }
        synchronized (this) {
            if (g != gen || !life.state().isRunning()) {
                return;
            }
            boolean byUs = life.state() == ServiceState.UNHEALTHY;
            String how = describeExit(code);
            endRun(code, byUs ? killedAs : code != null && code == 0 ? "exited" : "crashed");
            process = null;
            failReadyWaiters(
                    byUs
                            ? name + ": " + life.reason() + " (before it was ready)"
                            : name + " " + how + " before it was ready");
            Lifecycle.Decision d = life.exited(code, how);
            identity = null;
            carryOut(d);
        }
        flush();
    }

    private void endRun(Integer code, String how) {
        if (!runs.isEmpty() && runs.get(runs.size() - 1).endedAt() == 0) {
            runs.set(runs.size() - 1, runs.get(runs.size() - 1).ended(clock.millis(), code, how));
        }
    }

    /** Does what the lifecycle decided after a run ended. Under the lock. */
    private void carryOut(Lifecycle.Decision d) {
        identity = null;
        saveState();
        if (d.action() == Lifecycle.Decision.Action.STAY_DOWN) {
            if (life.state() == ServiceState.FAILED && life.reason().startsWith("gave up")) {
                Integer code = life.lastExit();
                emit(
                        "failed",
                        Event.Level.ERROR,
                        name + " " + life.reason(),
                        code == null
                                ? Map.of()
                                : Map.of(
                                        "exitCode",
                                        code,
                                        "logTail",
                                        String.join("\n", LogFiles.tailFrom(log, runOffset, 10))));
                failReadyWaiters(name + " " + life.reason());
            }
            return;
        }
        Duration delay = d.delay();
        emit(
                "restarting",
                Event.Level.WARN,
                name + ": restarting" + (delay.isZero() ? " now" : " in " + human(delay)) + " (restart "
                        + life.restarts() + ")",
                Map.of("delayMillis", delay.toMillis(), "restarts", life.restarts()));
        if (delay.isZero()) {
            relaunch();
        } else {
            schedulePending(this::launchAfterBackoff, delay.toMillis());
        }
    }

    private void launchAfterBackoff() {
        synchronized (this) {
            if (life.state() == ServiceState.BACKOFF && life.wantRunning()) {
                relaunch();
            }
        }
        flush();
    }

    private void relaunch() {
        if (readyWaiters.isDone()) {
            readyWaiters = new CompletableFuture<>();
        }
        launch(false);
    }

    // ------------------------------------------------------------------ stop

    /** The result of a stop: the processes that would not die (empty on success). */
    record StopResult(boolean wasRunning, List<ProcessInfo> survivors, boolean portFree) {}

    /** Stops the service and everything it started; {@code why} is the reason status shows. */
    StopResult stop(String why) {
        ProcessTree.Scope sc;
        long g;
        String sig;
        Duration timeout;
        Optional<Integer> port;
        StopResult early = null;
        synchronized (this) {
            cancelPending();
            ServiceState before = life.state();
            boolean running = life.stopRequested(why);
            if (running && identity == null) {
                life.stopped(0, why);
                running = false;
            }
            failReadyWaiters(name + " was stopped");
            saveState();
            if (!running) {
                early = new StopResult(before == ServiceState.BACKOFF, List.of(), true);
                sc = null;
                g = 0;
                sig = "";
                timeout = Duration.ZERO;
                port = Optional.empty();
            } else {
                sc = scope();
                g = gen;
                sig = spec.stop().signal();
                timeout = spec.stop().timeout();
                port = spec.port();
                emit(
                        "stopping",
                        Event.Level.INFO,
                        name + ": sending " + sig + " to its processes (session " + sc.sid() + ")",
                        Map.of("pid", sc.sid()));
            }
        }
        flush();
        if (early != null) {
            return early;
        }
        flush();
        Stopper.Ended ended;
        try {
            ended = stopper.end(sc, sig, timeout, port);
        } catch (RuntimeException | Error e) {
            synchronized (this) {
                life.stopFailed("stop failed: " + e);
                saveState();
            }
            throw e;
        }
        List<ProcessInfo> survivors = ended.survivors();
        synchronized (this) {
            if (g == gen) {
                endRun(process != null && !process.isAlive() ? process.exitValue() : null, "stopped");
                life.stopped(survivors.size(), why);
                process = null;
                identity = null;
                saveState();
                resources.stopped();
                emit(
                        "stopped",
                        Event.Level.INFO,
                        name + " stopped" + (survivors.isEmpty() ? "; no process of it is left" : ""),
                        Map.of());
            }
        }
        flush();
        return new StopResult(true, survivors, ended.portFree());
    }

    // ------------------------------------------------------------------ adoption

    /**
     * Takes over a service an earlier daemon started: from its state file when the saved claim
     * checks out (same start time, and the same command line or Lifeline's marker in its
     * environment), otherwise by its marker alone (the state files were lost).
     */
    void adopt(Optional<StateStore.Saved> saved) {
        synchronized (this) {
            saved.ifPresent(s -> {
                runs.addAll(s.runs());
                life.restore(s.state(), s.reason(), s.restarts(), s.wantRunning());
            });
        }
        Adoption.Claim claim = Adoption.find(saved, marker, owners);
        Optional<ProcessInfo> ours = claim.ours();
        Optional<ProcessInfo> claimed = claim.stranger();
        if (ours.isPresent()) {
            Adoption.Found found = Adoption.Found.of(saved, ours.get());
            ProcessInfo p = found.process();
            Instant ready = found.readyAt();
            synchronized (this) {
                gen++;
                identity = p.identity();
                process = null;
                runOffset = found.runOffset(runs, log);
                if (spec.ready().kind() == ServiceSpec.Ready.Kind.LOG) {
                    scanner = new LogScanner(log, spec.ready().logPattern(), Math.max(0, runOffset));
                }
                found.newRun(runs, runOffset).ifPresent(runs::add);
                life.adopted(found.startedAt(), ready);
                emit("adopted", Event.Level.INFO, found.message(name), Map.of("pid", p.pid()));
                saveState(); // re-creates the pid file
                long g = gen;
                if (ready != null) {
                    ServiceStatus st = statusLocked();
                    CompletableFuture<ServiceStatus> w = readyWaiters;
                    outbox.later(() -> w.complete(st));
                    spec.health()
                            .ifPresent(h -> schedulePending(
                                    () -> pollHealth(g), h.every().toMillis()));
                } else {
                    schedulePending(() -> pollReady(g), 0);
                }
            }
            flush();
            return;
        }
        StateStore.Saved s = saved.orElseThrow(); // no state and nothing marked: nothing to adopt
        if (claimed.isPresent()) {
            emit("stale-pid", Event.Level.WARN, Adoption.staleMessage(name, s, claimed.get()), Map.of("pid", s.pid()));
        }
        // The main process died while no daemon watched; its workers may still run: end them.
        ProcessTree.Scope left = Adoption.leftBehind(s, claimed, marker, owners);
        if (!left.members().isEmpty()) {
            stopper.terminate(left, spec.stop().signal(), spec.stop().timeout());
        }
        synchronized (this) {
            if (life.wantRunning()) {
                endRun(null, "crashed");
                emit(
                        "crashed",
                        Event.Level.ERROR,
                        name + " (pid " + s.pid() + ") exited while no daemon watched it",
                        Map.of("pid", s.pid()));
                life.adopted(Instant.ofEpochMilli(s.startedAtMillis()), null);
                carryOut(life.failedRun("exited while no daemon watched it"));
            } else {
                if (life.state().isRunning() || life.state() == ServiceState.STOPPING) {
                    life.restore(ServiceState.STOPPED, s.reason(), s.restarts(), false);
                }
                saveState();
            }
        }
        flush();
    }

    // ------------------------------------------------------------------ status and helpers

    ServiceStatus status() {
        ServiceStatus s;
        long off;
        synchronized (this) {
            s = statusLocked();
            off = runOffset;
        }
        ProcessTree.Usage use = s.pid() == 0 ? new ProcessTree.Usage(0, 0) : ProcessTree.usage(s.pid());
        String progress = s.state() == ServiceState.STARTING ? Readiness.progress(LogFiles.tailFrom(log, off, 3)) : "";
        return new ServiceStatus(
                s.name(),
                s.state(),
                s.pid(),
                s.restarts(),
                s.uptimeSeconds(),
                s.lastExit(),
                use.rssBytes(),
                s.memoryLimitBytes(),
                s.readySeconds(),
                s.port(),
                s.reason(),
                s.log(),
                progress,
                use.cpuSeconds(),
                s.startTimeSeconds());
    }

    /** The status without anything that reads files or /proc (under the lock). */
    private ServiceStatus statusLocked() {
        long pid = identity == null ? 0 : identity.pid();
        return new ServiceStatus(
                name,
                life.state(),
                pid,
                life.restarts(),
                life.uptimeSeconds(),
                life.lastExit(),
                0,
                resources.limitBytes(),
                life.readySeconds(),
                spec.port().orElse(null),
                life.reason(),
                log.toString(),
                "",
                0,
                life.state().isRunning() && life.startedAt() != null
                        ? life.startedAt().getEpochSecond()
                        : 0);
    }

    /** Completes when ready; fails with the reason and the log's last lines when the start fails. */
    synchronized CompletableFuture<ServiceStatus> whenReady() {
        ServiceState st = life.state();
        if (st == ServiceState.READY) {
            return CompletableFuture.completedFuture(statusLocked());
        }
        if (st == ServiceState.FAILED || st == ServiceState.STOPPED) {
            return CompletableFuture.failedFuture(new LifelineException(
                    name + " is " + st.label() + (life.reason().isEmpty() ? "" : ": " + life.reason()), hint()));
        }
        return readyWaiters.copy();
    }

    synchronized Instant startedAt() {
        return life.startedAt();
    }

    /** The runs the state file keeps, oldest first. */
    synchronized List<StateStore.Run> runs() {
        return List.copyOf(runs);
    }

    /** Fails the ready future (contract C5): the reason, and the last lines of this run. Under the lock. */
    private void failReadyWaiters(String why) {
        if (!readyWaiters.isDone()) {
            failWaiters(new LifelineException(why, hint()));
        }
    }

    private String hint() {
        List<String> tail = LogFiles.tailFrom(log, runOffset, 15);
        return "log: " + log
                + (tail.isEmpty()
                        ? " (this run wrote nothing)"
                        : "; the last lines of this run:\n    " + String.join("\n    ", tail));
    }

    private void failWaiters(LifelineException e) {
        CompletableFuture<ServiceStatus> w = readyWaiters;
        outbox.later(() -> w.completeExceptionally(e));
    }

    /** Writes the state file; the pid file exists only while a process runs. Under the lock. */
    private void saveState() {
        stateFile.save(identity, launchHash, life, runs);
    }

    private void schedulePending(Runnable r, long delayMillis) {
        cancelPending();
        try {
            pending = worker.schedule(() -> guarded(r), delayMillis, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            // detached: the next daemon takes over
        }
    }

    private void onWorker(Runnable r) {
        try {
            worker.execute(() -> guarded(r));
        } catch (RejectedExecutionException e) {
            // detached: the next daemon takes over
        }
    }

    private void guarded(Runnable r) {
        try {
            r.run();
        } catch (RuntimeException e) {
            emit("internal-error", Event.Level.ERROR, name + ": " + e, Map.of());
        }
        flush();
    }

    private void cancelPending() {
        if (pending != null) {
            pending.cancel(false);
            pending = null;
        }
    }

    /** Stops this runner's thread; the service itself keeps running. */
    void detach() {
        synchronized (this) {
            cancelPending();
            watch.cancel(false);
        }
        worker.shutdownNow();
        flush();
    }

    private void emit(String type, Event.Level level, String message, Map<String, Object> fields) {
        outbox.emit(type, level, message, fields);
    }

    private void flush() {
        outbox.flush();
    }

    private static String describeExit(Integer code) {
        if (code == null) {
            return "exited while no daemon watched it (exit code unknown)";
        }
        return code > 128
                ? "was killed by signal " + (code - 128) + describeSignal(code - 128)
                : "exited with code " + code;
    }

    private static String describeSignal(int sig) {
        return switch (sig) {
            case 9 -> " (KILL: the OOM killer or someone's kill -9)";
            case 15 -> " (TERM)";
            case 6 -> " (ABRT)";
            case 11 -> " (SEGV: the program crashed)";
            default -> "";
        };
    }

    static String abbreviate(String s) {
        return s.length() > 80 ? s.substring(0, 77) + "…" : s;
    }

    static String fmt(double seconds) {
        return String.format(java.util.Locale.ROOT, "%.1f", seconds);
    }

    static String human(Duration d) {
        long ms = d.toMillis();
        if (ms < 1000) {
            return ms + "ms";
        }
        if (ms % 60_000 == 0 && ms >= 60_000) {
            return (ms / 60_000) + "m";
        }
        return ms % 1000 == 0 ? (ms / 1000) + "s" : fmt(ms / 1000.0) + "s";
    }
}
