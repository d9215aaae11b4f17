package dev.lifeline.supervisor;

import dev.lifeline.config.ServiceSpec;
import dev.lifeline.core.Event;
import dev.lifeline.core.EventListener;
import dev.lifeline.core.Home;
import dev.lifeline.core.LifelineException;
import dev.lifeline.process.Accounts;
import dev.lifeline.process.Launcher;
import dev.lifeline.process.ProcessInfo;
import dev.lifeline.process.ProcessTree;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * Keeps one service running by carrying out what its {@link Lifecycle} decides: launch (or adopt
 * an earlier daemon's process), the exit path (the crash event, the ending of what the run left
 * behind, then restart now, restart after a backoff, or stay down), and redefinition. Its helpers
 * do the rest: {@link RunChecks} the readiness wait, health checks and the 250 ms watch, {@link
 * Stopper} the stop path, {@link ReadyWaiters} the ready future, all on the service's own {@link
 * ServiceThread}. The lock is the {@link RunState}'s monitor, and nothing that waits happens
 * inside it: events and ready-future completions queued under it go out through the {@link
 * Outbox} after it is released, and ending a process tree or a probe runs outside it.
 */
final class ServiceRunner {
    private final Home home;
    private final Clock clock;
    private final RunState st;
    private final ServiceThread thread;
    private final ReadyWaiters waiters;
    private final Stopper stopper;
    private final RunChecks checks;

    ServiceRunner(ServiceSpec spec, String launchHash, Home home, EventListener events, StateStore store, Clock clock) {
        this.home = home;
        this.clock = clock;
        this.st = new RunState(spec, launchHash, home, events, store, clock);
        this.thread = new ServiceThread(st.name, st.outbox);
        this.waiters = new ReadyWaiters(st);
        this.stopper = new Stopper(st, thread, waiters);
        this.checks = new RunChecks(st, thread, waiters, stopper, clock, this::onExit);
        thread.watchEvery(checks::tick, RunChecks.WATCH_MILLIS);
    }

    String launchHash() {
        synchronized (st) {
            return st.launchHash;
        }
    }

    ServiceSpec spec() {
        synchronized (st) {
            return st.spec;
        }
    }

    ServiceState state() {
        synchronized (st) {
            return st.life.state();
        }
    }

    /**
     * Replaces the definition. With {@code restarting} (what the process runs changed; the caller
     * stops it first and starts it after) the restart count starts afresh; otherwise the new
     * settings apply to the running instance as they are.
     */
    void redefine(ServiceSpec newSpec, String newLaunchHash, boolean restarting) {
        Optional<Accounts.Account> a = Launch.account(newSpec); // may ask the name service: not under the lock
        st.setAccount(a);
        synchronized (st) {
            ServiceSpec old = st.spec;
            st.spec = newSpec;
            st.launchHash = newLaunchHash;
            st.life.redefined(newSpec.restart(), restarting);
            if (!restarting
                    && st.life.state() == ServiceState.READY
                    && !old.health().equals(newSpec.health())) {
                thread.cancelPending();
                st.health.reset();
                checks.watchHealth(st.gen);
            }
            st.save();
        }
        st.outbox.flush();
    }

    // ------------------------------------------------------------------ start

    /**
     * Starts the service unless it is already running.
     *
     * @return false when it was already running (a no-op)
     */
    boolean start() {
        boolean started;
        synchronized (st) {
            if (st.retired) {
                throw new LifelineException(
                        st.name + " is being removed from its config", "declare it in a file and run 'lifeline up'");
            }
            started = st.life.startRequested();
            if (started) {
                thread.cancelPending();
                waiters.renew();
                launch(true);
            }
        }
        st.outbox.flush();
        return started;
    }

    /** Checks what can be checked before anything is stopped for {@code s}; fails with the reason. */
    void preflight(ServiceSpec s) {
        Preflight.check(s, Launch.fullEnvironment(home, s));
    }

