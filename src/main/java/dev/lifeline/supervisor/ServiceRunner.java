package dev.lifeline.supervisor;

import dev.lifeline.config.ServiceSpec;
import dev.lifeline.core.Event;
import dev.lifeline.core.EventListener;
import dev.lifeline.core.Home;
import dev.lifeline.core.LifelineException;
import dev.lifeline.process.LaunchSpec;
import dev.lifeline.process.Launcher;
import dev.lifeline.process.MemoryCgroup;
import dev.lifeline.process.Ports;
import dev.lifeline.process.ProcessIdentity;
import dev.lifeline.process.ProcessInfo;
import dev.lifeline.process.ProcessTree;
import dev.lifeline.process.Procfs;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Keeps one service running: launch, readiness, liveness, exit, backoff, stop. All state changes
 * happen under this object's lock; anything that may block (ending a process tree, a probe) runs
 * outside it, so {@code status} always answers at once. Each launch has a generation number so
 * that late news about an earlier process is ignored.
 */
final class ServiceRunner {
    private static final long READY_POLL_MILLIS = 100;
    private static final long WATCH_MILLIS = 250;

    private final Home home;
    private final EventListener events;
    private final ScheduledExecutorService timer;
    private final StateStore store;
    private final Clock clock;
    private final String source;

    private ServiceSpec spec;
    private String specHash;
    private Backoff backoff;
    private ServiceState state = ServiceState.STOPPED;
    private long gen;
    private Process process; // null when adopted from an earlier daemon
    private ProcessIdentity identity;
    private Instant startedAt;
    private Instant readyAt;
    private double readySeconds = -1;
    private int restarts;
    private Integer lastExit;
    private String reason = "";
    private boolean wantRunning;
    private int healthFailures;
    private final long[] logOffset = {0};
    private ScheduledFuture<?> pending;
    private ScheduledFuture<?> watch;
    private CompletableFuture<ServiceStatus> readyWaiters = new CompletableFuture<>();
    private int ticks;
    private Optional<MemoryCgroup> cgroup = Optional.empty();
    private boolean warnedAtStart;

    ServiceRunner(
            ServiceSpec spec,
            String specHash,
            Home home,
            EventListener events,
            ScheduledExecutorService timer,
            StateStore store,
            Clock clock) {
        this.spec = spec;
        this.specHash = specHash;
        this.home = home;
        this.events = events;
        this.timer = timer;
        this.store = store;
        this.clock = clock;
        this.source = "service/" + spec.name();
        this.backoff = new Backoff(spec.restart());
        this.watch = timer.scheduleWithFixedDelay(this::watchTick, WATCH_MILLIS, WATCH_MILLIS, TimeUnit.MILLISECONDS);
    }

    synchronized String specHash() {
        return specHash;
    }

    synchronized ServiceSpec spec() {
        return spec;
    }

    /** Replaces the definition (the caller restarts the service if it was running). */
    synchronized void redefine(ServiceSpec newSpec, String newHash) {
        this.spec = newSpec;
        this.specHash = newHash;
        this.backoff = new Backoff(newSpec.restart());
    }

    synchronized ServiceState state() {
        return state;
    }

    // ------------------------------------------------------------------ start

    /**
     * Starts the service unless it is already running.
     *
     * @return false when it was already running (a no-op)
     */
    synchronized boolean start() {
        if (state.isRunning() || state == ServiceState.STOPPING) {
            return false;
        }
        wantRunning = true;
        backoff.reset();
        cancelPending();
        if (readyWaiters.isDone()) {
            readyWaiters = new CompletableFuture<>();
        }
        launch(true);
        return true;
    }

