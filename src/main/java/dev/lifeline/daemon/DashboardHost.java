package dev.lifeline.daemon;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lifeline.config.DashboardSpec;
import dev.lifeline.config.LifelineConfig;
import dev.lifeline.core.Event;
import dev.lifeline.core.EventListener;
import dev.lifeline.core.Home;
import dev.lifeline.core.Json;
import dev.lifeline.dashboard.Backend;
import dev.lifeline.dashboard.DashboardServer;
import dev.lifeline.dashboard.DashboardToken;
import dev.lifeline.process.Ports;
import java.io.IOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the dashboard's server as the applied projects ask: on at 127.0.0.1:8370 unless a project
 * says {@code dashboard: false} (no projects: off), at the first project's {@code listen}.
 * Changes run on one thread of their own, after {@code up}/{@code down} has answered, so they never
 * slow those down; a busy port is a WARN event {@code dashboard-unavailable} naming its holder, and
 * the daemon goes on without the page.
 */
final class DashboardHost implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(DashboardHost.class);

    private final Home home;
    private final Backend backend;
    private final EventListener events;
    private final ThreadPoolExecutor applier;
    // written on the apply thread only
    private DashboardServer server;
    private DashboardSpec running;
    private volatile DashboardServer current;
    private volatile DashboardSpec wanted = DashboardSpec.OFF;
    private volatile String problem;
    private volatile Future<?> last;

    DashboardHost(Home home, Backend backend, EventListener events) {
        this.home = home;
        this.backend = backend;
        this.events = events;
        this.applier = new ThreadPoolExecutor(0, 1, 30, TimeUnit.SECONDS, new LinkedBlockingQueue<>(16), r -> {
            Thread t = new Thread(r, "lifeline-dashboard-apply");
            t.setDaemon(true);
            return t;
        });
        applier.setRejectedExecutionHandler(new ThreadPoolExecutor.DiscardOldestPolicy());
    }

    /** What the projects ask for: off without projects or when any says {@code dashboard: false}. */
    static DashboardSpec wanted(Projects p) {
        if (p.isEmpty()) {
            return DashboardSpec.OFF;
        }
        DashboardSpec chosen = null;
        for (LifelineConfig c : p.configs().values()) {
            if (c.dashboard().isPresent()) {
                DashboardSpec d = c.dashboard().get();
                if (!d.enabled()) {
                    return DashboardSpec.OFF;
                }
                if (chosen == null) {
                    chosen = d;
                }
            }
        }
        return chosen == null ? DashboardSpec.DEFAULT : chosen;
    }

    /** Brings the server in line with {@code projects} soon, on the dashboard's own thread. */
    void apply(Projects projects) {
        DashboardSpec w = wanted(projects);
        wanted = w;
        last = applier.submit(() -> reconcile(w));
    }

    private void reconcile(DashboardSpec w) {
        if (server != null && w.equals(running)) {
            return;
        }
        if (server != null) {
            server.close();
            LOG.info("dashboard stopped ({}:{})", running.host(), running.port());
            server = null;
            current = null;
            running = null;
        }
        problem = null;
        if (!w.enabled()) {
            return;
        }
        try {
            server = DashboardServer.start(backend, home.root(), new InetSocketAddress(w.host(), w.port()));
            running = w;
            current = server;
            events.onEvent(Event.of(
                    "dashboard",
                    "dashboard-listening",
                    Event.Level.INFO,
                    "the dashboard listens on " + server.url()
                            + (w.allowRemote() ? " (reachable from other machines)" : ""),
                    Map.of("url", server.url())));
        } catch (BindException e) {
            String holder = Ports.owner(w.port())
                    .map(pi -> " by pid " + pi.pid() + " (" + pi.command() + ")")
                    .orElse("");
            problem = "port " + w.port() + " on " + w.host() + " is in use" + holder;
            events.onEvent(Event.of(
                    "dashboard",
                    "dashboard-unavailable",
                    Event.Level.WARN,
                    "the dashboard cannot listen on " + w.host() + ":" + w.port() + ": the port is in use" + holder
                            + "; set dashboard: { listen: 127.0.0.1:PORT } to another port",
                    Map.of("port", w.port())));
        } catch (IOException | RuntimeException e) {
            problem = e.getMessage();
            events.onEvent(Event.of(
                    "dashboard",
                    "dashboard-unavailable",
                    Event.Level.WARN,
                    "the dashboard cannot listen on " + w.host() + ":" + w.port() + ": " + e.getMessage(),
                    Map.of("port", w.port())));
        }
    }

    /** Op {@code dashboard}: {@code {url, listening, listen, tokenFile, problem}}; waits up to 5 s for a pending change. */
    JsonNode status() {
        Future<?> f = last;
        if (f != null) {
            try {
                f.get(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (ExecutionException | TimeoutException | java.util.concurrent.CancellationException e) {
                // reported as not listening
            }
        }
        DashboardServer s = current;
        DashboardSpec w = wanted;
        ObjectNode n = Json.object();
        n.put("listening", s != null);
        n.put("url", s == null ? null : s.url());
        n.put("enabled", w.enabled());
        n.put("listen", w.host() + ":" + w.port());
        n.put("tokenFile", home.root().resolve(DashboardToken.FILE).toString());
        n.put("problem", problem);
        return n;
    }

    @Override
    public void close() {
        applier.shutdownNow();
        try {
            applier.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        DashboardServer s = current;
        if (s != null) {
            s.close();
        }
        current = null;
    }
}