    /** Launches a new generation. Under the lock. */
    private void launch(boolean byUser) {
        ServiceSpec spec = st.spec;
        Path log = st.log;
        Optional<LifelineException> taken = Launch.portTaken(spec);
        if (taken.isPresent()) {
            String why = taken.get().getMessage();
            emit(
                    "port-in-use",
                    Event.Level.ERROR,
                    st.name + ": cannot start: " + why,
                    Map.of("port", spec.port().orElseThrow()));
            if (byUser) {
                st.life.cannotStart(why);
                waiters.fail(
                        new LifelineException(st.name + ": " + why, taken.get().hint()));
                st.save();
            } else {
                carryOut(st.life.failedRun(why));
            }
            return;
        }
        Launcher.Started started;
        try {
            Files.createDirectories(log.getParent());
            st.runOffset = Files.exists(log) ? Files.size(log) : 0;
            st.resources.prepare(spec);
            started = Launcher.start(Launch.spec(spec, st.marker, log, st.resources.cgroup(), st.account));
        } catch (LifelineException | IOException e) {
            LifelineException le = e instanceof LifelineException l
                    ? l
                    : new LifelineException(
                            "cannot use log file " + log + ": " + e.getMessage(),
                            "check the permissions of " + log.getParent());
            emit("start-failed", Event.Level.ERROR, st.name + ": " + le.getMessage(), Map.of());
            st.life.cannotStart(le.getMessage());
            waiters.fail(le);
            st.save();
            return;
        }
        st.launched(started, st.runOffset);
        st.save();
        long pid = st.identity.pid();
        emit("started", Event.Level.INFO, st.name + " started, pid " + pid, Map.of("pid", pid));
        long g = st.gen;
        started.process()
                .onExit()
                .whenComplete((p, err) -> thread.execute(() -> onExit(g, p == null ? null : p.exitValue())));
        checks.awaitReady(g);
    }

    // ------------------------------------------------------------------ exit

    /** The main process of generation {@code g} ended (its exit event, or noticed gone when adopted). On the service's thread. */
    private void onExit(long g, Integer code) {
        ProcessTree.Scope sc;
        String sig;
        Duration timeout;
        synchronized (st) {
            if (!st.current(g) || !st.life.state().isRunning()) {
                return; // a stop is ending it, or this exit was already handled
            }
            thread.cancelPending();
            sc = st.scope();
            sig = st.spec.stop().signal();
            timeout = st.spec.stop().timeout();
            if (st.life.state() != ServiceState.UNHEALTHY) {
                emit(
                        "crashed",
                        code != null && code == 0 ? Event.Level.WARN : Event.Level.ERROR,
                        st.name + " (pid " + sc.sid() + ") " + Wording.exit(code),
                        code == null ? Map.of("pid", sc.sid()) : Map.of("pid", sc.sid(), "exitCode", code));
            }
        }
        st.outbox.flush();
        // Workers the app left behind (in its session or escaped from it) still hold the port and
        // GPU memory: end them all before a restart.
        List<ProcessInfo> left = sc.members();
        if (!left.isEmpty()) {
            emit(
                    "orphans",
                    Event.Level.WARN,
                    st.name + ": ending " + left.size() + " process(es) its main process left behind",
                    Map.of("count", left.size()));
            stopper.terminate(sc, sig, timeout);
        }
        synchronized (st) {
            if (!st.current(g) || !st.life.state().isRunning()) {
                return;
            }
            boolean byUs = st.life.state() == ServiceState.UNHEALTHY;
            String how = Wording.exit(code);
            st.endRun(code, byUs ? st.killedAs : code != null && code == 0 ? "exited" : "crashed");
            st.process = null;
            waiters.fail(
                    byUs
                            ? st.name + ": " + st.life.reason() + " (before it was ready)"
                            : st.name + " " + how + " before it was ready");
            Lifecycle.Decision d = st.life.exited(code, how);
            st.identity = null;
            carryOut(d);
        }
        st.outbox.flush();
    }

    /** Does what the lifecycle decided after a run ended. Under the lock. */
    private void carryOut(Lifecycle.Decision d) {
        Lifecycle life = st.life;
        st.identity = null;
        st.save();
        if (d.action() == Lifecycle.Decision.Action.STAY_DOWN) {
            if (life.state() == ServiceState.FAILED && life.reason().startsWith("gave up")) {
                Integer code = life.lastExit();
                emit(
                        "failed",
                        Event.Level.ERROR,
                        st.name + " " + life.reason(),
                        code == null
                                ? Map.of()
                                : Map.of(
                                        "exitCode",
                                        code,
                                        "logTail",
                                        String.join("\n", LogFiles.tailFrom(st.log, st.runOffset, 10))));
                waiters.fail(st.name + " " + life.reason());
            }
            return;
        }
        Duration delay = d.delay();
        emit(
                "restarting",
                Event.Level.WARN,
                st.name + ": restarting" + (delay.isZero() ? " now" : " in " + Wording.human(delay)) + " (restart "
                        + life.restarts() + ")",
                Map.of("delayMillis", delay.toMillis(), "restarts", life.restarts()));
        if (delay.isZero()) {
            relaunch();
        } else {
            thread.schedule(this::launchAfterBackoff, delay.toMillis());
        }
    }

    private void launchAfterBackoff() {
        synchronized (st) {
            if (st.life.state() == ServiceState.BACKOFF && st.life.wantRunning()) {
                relaunch();
            }
        }
        st.outbox.flush();
    }