    /** Launches a new generation. Under the lock. */
    private void launch(boolean byUser) {
        Optional<Integer> port = spec.port();
        if (port.isPresent() && Ports.isListening(port.get())) {
            Optional<ProcessInfo> owner = Ports.owner(port.get());
            String who = owner.map(o -> " by pid " + o.pid() + " (" + abbreviate(o.command()) + ")")
                    .orElse(" by a process this user cannot see");
            String why = "port " + port.get() + " is already in use" + who;
            String hint = owner.map(o -> "stop it (kill " + o.pid() + ") or give this service another port")
                    .orElse("find it with 'ss -ltnp' and stop it, or give this service another port");
            emit("port-in-use", Event.Level.ERROR, spec.name() + ": cannot start: " + why, Map.of("port", port.get()));
            reason = why;
            if (byUser) {
                state = ServiceState.FAILED;
                wantRunning = false;
                readyWaiters.completeExceptionally(new LifelineException(spec.name() + ": " + why, hint));
                saveState();
            } else {
                failedRun(clock.instant(), why);
            }
            return;
        }
        Path log = home.serviceLog(spec.name());
        try {
            Files.createDirectories(log.getParent());
            logOffset[0] = Files.exists(log) ? Files.size(log) : 0;
        } catch (IOException e) {
            throw new LifelineException(
                    "cannot use log file " + log + ": " + e.getMessage(),
                    "check the permissions of " + log.getParent());
        }
        Map<String, String> env = new LinkedHashMap<>();
        env.put("PYTHONUNBUFFERED", "1"); // so a Python app's progress reaches the log as it happens
        env.putAll(spec.env());
        env.put("LIFELINE_SERVICE", spec.name());
        Map<String, Long> rlimits = new LinkedHashMap<>(spec.limits().rlimits());
        if (spec.limits().openFiles() > 0) {
            rlimits.put("nofile", spec.limits().openFiles());
        }
        prepareLimits();
        Launcher.Started started;
        try {
            started =
                    Launcher.start(new LaunchSpec(spec.command(), spec.cwd(), env, log, rlimits, spec.user(), cgroup));
        } catch (LifelineException e) {
            reason = e.getMessage();
            emit("start-failed", Event.Level.ERROR, spec.name() + ": " + e.getMessage(), Map.of());
            state = ServiceState.FAILED;
            wantRunning = false;
            readyWaiters.completeExceptionally(e);
            saveState();
            return;
        }
        gen++;
        process = started.process();
        identity = started.identity();
        startedAt = clock.instant();
        readyAt = null;
        readySeconds = -1;
        healthFailures = 0;
        reason = "";
        state = ServiceState.STARTING;
        saveState();
        emit(
                "started",
                Event.Level.INFO,
                spec.name() + " started, pid " + identity.pid(),
                Map.of("pid", identity.pid()));
        long g = gen;
        process.onExit().whenComplete((p, err) -> onExit(g, p == null ? null : p.exitValue()));
        schedulePending(() -> pollReady(g), 0);
    }

    /** TERM (or the stop signal) to the whole session, KILL after the timeout, each KILL reported. */
    private List<ProcessInfo> terminateTree(long sid, String sig, Duration timeout) {
        return ProcessTree.terminate(
                sid,
                sig,
                timeout,
                pid -> emit(
                        "killed",
                        Event.Level.WARN,
                        spec.name() + ": pid " + pid + " ignored " + sig + " for " + human(timeout) + "; sent KILL",
                        Map.of("pid", pid)));
    }

    /** Ends what is left in the service's cgroup: processes that left its session (setsid). */
    private void killStragglers() {
        Optional<MemoryCgroup> cg;
        synchronized (this) {
            cg = cgroup;
        }
        cg.ifPresent(c -> {
            for (long pid : c.pids()) {
                emit(
                        "killed",
                        Event.Level.WARN,
                        spec.name() + ": pid " + pid + " had left the service's session; sent KILL",
                        Map.of("pid", pid));
                dev.lifeline.process.Signals.send(pid, "KILL");
            }
        });
    }

