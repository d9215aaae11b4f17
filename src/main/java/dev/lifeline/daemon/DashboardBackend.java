package dev.lifeline.daemon;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lifeline.core.EventListener;
import dev.lifeline.core.Home;
import dev.lifeline.core.LifelineException;
import dev.lifeline.dashboard.Backend;
import dev.lifeline.dashboard.NotFound;
import dev.lifeline.insight.EventAssembler;
import dev.lifeline.insight.LogFilter;
import dev.lifeline.insight.LogFollower;
import dev.lifeline.insight.LogInsight;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The dashboard's way into the daemon: ops run through {@link ControlServer#invoke} (the table the
 * socket serves), events from the {@link EventHub}, log streams from a {@link LogFollower} per
 * open stream (all polled by one thread), metrics from {@link MetricsFeed}, objects from the
 * watched vaults.
 */
final class DashboardBackend implements Backend {
    private static final Logger LOG = LoggerFactory.getLogger(DashboardBackend.class);
    static final long POLL_MILLIS = 200;

    private final Home home;
    private final ControlServer control;
    private final EventHub events;
    private final MetricsFeed metrics;
    private final ViewOps views;
    private final ProjectHost projects;
    private final ScheduledThreadPoolExecutor followers;

    DashboardBackend(
            Home home,
            ControlServer control,
            EventHub events,
            MetricsFeed metrics,
            ViewOps views,
            ProjectHost projects) {
        this.home = home;
        this.control = control;
        this.events = events;
        this.metrics = metrics;
        this.views = views;
        this.projects = projects;
        this.followers = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "lifeline-dashboard-logs");
            t.setDaemon(true);
            return t;
        });
        followers.setRemoveOnCancelPolicy(true);
        followers.setKeepAliveTime(30, TimeUnit.SECONDS);
        followers.allowCoreThreadTimeOut(true);
    }

    @Override
    public JsonNode call(String op, ObjectNode request) {
        try {
            return control.invoke(op, request);
        } catch (ControlServer.UnknownOp e) {
            throw new NotFound(e.getMessage(), e.hint());
        } catch (LifelineException e) {
            throw e;
        } catch (Exception e) {
            LOG.error("dashboard request {} failed", op, e);
            throw new IllegalStateException("the daemon failed: " + e, e);
        }
    }

    @Override
    public AutoCloseable subscribe(EventListener listener) {
        return events.subscribe(listener);
    }

    @Override
    public AutoCloseable followLog(String service, Consumer<JsonNode> onLogEvent) {
        if (!service.matches("[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
                || projects.projects().owner(service).isEmpty()) {
            throw new NotFound("no service '" + service + "'", "GET /api/services lists them");
        }
        Path log = home.serviceLog(service);
        if (!Files.exists(log)) {
            throw new NotFound("no log for '" + service + "' yet", "start it first");
        }
        UnaryOperator<String> redact = views.redactor();
        EventAssembler assembler = LogInsight.systemDefault()
                .assembler(LogFilter.all(), e -> onLogEvent.accept(Protocol.logEvent(e, redact)));
        LogFollower f;
        try {
            f = new LogFollower(log, true, assembler::accept, note -> {});
        } catch (IOException e) {
            throw new LifelineException("cannot follow " + log + ": " + e.getMessage(), null);
        }
        AtomicBoolean closed = new AtomicBoolean();
        ScheduledFuture<?> task = followers.scheduleWithFixedDelay(
                () -> {
                    if (closed.get()) {
                        return;
                    }
                    try {
                        if (!f.poll()) {
                            assembler.flush(); // a traceback that stopped growing is complete
                        }
                    } catch (IOException | RuntimeException e) {
                        LOG.debug("following {} failed: {}", log, e.toString());
                    }
                },
                0,
                POLL_MILLIS,
                TimeUnit.MILLISECONDS);
        return () -> {
            if (closed.compareAndSet(false, true)) {
                task.cancel(false);
                followers.execute(
                        () -> { // closed on the polling thread: never while it polls
                            try {
                                f.close();
                            } catch (IOException e) {
                                // closing anyway
                            }
                        });
            }
        };
    }

    @Override
    public void writeMetrics(OutputStream out) throws IOException {
        metrics.write(out);
    }

    @Override
    public Optional<Path> object(String sha256) {
        return views.object(sha256);
    }

    void close() {
        followers.shutdownNow();
    }
}
