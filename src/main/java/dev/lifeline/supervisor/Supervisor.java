package dev.lifeline.supervisor;

import dev.lifeline.config.LifelineConfig;
import dev.lifeline.config.ServiceSpec;
import dev.lifeline.core.EventListener;
import dev.lifeline.core.Home;
import dev.lifeline.core.LifelineException;
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
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The service supervisor: keeps each configured service running. Closing it stops its threads
 * only; the services keep running, and the next supervisor adopts them ({@link #adopt}).
 */
public final class Supervisor implements AutoCloseable {
    private final Home home;
    private final EventListener events;
    private final Clock clock;
    private final StateStore store;
    private final ScheduledExecutorService timer;
    /** Guarded by itself; {@code this} only serialises apply/adopt, so status never waits for a restart. */
    private final Map<String, ServiceRunner> runners = new LinkedHashMap<>();

    private boolean closed;

    public Supervisor(Home home, EventListener events) {
        this(home, events, Clock.systemUTC());
    }

    public Supervisor(Home home, EventListener events, Clock clock) {
        this.home = home;
        this.events = events;
        this.clock = clock;
        this.store = new StateStore(home);
        AtomicInteger n = new AtomicInteger();
        ScheduledThreadPoolExecutor t = new ScheduledThreadPoolExecutor(2, r -> {
            Thread th = new Thread(r, "lifeline-supervisor-" + n.incrementAndGet());
            th.setDaemon(true);
            return th;
        });
        t.setRemoveOnCancelPolicy(true);
        this.timer = t;
    }

    /** What {@link #apply} did to each service. */
    public record ApplyResult(
            List<String> started, List<String> restarted, List<String> unchanged, List<String> removed) {}

    /**
     * Makes the running services match {@code config}, as {@code docker compose up} does: new ones
     * start, changed ones restart, unchanged running ones are left alone, and ones no longer in
     * the file stop.
     *
     * @param only limit to these services (empty: all)
     */
    public synchronized ApplyResult apply(LifelineConfig config, Collection<String> only) {
        for (String name : only) {
            config.service(name); // fails with the list of valid names
        }
        List<String> started = new ArrayList<>();
        List<String> restarted = new ArrayList<>();
        List<String> unchanged = new ArrayList<>();
        List<String> removed = new ArrayList<>();
        if (only.isEmpty()) {
            for (String name : names()) {
                if (!config.services().containsKey(name)) {
                    ServiceRunner r;
                    synchronized (runners) {
                        r = runners.remove(name);
                    }
                    r.stop();
                    r.detach();
                    store.forget(name);
                    removed.add(name);
                }
            }
        }
        for (ServiceSpec spec : config.services().values()) {
            if (!only.isEmpty() && !only.contains(spec.name())) {
                continue;
            }
            String hash = hash(spec);
            ServiceRunner r;
            synchronized (runners) {
                r = runners.get(spec.name());
            }
            if (r == null) {
                r = new ServiceRunner(spec, hash, home, events, timer, store, clock);
                synchronized (runners) {
                    runners.put(spec.name(), r);
                }
                r.start();
                started.add(spec.name());
            } else if (!r.specHash().equals(hash)) {
                boolean wasRunning = r.state().isRunning();
                r.stop();
                r.redefine(spec, hash);
                r.start();
                (wasRunning ? restarted : started).add(spec.name());
            } else if (r.start()) {
                started.add(spec.name());
            } else {
                unchanged.add(spec.name());
            }
        }
        return new ApplyResult(started, restarted, unchanged, removed);
    }

    /**
     * Takes over the services an earlier daemon started, from their state files, after checking
     * that each pid is still the very process it claims (start time); never restarts a live one.
     */
    public synchronized void adopt(LifelineConfig config) {
        for (ServiceSpec spec : config.services().values()) {
            synchronized (runners) {
                if (runners.containsKey(spec.name())) {
                    continue;
                }
            }
            Optional<StateStore.Saved> saved = store.load(spec.name());
            if (saved.isEmpty()) {
                continue;
            }
            ServiceRunner r = new ServiceRunner(spec, hash(spec), home, events, timer, store, clock);
            synchronized (runners) {
                runners.put(spec.name(), r);
            }
            r.adopt(saved.get());
        }
    }

    /** Starts one service. Starting a running service does nothing and says so (returns false). */
    public boolean start(String name) {
        return runner(name).start();
    }

    /** Stops one service and its whole tree; fails if any process of it survives KILL. */
    public ServiceStatus stop(String name) {
        ServiceRunner r = runner(name);
        ServiceRunner.StopResult result = r.stop();
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
        stop(name);
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
            stop(names.get(i));
        }
    }

    private ServiceRunner runner(String name) {
        ServiceRunner r;
        synchronized (runners) {
            r = runners.get(name);
        }
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
    public synchronized void close() {
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
        timer.shutdownNow();
        try {
            timer.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    static String hash(ServiceSpec spec) {
        try {
            byte[] d =
                    MessageDigest.getInstance("SHA-256").digest(spec.toString().getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(d, 0, 12);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