    /** Sets up the memory cgroup once, and says plainly what cannot be enforced here. Under the lock. */
    private void prepareLimits() {
        long mem = spec.limits().memoryBytes();
        if (mem > 0) {
            MemoryCgroup.Attempt a = MemoryCgroup.create(spec.name(), mem); // idempotent: sets the current limit
            cgroup = a.cgroup();
            if (cgroup.isEmpty() && !warnedAtStart) {
                emit(
                        "limit-not-enforced",
                        Event.Level.WARN,
                        spec.name() + ": limits.memory is not enforced: " + a.whyNot()
                                + (spec.limits().restartAboveMemoryBytes() > 0
                                        ? "; restart-above-memory still applies"
                                        : ""),
                        Map.of());
            }
        } else {
            cgroup.ifPresent(MemoryCgroup::remove);
            cgroup = Optional.empty();
        }
        if (!warnedAtStart && spec.user().isEmpty() && "root".equals(System.getProperty("user.name"))) {
            warnedAtStart = true;
            emit(
                    "runs-as-root",
                    Event.Level.WARN,
                    spec.name() + " runs as root; set 'user:' to run it as a less privileged account",
                    Map.of());
        }
    }

    // ------------------------------------------------------------------ readiness and liveness

    private void pollReady(long g) {
        ServiceSpec s;
        synchronized (this) {
            if (g != gen || state != ServiceState.STARTING) {
                return;
            }
            s = spec;
        }
        boolean ok = checkReady(s);
        synchronized (this) {
            if (g != gen || state != ServiceState.STARTING) {
                return;
            }
            if (ok) {
                readyAt = clock.instant();
                readySeconds = Duration.between(startedAt, readyAt).toMillis() / 1000.0;
                state = ServiceState.READY;
                saveState();
                emit(
                        "ready",
                        Event.Level.INFO,
                        spec.name() + " ready"
                                + spec.port().map(p -> " on :" + p).orElse("") + " after " + fmt(readySeconds) + "s",
                        Map.of("seconds", readySeconds));
                readyWaiters.complete(statusLocked());
                spec.health()
                        .ifPresent(h ->
                                schedulePending(() -> pollHealth(g), h.every().toMillis()));
                return;
            }
            Duration waited = Duration.between(startedAt, clock.instant());
            if (waited.compareTo(spec.ready().timeout()) > 0) {
                String why = "not ready within " + human(spec.ready().timeout()) + " (" + describeReady() + ")";
                emit("ready-timeout", Event.Level.ERROR, spec.name() + ": " + why, Map.of());
                failReadyWaiters(why);
                killForRestart(why);
                return;
            }
            schedulePending(() -> pollReady(g), READY_POLL_MILLIS);
        }
    }

    private boolean checkReady(ServiceSpec s) {
        ServiceSpec.Ready r = s.ready();
        return switch (r.kind()) {
            case HTTP -> Probes.http(s.port().orElseThrow(), r.httpPath(), 2000);
            case TCP -> Probes.tcp(s.port().orElseThrow(), 1000);
            case LOG -> Probes.logMatches(home.serviceLog(s.name()), logOffset, r.logPattern());
            case NONE -> true;
        };
    }

    private void pollHealth(long g) {
        ServiceSpec s;
        synchronized (this) {
            if (g != gen || state != ServiceState.READY) {
                return;
            }
            s = spec;
        }
        ServiceSpec.Health h = s.health().orElseThrow();
        int timeout = (int) Math.max(100, h.timeout().toMillis());
        boolean ok = h.isHttp()
                ? Probes.http(s.port().orElseThrow(), h.httpPath(), timeout)
                : Probes.tcp(s.port().orElseThrow(), timeout);
        synchronized (this) {
            if (g != gen || state != ServiceState.READY) {
                return;
            }
            if (ok) {
                if (healthFailures > 0) {
                    emit("recovered", Event.Level.INFO, spec.name() + " answers its health check again", Map.of());
                }
                healthFailures = 0;
            } else {
                healthFailures++;
                emit(
                        "health-failed",
                        Event.Level.WARN,
                        spec.name() + ": health check failed (" + healthFailures + " of " + h.failures() + "): "
                                + (h.isHttp() ? "GET " + h.httpPath() : "TCP connect") + " on :"
                                + s.port().orElseThrow(),
                        Map.of("failures", healthFailures));
                if (healthFailures >= h.failures()) {
                    String why = "unhealthy: " + healthFailures + " health checks failed in a row";
                    emit("unhealthy", Event.Level.ERROR, spec.name() + " is " + why + "; restarting", Map.of());
                    killForRestart(why);
                    return;
                }
            }
            schedulePending(() -> pollHealth(g), h.every().toMillis());
        }
    }

