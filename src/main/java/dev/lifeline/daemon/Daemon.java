package dev.lifeline.daemon;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lifeline.backup.VaultWatcher;
import dev.lifeline.config.BackupSpec;
import dev.lifeline.config.LifelineConfig;
import dev.lifeline.core.Event;
import dev.lifeline.core.Home;
import dev.lifeline.core.Json;
import dev.lifeline.core.LifelineException;
import dev.lifeline.gpu.Gpu;
import dev.lifeline.gpu.GpuSnapshot;
import dev.lifeline.notify.Notifier;
import dev.lifeline.supervisor.LogFiles;
import dev.lifeline.supervisor.ServiceStatus;
import dev.lifeline.supervisor.Supervisor;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The long-running daemon: owns the supervisor (and, as they arrive, tunnels and the vault),
 * answers the control socket, and keeps the applied config so that a daemon started after a
 * crash adopts the services still running instead of restarting them.
 */
public final class Daemon implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Daemon.class);

    private final Home home;
    private final EventHub events = new EventHub();
    private final Supervisor supervisor;
    private final ControlServer control;
    private final CountDownLatch done = new CountDownLatch(1);
    private final ScheduledExecutorService housekeeping;
    private FileChannel lockChannel;
    private FileLock lock;
    private volatile LifelineConfig config;
    private volatile Notifier notifier;
    private final TunnelHost tunnels;
    private VaultWatcher vault;
    private BackupSpec vaultSpec;
    private volatile GpuSnapshot gpu;
    private volatile long gpuReadAt;
    private boolean closed;

    private Daemon(Home home) {
        this.home = home;
        this.supervisor = new Supervisor(home, events);
        this.control = new ControlServer(home.socket());
        this.tunnels = new TunnelHost(home, events);
        this.events.add(e -> {
            Notifier n = notifier;
            if (n != null) {
                n.onEvent(e);
            }
        });
        this.housekeeping = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "lifeline-housekeeping");
            t.setDaemon(true);
            return t;
        });
    }

    /** Runs a daemon in this JVM until {@code down}; returns its exit status. */
    public static int run(Home home) {
        home.ensure();
        Daemon d = new Daemon(home);
        try {
            d.start();
            Runtime.getRuntime().addShutdownHook(new Thread(d::close, "lifeline-shutdown"));
            d.done.await();
            return 0;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 1;
        } finally {
            d.close();
        }
    }

    private void start() {
        try {
            lockChannel = FileChannel.open(
                    home.root().resolve("daemon.lock"),
                    StandardOpenOption.CREATE,
                    StandardOpenOption.WRITE,
                    java.nio.file.LinkOption.NOFOLLOW_LINKS);
            lock = lockChannel.tryLock();
            if (lock == null) {
                throw new LifelineException(
                        "a daemon is already running for " + home.root(),
                        "use it ('lifeline status'), or stop it with 'lifeline down'");
            }
            Home.writePrivate(home.daemonPidFile(), ProcessHandle.current().pid() + "\n");
        } catch (IOException e) {
            throw new LifelineException(
                    "cannot lock " + home.root() + ": " + e.getMessage(), "check the permissions of LIFELINE_HOME");
        }
        LOG.info("daemon started, pid {}, home {}", ProcessHandle.current().pid(), home.root());
        loadApplied().ifPresent(c -> {
            config = c;
            applyNotifications(c);
            supervisor.adopt(c);
            applyBackup(c);
        });
        registerOps();
        tunnels.restore();
        try {
            control.start();
        } catch (IOException e) {
            throw new LifelineException(
                    "cannot open the control socket " + home.socket() + ": " + e.getMessage(),
                    "LIFELINE_HOME may be on a file system without Unix sockets, or its path too long (max ~100 chars)");
        }
        housekeeping.scheduleWithFixedDelay(
                () -> {
                    if (!Files.exists(home.socket())) {
                        // Nobody can reach this daemon any more (its home was removed): leave; apps keep running.
                        LOG.warn("control socket {} is gone; the daemon exits", home.socket());
                        done.countDown();
                        return;
                    }
                    try {
                        LogFiles.rotateIfLarger(home.daemonLog(), 10L << 20, 3);
                    } catch (IOException e) {
                        LOG.warn("cannot rotate the daemon log: {}", e.toString());
                    }
                },
                10,
                10,
                TimeUnit.SECONDS);
    }

    private void registerOps() {
        control.register("ping", (req, p) -> {
            ObjectNode n = Json.object();
            n.put("pid", ProcessHandle.current().pid());
            n.put("home", home.root().toString());
            return n;
        });
        control.register("status", (req, p) -> withGpu(Protocol.statuses(supervisor.status())));
        control.register("up", this::up);
        control.register("start", (req, p) -> {
            String name = req.path("service").asText();
            ensureKnown(req, name);
            boolean started = supervisor.start(name);
            ObjectNode n = Json.object();
            n.put("started", started);
            if (req.path("wait").asBoolean(true)) {
                awaitReady(List.of(name), p);
            }
            n.set("service", Protocol.status(supervisor.status(name).orElseThrow()));
            return n;
        });
        control.register(
                "stop",
                (req, p) -> Protocol.status(supervisor.stop(req.path("service").asText())));
        control.register("restart", (req, p) -> {
            String name = req.path("service").asText();
            ensureKnown(req, name);
            supervisor.restart(name);
            awaitReady(List.of(name), p);
            return Protocol.status(supervisor.status(name).orElseThrow());
        });
        control.register("tunnel.up", (req, p) -> tunnels.up(req.path("source"), true));
        control.register(
                "tunnel.down",
                (req, p) -> Json.object()
                        .put("stopped", tunnels.down(req.path("name").asText())));
        control.register("tunnel.status", (req, p) -> tunnels.status());
        control.register("down", (req, p) -> {
            supervisor.stopAll();
            tunnels.close(true);
            Files.deleteIfExists(home.appliedConfig());
            for (String name : supervisor.names()) {
                Files.deleteIfExists(home.stateFile(name));
                Files.deleteIfExists(home.pidFile(name));
            }
            housekeeping.schedule(done::countDown, 100, TimeUnit.MILLISECONDS);
            return Json.object().put("stopped", supervisor.names().size());
        });
        control.register("quit", (req, p) -> {
            // Leave every service running: for upgrades and tests of adoption.
            housekeeping.schedule(done::countDown, 100, TimeUnit.MILLISECONDS);
            return Json.object().put("quit", true);
        });
        control.register("events", (req, p) -> {
            ArrayNode a = Json.array();
            for (Event e : events.recent(req.path("n").asInt(50))) {
                ObjectNode n = a.addObject();
                n.put("time", e.time().toString());
                n.put("source", e.source());
                n.put("type", e.type());
                n.put("level", e.level().name().toLowerCase());
                n.put("message", e.message());
            }
            return a;
        });
    }

    private JsonNode up(JsonNode req, Consumer<ObjectNode> progress) {
        LifelineConfig c = LifelineConfig.parse(
                req.path("text").asText(), Path.of(req.path("path").asText()));
        List<String> only = new ArrayList<>();
        req.path("services").forEach(n -> only.add(n.asText()));
        saveApplied(c);
        config = c;
        applyNotifications(c);
        Supervisor.ApplyResult r = supervisor.apply(c, only);
        applyBackup(c);
        List<String> targets = only.isEmpty() ? List.copyOf(c.services().keySet()) : only;
        ObjectNode n = Json.object();
        n.set("started", Json.strings(r.started()));
        n.set("restarted", Json.strings(r.restarted()));
        n.set("unchanged", Json.strings(r.unchanged()));
        n.set("removed", Json.strings(r.removed()));
        if (req.path("wait").asBoolean(true)) {
            awaitReady(targets, progress);
        }
        n.set("services", Protocol.statuses(supervisor.status()));
        return n;
    }

    /** Makes sure the daemon knows {@code name}, applying the client's config for it if needed. */
    private void ensureKnown(JsonNode req, String name) {
        if (supervisor.status(name).isPresent()) {
            return;
        }
        if (!req.hasNonNull("text")) {
            throw new LifelineException("no service '" + name + "' is known to the daemon", "run 'lifeline up' first");
        }
        LifelineConfig c = LifelineConfig.parse(
                req.path("text").asText(), Path.of(req.path("path").asText()));
        c.service(name);
        saveApplied(c);
        config = c;
        supervisor.apply(c, List.of(name));
    }

    /** Waits for readiness, sending a progress line for each waiting service every 250 ms. */
    private void awaitReady(List<String> names, Consumer<ObjectNode> progress) {
        Map<String, CompletableFuture<ServiceStatus>> waits = new LinkedHashMap<>();
        for (String name : names) {
            waits.put(name, supervisor.whenReady(name));
        }
        long t0 = System.nanoTime();
        List<String> failures = new ArrayList<>();
        List<String> hints = new ArrayList<>();
        for (Map.Entry<String, CompletableFuture<ServiceStatus>> w : waits.entrySet()) {
            while (true) {
                try {
                    w.getValue().get(250, TimeUnit.MILLISECONDS);
                    break;
                } catch (TimeoutException e) {
                    for (Map.Entry<String, CompletableFuture<ServiceStatus>> o : waits.entrySet()) {
                        if (!o.getValue().isDone()) {
                            supervisor.status(o.getKey()).ifPresent(s -> progress.accept(progressLine(s, t0)));
                        }
                    }
                } catch (ExecutionException e) {
                    Throwable cause = e.getCause();
                    failures.add(cause.getMessage());
                    if (cause instanceof LifelineException le && le.hint() != null) {
                        hints.add(le.hint());
                    }
                    break;
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new LifelineException("interrupted");
                }
            }
        }
        if (!failures.isEmpty()) {
            throw new LifelineException(
                    String.join("; ", failures), hints.isEmpty() ? null : String.join("\n  → ", hints));
        }
    }

    /**
     * The vault watches each service's outputs (and backup.sources) while the daemon runs: a new
     * image is stored within a second, snapshots are cut on the schedule. A changed backup
     * section restarts the watcher; files stored meanwhile stay in the repository's journal.
     */
    private synchronized void applyBackup(LifelineConfig c) {
        BackupSpec next = c.backup().orElse(null);
        if (next != null && next.equals(vaultSpec) && vault != null) {
            return;
        }
        if (vault != null) {
            vault.close();
            vault = null;
            vaultSpec = null;
        }
        if (next == null) {
            return;
        }
        try {
            vault = VaultWatcher.start(next, events);
            vaultSpec = next;
        } catch (LifelineException e) {
            events.onEvent(Event.of("backup", "watch-error", Event.Level.ERROR, e.getMessage(), java.util.Map.of()));
        }
    }

    /** Webhooks follow the applied config; the old notifier delivers what it has queued, then goes. */
    private void applyNotifications(LifelineConfig c) {
        Notifier old = notifier;
        notifier = c.notifications().isEmpty()
                ? null
                : Notifier.builder(c.notifications()).reports(events).build();
        if (old != null) {
            old.close();
        }
    }

    /** GPU memory per service where nvidia-smi exists (read at most every 2 s: it is slow). */
    private ArrayNode withGpu(ArrayNode statuses) {
        long now = System.nanoTime();
        if (gpu == null || now - gpuReadAt > 2_000_000_000L) {
            gpu = Gpu.fromSystemPath().read();
            gpuReadAt = now;
        }
        GpuSnapshot g = gpu;
        if (!g.usable()) {
            return statuses;
        }
        for (JsonNode s : statuses) {
            long pid = s.path("pid").asLong();
            if (pid > 0) {
                List<Long> tree = new ArrayList<>();
                dev.lifeline.process.Procfs.session(pid).forEach(p -> tree.add(p.pid()));
                ((ObjectNode) s).put("gpuMemoryMiB", g.usedMiBBy(tree));
            }
            ((ObjectNode) s).put("gpuFreeMiB", g.freeMiB());
        }
        return statuses;
    }

    private ObjectNode progressLine(ServiceStatus s, long t0) {
        ObjectNode n = Protocol.status(s);
        n.put("elapsedSeconds", (System.nanoTime() - t0) / 1e9);
        n.put("lastLine", LogFiles.lastLine(Path.of(s.log())));
        return n;
    }

    private void saveApplied(LifelineConfig c) {
        ObjectNode n = Json.object();
        n.put("path", c.file().toString());
        n.put("text", c.text());
        Path target = home.appliedConfig();
        try {
            Home.writePrivate(target, Json.write(n, true));
        } catch (IOException e) {
            throw new LifelineException(
                    "cannot save the applied config to " + target + ": " + e.getMessage(), "check free disk space");
        }
    }

    private java.util.Optional<LifelineConfig> loadApplied() {
        Path p = home.appliedConfig();
        if (!Files.exists(p)) {
            return java.util.Optional.empty();
        }
        try {
            JsonNode n = Json.parse(Files.readString(p));
            return java.util.Optional.of(LifelineConfig.parse(
                    n.path("text").asText(), Path.of(n.path("path").asText())));
        } catch (IOException | LifelineException e) {
            LOG.error("cannot read the applied config {}: {}; not adopting services", p, e.getMessage());
            return java.util.Optional.empty();
        }
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        control.close();
        tunnels.close();
        synchronized (this) {
            if (vault != null) {
                vault.close();
            }
        }
        Notifier n = notifier;
        if (n != null) {
            n.close();
        }
        supervisor.close();
        housekeeping.shutdownNow();
        try {
            Files.deleteIfExists(home.daemonPidFile());
            if (lock != null) {
                lock.release();
            }
            if (lockChannel != null) {
                lockChannel.close();
            }
        } catch (IOException e) {
            // exiting anyway
        }
        LOG.info("daemon stopped; services left running: {}", supervisor.names().size());
        done.countDown();
    }
}
