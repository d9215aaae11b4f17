package dev.lifeline.supervisor;

import dev.lifeline.config.LifelineConfig;
import dev.lifeline.config.ServiceSpec;
import dev.lifeline.core.EventListener;
import dev.lifeline.core.Home;
import dev.lifeline.core.LifelineException;
import dev.lifeline.process.ProcessTree;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The service supervisor: keeps each configured service running. Closing it stops its threads
 * only; the services keep running, and the next supervisor adopts them ({@link #adopt}). Each
 * service has a thread of its own for its checks and its stops, so one hung service cannot delay
 * another's.
 */
public final class Supervisor implements AutoCloseable {
    private final Home home;
    private final EventListener events;
    private final Clock clock;
    private final StateStore store;
    /** Guarded by itself, and never held across a wait: status never waits for a restart. */
    private final Map<String, ServiceRunner> runners = new LinkedHashMap<>();
    /**
     * Serialises config changes (apply, adopt, close): two {@code up}s take turns. Held while
     * services stop and start, on purpose; no monitor is, and nothing that status needs.
     */
    private final ReentrantLock changes = new ReentrantLock();

    private boolean closed;

    public Supervisor(Home home, EventListener events) {
        this(home, events, Clock.systemUTC());
    }

    public Supervisor(Home home, EventListener events, Clock clock) {
        this.home = home;
        this.events = events;
        this.clock = clock;
        this.store = new StateStore(home);
    }

    /**
     * What {@link #apply} did to each service.
     *
     * @param updated running services whose new settings (health, logs, restart, outputs…) were
     *     applied without a restart
     */
    public record ApplyResult(
            List<String> started,
            List<String> restarted,
            List<String> unchanged,
            List<String> removed,
            List<String> updated) {}

    /**
     * Makes the running services match {@code config}, as {@code docker compose up} does: new ones
     * start, ones whose process would run differently (command, cwd, env, user, limits) restart,
     * other changes apply live, unchanged running ones are left alone, and ones no longer in the
     * file stop. Before anything is stopped, every service to start or restart is checked ({@link
     * Preflight}): if one cannot start, nothing changes and the reason is thrown.
     *
     * @param only limit to these services (empty: all)
     */
    public ApplyResult apply(LifelineConfig config, Collection<String> only) {
        changes.lock();
        try {
            return applyLocked(config, only);
        } finally {
            changes.unlock();
        }
    }

    private ApplyResult applyLocked(LifelineConfig config, Collection<String> only) {
        for (String name : only) {
            config.service(name); // fails with the list of valid names
        }
        List<String> started = new ArrayList<>();
        List<String> restarted = new ArrayList<>();
        List<String> unchanged = new ArrayList<>();
        List<String> removed = new ArrayList<>();
        List<String> updated = new ArrayList<>();
        List<ServiceSpec> targets = config.services().values().stream()
                .filter(sp -> only.isEmpty() || only.contains(sp.name()))
                .toList();
        for (ServiceSpec spec : targets) {
            ServiceRunner r = find(spec.name());
            if (r == null
                    || !r.launchHash().equals(launchHash(spec))
                    || !r.state().isRunning()) {
                Preflight.check(spec, Launch.fullEnvironment(home, spec));
            }
        }
        if (only.isEmpty()) {
            for (String name : names()) {
                if (!config.services().containsKey(name)) {
                    remove(name, find(name), false);
                    removed.add(name);
                }
            }
        }
        for (ServiceSpec spec : targets) {
            String hash = launchHash(spec);
            ServiceRunner r = find(spec.name());
            if (r == null) {
                r = new ServiceRunner(spec, hash, home, events, store, clock);
                synchronized (runners) {
                    runners.put(spec.name(), r);
                }
                r.start();
                started.add(spec.name());
            } else if (!r.launchHash().equals(hash)) {
                boolean wasRunning = r.state().isRunning();
                r.stop("restarting with its changed definition");
                r.redefine(spec, hash, true);
                r.start();
                (wasRunning ? restarted : started).add(spec.name());
            } else {
                boolean changed = !r.spec().equals(spec);
                if (changed) {
                    r.redefine(spec, hash, false);
                }
                if (r.start()) {
                    started.add(spec.name());
                } else {
                    (changed ? updated : unchanged).add(spec.name());
                }
            }
        }
        return new ApplyResult(started, restarted, unchanged, removed, updated);
    }

    /**
     * Takes over the services an earlier daemon started: from their state files, after checking
     * that each pid is still the very process it claims (start time and command line), or, when
     * the state files are gone, by the marker in their processes' environment. Never restarts a
     * live one; re-creates the pid files. A service that had failed stays failed with its reason.
     */
    public void adopt(LifelineConfig config) {
        changes.lock();
        try {
            adoptLocked(config);
        } finally {
            changes.unlock();
        }
    }

    private void adoptLocked(LifelineConfig config) {
        for (ServiceSpec spec : config.services().values()) {
            if (find(spec.name()) != null) {
                continue;
            }
            Optional<StateStore.Saved> saved = store.load(spec.name());
            if (saved.isEmpty()
                    && ProcessTree.Scope.marked(
                                    Launch.markerEntry(home, spec.name()), Launch.owners(Launch.account(spec)))
                            .members()
                            .isEmpty()) {
                continue;
            }
            ServiceRunner r = new ServiceRunner(spec, launchHash(spec), home, events, store, clock);
            synchronized (runners) {
                runners.put(spec.name(), r);
            }
            r.adopt(saved);
        }
    }

    /** Starts one service. Starting a running service does nothing and says so (returns false). */
    public boolean start(String name) {
        ServiceRunner r = runner(name);
        if (!r.state().isRunning()) {
            r.preflight(r.spec());
        }
        return r.start();
    }

    /**
     * Removes a service, as {@code docker compose up --remove-orphans} does: stops it and everything
     * it started, verified as {@link #stop} does, then forgets it (its runner, its thread, its state
     * files; its log stays), so status, the page and the metrics no longer list it. A start asked
     * for meanwhile is refused. When a process survives, this fails and the service stays, stopped.
     *
     * @return false when no such service was known (its state files are forgotten all the same)
     */
    public boolean remove(String name) {
        changes.lock();
        try {
            ServiceRunner r = find(name);
            if (r == null) {
                store.forget(name);
                return false;
            }
            remove(name, r, true);
            return true;
        } finally {
            changes.unlock();
        }
    }

    /**
     * Stops {@code r} for good, then forgets it. With {@code verified}, a process that survives (or a
     * port still held) fails it, as {@link #stop} does, and the service stays, stopped.
     */
    private void remove(String name, ServiceRunner r, boolean verified) {
        r.retire(true); // no start from now on, so none can race the stop
        try {
            if (verified) {
                stop(name, "removed from its config");
            } else {
                r.stop("removed from the config");
            }
        } catch (RuntimeException e) {
            r.retire(false);
            throw e;
        }
        synchronized (runners) {
            runners.remove(name, r);
        }
        r.detach();
        store.forget(name);
    }

    /** Stops one service and everything it started; fails if any process of it survives KILL. */
    public ServiceStatus stop(String name) {
        return stop(name, "stopped by 'lifeline stop'");
    }

    private ServiceStatus stop(String name, String why) {
        ServiceRunner r = runner(name);
        Stopper.StopResult result = r.stop(why);
        if (!result.survivors().isEmpty()) {
            throw new LifelineException(
                    name + ": " + result.survivors().size() + " process(es) survived KILL: pids "
                            + result.survivors().stream()
                                    .map(p -> Long.toString(p.pid()))
                                    .toList(),
                    "they may be stuck in the kernel (state D); check with 'ps -o pid,stat,cmd -p PID'");
        }
        if (!result.portFree()) {
            throw new LifelineException(
                    name + " stopped, but port " + r.spec().port().orElseThrow()
                            + " is still in use by another process",
                    "find it with 'ss -ltnp'");
        }
        return r.status();
    }

    public void restart(String name) {
        ServiceRunner r = runner(name);
        r.preflight(r.spec());
        stop(name, "restarted by 'lifeline restart'");
        start(name);
    }

    public CompletableFuture<ServiceStatus> whenReady(String name) {
        return runner(name).whenReady();
    }

    public List<ServiceStatus> status() {
        List<ServiceRunner> all;
        synchronized (runners) {
            all = List.copyOf(runners.values());
        }
        List<ServiceStatus> out = new ArrayList<>();
        for (ServiceRunner r : all) {
            out.add(r.status());
        }
        return out;
    }

    public Optional<ServiceStatus> status(String name) {
        ServiceRunner r;
        synchronized (runners) {
            r = runners.get(name);
        }
        return r == null ? Optional.empty() : Optional.of(r.status());
    }

    public List<String> names() {
        synchronized (runners) {
            return List.copyOf(runners.keySet());
        }
    }

    /** Stops every service (in reverse order of definition). */
    public void stopAll() {
        List<String> names = names();
        for (int i = names.size() - 1; i >= 0; i--) {
            stop(names.get(i), "stopped by 'lifeline down'");
        }
    }

    private ServiceRunner find(String name) {
        synchronized (runners) {
            return runners.get(name);
        }
    }

    private ServiceRunner runner(String name) {
        ServiceRunner r = find(name);
        if (r == null) {
            List<String> known = names();
            throw new LifelineException(
                    "no service '" + name + "' is known to the daemon",
                    known.isEmpty() ? "run 'lifeline up' first" : "known services: " + String.join(", ", known));
        }
        return r;
    }

    /** Stops supervising; the services keep running. Safe to call twice. */
    @Override
    public void close() {
        changes.lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            List<ServiceRunner> all;
            synchronized (runners) {
                all = List.copyOf(runners.values());
            }
            for (ServiceRunner r : all) {
                r.detach();
            }
        } finally {
            changes.unlock();
        }
    }

    /**
     * A digest of what the launch uses: the command, its directory, environment, account and
     * limits. Health, readiness, restart, stop, logs and outputs settings are not in it: changing
     * them applies live and never reloads a model.
     */
    static String launchHash(ServiceSpec spec) {
        ServiceSpec.Limits l = spec.limits();
        return digest(List.of(
                        spec.command(),
                        spec.cwd().toString(),
                        new java.util.TreeMap<>(spec.env()),
                        spec.user(),
                        l.memoryBytes(),
                        l.openFiles(),
                        new java.util.TreeMap<>(l.rlimits()))
                .toString());
    }

    static String digest(String text) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(d, 0, 12);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