    /** Ends the current tree so the exit path restarts it. Under the lock; the kill runs off it. */
    private void killForRestart(String why) {
        state = ServiceState.UNHEALTHY;
        reason = why;
        saveState();
        long g = gen;
        long sid = identity.pid();
        String sig = spec.stop().signal();
        Duration timeout = spec.stop().timeout();
        timer.execute(() -> {
            terminateTree(sid, sig, timeout);
            if (process == null) {
                onExit(g, null); // adopted: no exit event will come
            }
        });
    }

    /** Every 250 ms: adopted processes' liveness, memory restart, log rotation. */
    private void watchTick() {
        ticks++;
        try {
            long g;
            ProcessIdentity id;
            boolean adopted;
            ServiceSpec s;
            synchronized (this) {
                if (!state.isRunning() || identity == null) {
                    maybeRotate();
                    return;
                }
                g = gen;
                id = identity;
                adopted = process == null;
                s = spec;
            }
            if (adopted && !id.isAlive()) {
                onExit(g, null);
                return;
            }
            if (ticks % 4 == 0 && s.limits().restartAboveMemoryBytes() > 0) {
                long rss = ProcessTree.rss(id.pid());
                if (rss > s.limits().restartAboveMemoryBytes()) {
                    synchronized (this) {
                        if (g == gen && state.isRunning()) {
                            String why = "memory " + (rss >> 20) + " MiB above restart-above-memory "
                                    + (s.limits().restartAboveMemoryBytes() >> 20) + " MiB";
                            emit(
                                    "memory-restart",
                                    Event.Level.WARN,
                                    spec.name() + ": " + why + "; restarting",
                                    Map.of("rssBytes", rss));
                            killForRestart(why);
                        }
                    }
                }
            }
            maybeRotate();
        } catch (RuntimeException e) {
            emit("internal-error", Event.Level.ERROR, spec.name() + ": watcher error: " + e, Map.of());
        }
    }

    private void maybeRotate() {
        if (ticks % 4 != 0) {
            return;
        }
        ServiceSpec s = spec;
        try {
            if (LogFiles.rotateIfLarger(
                    home.serviceLog(s.name()), s.logs().maxBytes(), s.logs().keep())) {
                logOffset[0] = 0;
                emit(
                        "log-rotated",
                        Event.Level.INFO,
                        s.name() + ": log rotated (kept " + s.logs().keep() + " compressed)",
                        Map.of());
            }
        } catch (IOException e) {
            emit("log-rotate-failed", Event.Level.WARN, s.name() + ": cannot rotate log: " + e.getMessage(), Map.of());
        }
    }

    // ------------------------------------------------------------------ exit

