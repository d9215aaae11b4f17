package dev.lifeline.daemon;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lifeline.config.LifelineConfig;
import dev.lifeline.core.Event;
import dev.lifeline.core.Home;
import dev.lifeline.core.Json;
import dev.lifeline.core.LifelineException;
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
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The long-running daemon: holds the home's lock, answers the control socket, and wires the
 * supervisor, the projects ({@link ProjectHost}: applied configs, notifier, vault watchers) and
 * the tunnels ({@link TunnelHost}). A daemon started after a crash adopts the services still
 * running instead of restarting them. A second daemon for the same home leaves the running one
 * alone: it touches nothing (socket, pid file) and exits.
 */
public final class Daemon implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Daemon.class);

    private final Home home;
    private final EventHub events = new EventHub();
    private final Supervisor supervisor;
    private final ProjectHost projects;
    private final ControlServer control;
    private final CountDownLatch done = new CountDownLatch(1);
    private final ScheduledExecutorService housekeeping;
    private final TunnelHost tunnels;
    private final ServiceViews serviceViews;
    private final MetricsFeed metrics;
    private final ViewOps views;
    private final CpuLoad cpuLoad = new CpuLoad();
    private final DashboardBackend dashboardBackend;
    private final DashboardHost dashboard;
    private FileChannel lockChannel;
    private FileLock lock;
    private final java.util.concurrent.atomic.AtomicBoolean closed = new java.util.concurrent.atomic.AtomicBoolean();

    private Daemon(Home home) {
        this.home = home;
        this.supervisor = new Supervisor(home, events);
        this.projects = new ProjectHost(home, supervisor, events);
        this.control = new ControlServer(home.socket());
        this.tunnels = new TunnelHost(home, events);
        this.serviceViews = new ServiceViews(projects);
        this.metrics = new MetricsFeed(supervisor, projects, tunnels, serviceViews);
        this.views = new ViewOps(home, projects, events);
        this.events.add(views);
        this.dashboardBackend = new DashboardBackend(home, control, events, metrics, views, projects);
        this.dashboard = new DashboardHost(home, dashboardBackend, events);
        this.events.add(e -> {
            Notifier n = projects.notifier();
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
        Path lockFile = home.root().resolve("daemon.lock");
        try {
            lockChannel = FileChannel.open(
                    lockFile,
                    StandardOpenOption.CREATE,
                    StandardOpenOption.WRITE,
                    java.nio.file.LinkOption.NOFOLLOW_LINKS);
            lock = lockChannel.tryLock();
        } catch (IOException e) {
            throw new LifelineException(
                    "cannot lock " + lockFile + ": " + e.getMessage(), "check the permissions of LIFELINE_HOME");
        }
        if (lock == null) {
            String pid = DaemonClient.of(home)
                    .daemonPid()
                    .map(p -> " (pid " + p + ")")
                    .orElse("");
            throw new LifelineException(
                    "a daemon is already running for " + home.root() + pid + "; this one leaves it alone and exits",
                    "use it ('lifeline status'), or stop it with 'lifeline down --all'");
        }
        try {
            Home.writePrivate(home.daemonPidFile(), ProcessHandle.current().pid() + "\n");
        } catch (IOException e) {
            throw new LifelineException(
                    "cannot write " + home.daemonPidFile() + ": " + e.getMessage(), "check free disk space");
        }
        LOG.info("daemon started, pid {}, home {}", ProcessHandle.current().pid(), home.root());
        projects.restore();
        registerOps();
        tunnels.restore();
        try {
            control.start();
        } catch (IOException e) {
            throw new LifelineException(
                    "cannot open the control socket " + home.socket() + ": " + e.getMessage(),
                    "LIFELINE_HOME may be on a file system without Unix sockets, or its path too long (max ~100 chars)");
        }
        dashboard.apply(projects.projects());
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
        control.register("status", (req, p) -> cpuLoad.status(views(supervisor.status(), true)));
        control.register("backup.status", (req, p) -> Protocol.backups(projects.backups()));
        control.register(
                "metrics",
                (req, p) -> Json.object()
                        .put("contentType", MetricsFeed.CONTENT_TYPE)
                        .put("text", metrics.text()));
        control.register("up", this::up);
        control.register("start", (req, p) -> {
            String name = req.path("service").asText();
            boolean started = projects.start(name, config(req)).started();
            ObjectNode n = Json.object();
            n.put("started", started);
            if (req.path("wait").asBoolean(true)) {
                awaitReady(List.of(name), p);
            }
            n.set("service", Protocol.service(view(supervisor.status(name).orElseThrow())));
            return n;
        });
        control.register("stop", (req, p) -> {
            String name = req.path("service").asText();
            projects.requireKnown(name);
            return Protocol.service(view(supervisor.stop(name)));
        });
        control.register("restart", (req, p) -> {
            String name = req.path("service").asText();
            boolean wait = req.path("wait").asBoolean(true);
            if (projects.start(name, config(req)).started()) {
                if (wait) {
                    awaitReady(List.of(name), p); // it was not running: started once, not restarted
                }
            } else {
                supervisor.restart(name);
                if (wait) {
                    awaitReady(List.of(name), p);
                }
            }
            return Protocol.service(view(supervisor.status(name).orElseThrow()));
        });
        control.register("tunnel.up", (req, p) -> tunnels.up(req.path("source"), true));
        control.register(
                "tunnel.down",
                (req, p) -> Json.object()
                        .put("stopped", tunnels.down(req.path("name").asText())));
        control.register("tunnel.status", (req, p) -> tunnels.status());
        control.register("down", (req, p) -> {
            Path project = Path.of(req.path("project").asText("."));
            boolean only = req.hasNonNull("project")
                    && !req.path("all").asBoolean()
                    && (!req.path("orAll").asBoolean()
                            || projects.projects().get(project).isPresent());
            if (only) {
                ProjectHost.Down d = projects.down(project);
                dashboard.apply(projects.projects());
                boolean exits = d.applied() && d.remaining().isEmpty();
                if (exits) {
                    tunnels.close(true);
                    housekeeping.schedule(done::countDown, 100, TimeUnit.MILLISECONDS);
                }
                ObjectNode n = Json.toNode(d);
                n.put("daemonExits", exits);
                return n;
            }
            List<String> stopped = projects.downAll();
            tunnels.close(true);
            housekeeping.schedule(done::countDown, 100, TimeUnit.MILLISECONDS);
            ObjectNode n = Json.toNode(new ProjectHost.Down("", stopped, true, List.of()));
            n.put("daemonExits", true);
            return n;
        });
        views.register(control);
        control.register("dashboard", (req, p) -> dashboard.status());
        control.register("quit", (req, p) -> {
            // Leave every service running: for upgrades and tests of adoption.
            housekeeping.schedule(done::countDown, 100, TimeUnit.MILLISECONDS);
            return Json.object().put("quit", true);
        });
        control.register(
                "catalog.find",
                (req, p) -> projects.find(
                        dev.lifeline.catalog.Query.parse(req.path("query").asText("")),
                        req.path("limit").asInt(50),
                        req.path("offset").asInt(0),
                        req.path("raw").asBoolean(false)));
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

    /** The config a request carries ({@code path} and {@code text}), if any. */
    private static Optional<LifelineConfig> config(JsonNode req) {
        if (!req.hasNonNull("text")) {
            return Optional.empty();
        }
        return Optional.of(LifelineConfig.parse(
                req.path("text").asText(), Path.of(req.path("path").asText())));
    }

    private JsonNode up(JsonNode req, ControlServer.Replies replies) {
        LifelineConfig c = config(req).orElseThrow(() -> new LifelineException("'up' needs a config"));
        List<String> only = new ArrayList<>();
        req.path("services").forEach(n -> only.add(n.asText()));
        Protocol.Applied a = projects.up(c, only);
        dashboard.apply(projects.projects()); // on its own thread: 'up' does not wait for it
        replies.send("applied", Protocol.applied(a)); // said before waiting: the user sees what changed at once
        Collection<String> targets = only.isEmpty() ? c.services().keySet() : only;
        if (req.path("wait").asBoolean(true)) {
            awaitReady(List.copyOf(targets), replies);
        }
        ObjectNode n = Protocol.applied(a);
        List<ServiceStatus> mine = new ArrayList<>();
        for (String name : c.services().keySet()) {
            supervisor.status(name).ifPresent(mine::add);
        }
        n.set("services", Protocol.services(views(mine, false)));
        return n;
    }

    /** Waits for readiness, sending a progress line for each waiting service every 250 ms. */
    private void awaitReady(List<String> names, ControlServer.Replies replies) {
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
                            supervisor
                                    .status(o.getKey())
                                    .ifPresent(s -> replies.progress(Protocol.progress(new Protocol.ProgressLine(
                                            view(s),
                                            (System.nanoTime() - t0) / 1e9,
                                            LogFiles.lastLine(Path.of(s.log()))))));
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
                    String.join("\n", failures), hints.isEmpty() ? null : String.join("\n  → ", hints));
        }
    }

    private Protocol.ServiceView view(ServiceStatus s) {
        return new Protocol.ServiceView(
                s, projects.projects().owner(s.name()).map(Path::toString).orElse(""), null, null);
    }

    private List<Protocol.ServiceView> views(List<ServiceStatus> statuses, boolean withGpu) {
        return serviceViews.views(statuses, withGpu);
    }

    /** Idempotent; holds no lock while it waits for threads to end. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        control.close();
        dashboard.close();
        dashboardBackend.close();
        if (lock == null) {
            // Another daemon owns this home: nothing here is ours to stop or remove.
            housekeeping.shutdownNow();
            projects.close();
            try {
                if (lockChannel != null) {
                    lockChannel.close();
                }
            } catch (IOException e) {
                // exiting anyway
            }
            done.countDown();
            return;
        }
        tunnels.close();
        projects.close();
        long running =
                supervisor.status().stream().filter(s -> s.state().isRunning()).count();
        supervisor.close();
        housekeeping.shutdownNow();
        try {
            Files.deleteIfExists(home.daemonPidFile());
            lock.release();
            lockChannel.close();
        } catch (IOException e) {
            // exiting anyway
        }
        LOG.info("daemon stopped; services left running: {}", running);
        done.countDown();
    }
}