    private void relaunch() {
        waiters.renew();
        launch(false);
    }

    // ------------------------------------------------------------------ stop

    /** While retired (being removed), a start is refused. */
    void retire(boolean retired) {
        synchronized (st) {
            st.retired = retired;
        }
    }

    /** Stops the service and everything it started; {@code why} is the reason status shows. */
    Stopper.StopResult stop(String why) {
        return stopper.stop(why);
    }

    // ------------------------------------------------------------------ adoption

    /**
     * Takes over a service an earlier daemon started: from its state file when the saved claim
     * checks out (same start time, and the same command line or Lifeline's marker in its
     * environment), otherwise by its marker alone (the state files were lost).
     */
    void adopt(Optional<StateStore.Saved> saved) {
        synchronized (st) {
            saved.ifPresent(st::restore);
        }
        Adoption.Claim claim = Adoption.find(saved, st.marker, st.owners);
        Optional<ProcessInfo> ours = claim.ours();
        Optional<ProcessInfo> claimed = claim.stranger();
        if (ours.isPresent()) {
            Adoption.Found found = Adoption.Found.of(saved, ours.get());
            synchronized (st) {
                st.adopted(found);
                emit(
                        "adopted",
                        Event.Level.INFO,
                        found.message(st.name),
                        Map.of("pid", found.process().pid()));
                st.save(); // re-creates the pid file
                if (found.readyAt() != null) {
                    waiters.ready(st.status());
                    checks.watchHealth(st.gen);
                } else {
                    checks.awaitReady(st.gen);
                }
            }
            st.outbox.flush();
            return;
        }
        StateStore.Saved s = saved.orElseThrow(); // no state and nothing marked: nothing to adopt
        if (claimed.isPresent()) {
            emit(
                    "stale-pid",
                    Event.Level.WARN,
                    Adoption.staleMessage(st.name, s, claimed.get()),
                    Map.of("pid", s.pid()));
        }
        // The main process died while no daemon watched; its workers may still run: end them.
        ProcessTree.Scope left = Adoption.leftBehind(s, claimed, st.marker, st.owners);
        if (!left.members().isEmpty()) {
            ServiceSpec.Stop stop = spec().stop();
            stopper.terminate(left, stop.signal(), stop.timeout());
        }
        synchronized (st) {
            Lifecycle life = st.life;
            if (life.wantRunning()) {
                st.endRun(null, "crashed");
                emit(
                        "crashed",
                        Event.Level.ERROR,
                        st.name + " (pid " + s.pid() + ") exited while no daemon watched it",
                        Map.of("pid", s.pid()));
                life.adopted(Instant.ofEpochMilli(s.startedAtMillis()), null);
                carryOut(life.failedRun("exited while no daemon watched it"));
            } else {
                if (life.state().isRunning() || life.state() == ServiceState.STOPPING) {
                    life.restore(ServiceState.STOPPED, s.reason(), s.restarts(), false);
                }
                st.save();
            }
        }
        st.outbox.flush();
    }

    // ------------------------------------------------------------------ status

    /** The status, with the tree's memory and CPU from /proc and, while starting, the log's latest line. */
    ServiceStatus status() {
        ServiceStatus s;
        long off;
        synchronized (st) {
            s = st.status();
            off = st.runOffset;
        }
        ProcessTree.Usage use = s.pid() == 0 ? new ProcessTree.Usage(0, 0) : ProcessTree.usage(s.pid());
        String progress =
                s.state() == ServiceState.STARTING ? Readiness.progress(LogFiles.tailFrom(st.log, off, 3)) : "";
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

    /** Completes when ready; fails with the reason and the log's last lines when the start fails. */
    CompletableFuture<ServiceStatus> whenReady() {
        synchronized (st) {
            ServiceState state = st.life.state();
            if (state == ServiceState.READY) {
                return CompletableFuture.completedFuture(st.status());
            }
            if (state == ServiceState.FAILED || state == ServiceState.STOPPED) {
                String reason = st.life.reason();
                return CompletableFuture.failedFuture(new LifelineException(
                        st.name + " is " + state.label() + (reason.isEmpty() ? "" : ": " + reason), waiters.hint()));
            }
            return waiters.copy();
        }
    }

    /** Stops this runner's thread; the service itself keeps running. */
    void detach() {
        synchronized (st) {
            thread.cancelAll();
        }
        thread.shutdown();
        st.outbox.flush();
    }

    private void emit(String type, Event.Level level, String message, Map<String, Object> fields) {
        st.outbox.emit(type, level, message, fields);
    }
}