    /** The main process ended (its exit event, or noticed gone when adopted). */
    void onExit(long g, Integer code) {
        long sid;
        String sig;
        Duration timeout;
        synchronized (this) {
            if (g != gen) {
                return;
            }
            lastExit = code;
            if (!state.isRunning()) {
                return; // a stop is ending it, or this exit was already handled
            }
            cancelPending();
            sid = identity.pid();
            sig = spec.stop().signal();
            timeout = spec.stop().timeout();
            if (state != ServiceState.UNHEALTHY) {
                emit(
                        "crashed",
                        code != null && code == 0 ? Event.Level.WARN : Event.Level.ERROR,
                        spec.name() + " (pid " + sid + ") " + describeExit(code),
                        code == null ? Map.of("pid", sid) : Map.of("pid", sid, "exitCode", code));
            }
        }
        // Workers the app left behind still hold the port and GPU memory: end them before a restart.
        List<ProcessInfo> left = Procfs.session(sid);
        if (!left.isEmpty()) {
            emit(
                    "orphans",
                    Event.Level.WARN,
                    spec.name() + ": ending " + left.size() + " process(es) its main process left behind",
                    Map.of("count", left.size()));
            ProcessTree.terminate(sid, sig, timeout, pid -> {});
        }
        killStragglers();
        synchronized (this) {
            if (g != gen || !state.isRunning()) {
                return;
            }
            String how = describeExit(code);
            boolean wasUnhealthy = state == ServiceState.UNHEALTHY;
            String why = wasUnhealthy ? reason : how;
            process = null;
            store.clearPid(spec.name());
            failReadyWaiters(spec.name() + " " + how + " before it was ready");
            ServiceSpec.Restart.Policy policy = spec.restart().policy();
            boolean clean = code != null && code == 0 && !wasUnhealthy;
            if (!wantRunning
                    || policy == ServiceSpec.Restart.Policy.NEVER
                    || (policy == ServiceSpec.Restart.Policy.ON_FAILURE && clean)) {
                state = clean ? ServiceState.STOPPED : ServiceState.FAILED;
                reason = why
                        + (clean
                                ? ""
                                : " (restart policy: "
                                        + policy.name().toLowerCase().replace('_', '-') + ")");
                wantRunning = false;
                identity = null;
                saveState();
                return;
            }
            failedRun(startedAt, why);
        }
    }

    /** A run failed: restart after the backoff, or give up. Under the lock. */
    private void failedRun(Instant runStart, String why) {
        Instant now = clock.instant();
        // With no readiness check, "ready" only means "started": only reset-after can prove stability.
        boolean proved = readyAt != null && spec.ready().kind() != ServiceSpec.Ready.Kind.NONE;
        Duration delay = backoff.onFailure(runStart == null ? now : runStart, now, proved);
        if (delay == null) {
            state = ServiceState.FAILED;
            wantRunning = false;
            reason = "gave up after " + spec.restart().giveUpCount() + " restarts in "
                    + human(spec.restart().giveUpWindow()) + "; last: " + why;
            identity = null;
            saveState();
            emit(
                    "failed",
                    Event.Level.ERROR,
                    spec.name() + " " + reason,
                    lastExit == null
                            ? Map.of()
                            : Map.of(
                                    "exitCode",
                                    lastExit,
                                    "logTail",
                                    String.join("\n", LogFiles.tail(home.serviceLog(spec.name()), 10))));
            failReadyWaiters(spec.name() + " " + reason);
            return;
        }
        restarts++;
        state = ServiceState.BACKOFF;
        reason = why;
        identity = null;
        saveState();
        emit(
                "restarting",
                Event.Level.WARN,
                spec.name() + ": restarting" + (delay.isZero() ? " now" : " in " + human(delay)) + " (restart "
                        + restarts + ")",
                Map.of("delayMillis", delay.toMillis(), "restarts", restarts));
        if (delay.isZero()) {
            launch(false);
        } else {
            schedulePending(this::launchAfterBackoff, delay.toMillis());
        }
    }

    private synchronized void launchAfterBackoff() {
        if (state == ServiceState.BACKOFF && wantRunning) {
            if (readyWaiters.isDone()) {
                readyWaiters = new CompletableFuture<>();
            }
            launch(false);
        }
    }

    // ------------------------------------------------------------------ stop

    /** The result of a stop: the processes that would not die (empty on success). */
    record StopResult(boolean wasRunning, List<ProcessInfo> survivors, boolean portFree) {}

    StopResult stop() {
        long sid;
        long g;
        String sig;
        Duration timeout;
        synchronized (this) {
            wantRunning = false;
            cancelPending();
            if (state == ServiceState.BACKOFF || identity == null) {
                boolean was = state == ServiceState.BACKOFF;
                state = ServiceState.STOPPED;
                saveState();
                return new StopResult(was, List.of(), true);
            }
            if (!state.isRunning()) {
                return new StopResult(false, List.of(), true);
            }
            state = ServiceState.STOPPING;
            reason = "stop requested";
            sid = identity.pid();
            g = gen;
            sig = spec.stop().signal();
            timeout = spec.stop().timeout();
            failReadyWaiters(spec.name() + " was stopped");
            emit(
                    "stopping",
                    Event.Level.INFO,
                    spec.name() + ": sending " + sig + " to process group " + sid,
                    Map.of("pid", sid));
        }
        List<ProcessInfo> survivors;
        boolean portFree;
        try {
            survivors = terminateTree(sid, sig, timeout);
            killStragglers();
            portFree = spec.port()
                    .map(p -> awaitPortFree(p, Duration.ofSeconds(3)))
                    .orElse(true);
        } catch (RuntimeException | Error e) {
            synchronized (this) {
                state = ServiceState.FAILED;
                reason = "stop failed: " + e;
                saveState();
            }
            throw e;
        }
        synchronized (this) {
            if (g == gen) {
                state = ServiceState.STOPPED;
                reason = survivors.isEmpty() ? "stopped" : survivors.size() + " process(es) would not die";
                process = null;
                identity = null;
                store.clearPid(spec.name());
                saveState();
                cgroup.ifPresent(MemoryCgroup::remove);
                emit("stopped", Event.Level.INFO, spec.name() + " stopped", Map.of());
            }
        }
        return new StopResult(true, survivors, portFree);
    }

    private static boolean awaitPortFree(int port, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (Ports.isListening(port)) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        return true;
    }

    // ------------------------------------------------------------------ adoption

    /** Takes over a service an earlier daemon started, if the saved claim checks out. */
    synchronized void adopt(StateStore.Saved saved) {
        restarts = saved.restarts();
        wantRunning = saved.wantRunning();
        ProcessIdentity id = new ProcessIdentity(saved.pid(), saved.startTicks(), saved.command());
        if (saved.pid() > 0 && id.isAlive()) {
            gen++;
            identity = id;
            process = null;
            startedAt = Instant.ofEpochMilli(saved.startedAtMillis());
            readyAt = saved.readyAtMillis() > 0 ? Instant.ofEpochMilli(saved.readyAtMillis()) : null;
            readySeconds =
                    readyAt == null ? -1 : Duration.between(startedAt, readyAt).toMillis() / 1000.0;
            state = readyAt != null ? ServiceState.READY : ServiceState.STARTING;
            reason = "adopted from an earlier daemon";
            wantRunning = true;
            emit(
                    "adopted",
                    Event.Level.INFO,
                    spec.name() + ": adopted running pid " + id.pid() + " (identity verified; not restarted)",
                    Map.of("pid", id.pid()));
            long g = gen;
            if (state == ServiceState.READY) {
                readyWaiters.complete(statusLocked());
                spec.health()
                        .ifPresent(h ->
                                schedulePending(() -> pollHealth(g), h.every().toMillis()));
            } else {
                schedulePending(() -> pollReady(g), 0);
            }
            return;
        }
        Optional<ProcessInfo> other = saved.pid() > 0 ? Procfs.read(saved.pid()) : Optional.empty();
        if (other.isPresent() && !other.get().isZombie()) {
            emit(
                    "stale-pid",
                    Event.Level.WARN,
                    spec.name() + ": pid file names " + saved.pid() + ", which is now another process ("
                            + abbreviate(other.get().command()) + "); not signalling it",
                    Map.of("pid", saved.pid()));
        } else if (saved.pid() > 0 && !Procfs.session(saved.pid()).isEmpty()) {
            // The main process died while no daemon watched; its workers are still in its session.
            ProcessTree.terminate(saved.pid(), spec.stop().signal(), spec.stop().timeout(), pid -> {});
        }
        store.clearPid(spec.name());
        if (wantRunning) {
            identity = null;
            reason = "exited while no daemon watched it";
            emit(
                    "crashed",
                    Event.Level.ERROR,
                    spec.name() + " (pid " + saved.pid() + ") exited while no daemon watched it",
                    Map.of("pid", saved.pid()));
            failedRun(Instant.ofEpochMilli(saved.startedAtMillis()), reason);
        } else {
            state = ServiceState.STOPPED;
        }
    }

    // ------------------------------------------------------------------ status and helpers

    synchronized ServiceStatus status() {
        return statusLocked();
    }

    private ServiceStatus statusLocked() {
        long pid = identity == null ? 0 : identity.pid();
        long uptime = startedAt == null || !state.isRunning()
                ? 0
                : Duration.between(startedAt, clock.instant()).toSeconds();
        long rss = pid == 0 ? 0 : ProcessTree.rss(pid);
        long limit = cgroup.map(MemoryCgroup::limitBytes).orElse(0L);
        return new ServiceStatus(
                spec.name(),
                state,
                pid,
                restarts,
                uptime,
                lastExit,
                rss,
                Math.max(0, limit),
                readySeconds,
                spec.port().orElse(null),
                reason,
                home.serviceLog(spec.name()).toString());
    }

    /** Completes when ready; fails with the reason and the log's last lines when the start fails. */
    synchronized CompletableFuture<ServiceStatus> whenReady() {
        if (state == ServiceState.READY) {
            return CompletableFuture.completedFuture(statusLocked());
        }
        if (state == ServiceState.FAILED || state == ServiceState.STOPPED) {
            return CompletableFuture.failedFuture(new LifelineException(
                    spec.name() + " is " + state.label() + (reason.isEmpty() ? "" : ": " + reason)));
        }
        return readyWaiters.copy();
    }

    synchronized Instant startedAt() {
        return startedAt;
    }

    private void failReadyWaiters(String why) {
        if (!readyWaiters.isDone()) {
            List<String> tail = LogFiles.tail(home.serviceLog(spec.name()), 15);
            String hint = "log: " + home.serviceLog(spec.name())
                    + (tail.isEmpty() ? " (empty)" : "; its last lines:\n    " + String.join("\n    ", tail));
            readyWaiters.completeExceptionally(new LifelineException(why, hint));
        }
    }

    private void saveState() {
        if (identity == null) {
            store.save(spec.name(), new StateStore.Saved(0, 0, "", specHash, 0, 0, restarts, wantRunning));
            store.clearPid(spec.name());
            return;
        }
        String cmd = Procfs.cmdline(identity.pid());
        store.save(
                spec.name(),
                new StateStore.Saved(
                        identity.pid(),
                        identity.startTicks(),
                        cmd.isEmpty() ? identity.command() : cmd,
                        specHash,
                        startedAt == null ? 0 : startedAt.toEpochMilli(),
                        readyAt == null ? 0 : readyAt.toEpochMilli(),
                        restarts,
                        wantRunning));
    }

    private void schedulePending(Runnable r, long delayMillis) {
        cancelPending();
        Runnable safe = () -> {
            try {
                r.run();
            } catch (RuntimeException e) {
                emit("internal-error", Event.Level.ERROR, spec.name() + ": " + e, Map.of());
            }
        };
        pending = timer.schedule(safe, delayMillis, TimeUnit.MILLISECONDS);
    }

    private void cancelPending() {
        if (pending != null) {
            pending.cancel(false);
            pending = null;
        }
    }

    /** Stops this runner's timers; the service itself keeps running. */
    synchronized void detach() {
        cancelPending();
        watch.cancel(false);
    }

    private void emit(String type, Event.Level level, String message, Map<String, Object> fields) {
        try {
            events.onEvent(Event.of(source, type, level, message, fields));
        } catch (RuntimeException e) {
            // a listener's failure is not the service's
        }
    }

    private String describeReady() {
        ServiceSpec.Ready r = spec.ready();
        return switch (r.kind()) {
            case HTTP -> "GET " + r.httpPath() + " on :" + spec.port().orElseThrow() + " never answered";
            case TCP -> "port " + spec.port().orElseThrow() + " never accepted a connection";
            case LOG -> "no log line matched '" + r.logPattern() + "'";
            case NONE -> "";
        };
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
