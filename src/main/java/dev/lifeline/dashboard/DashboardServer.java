package dev.lifeline.dashboard;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.lifeline.core.BadInput;
import dev.lifeline.core.Json;
import dev.lifeline.core.LifelineException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The daemon's web server: the page, the JSON API and {@code /metrics} (routes in {@code
 * docs/api.md}), on the JDK's HTTP server with a small bounded pool ({@value #POOL} threads, none
 * while idle, a queue of 512). This class owns its lifecycle and the order every request goes
 * through: the common headers, the token ({@link Access}; without it 401 and nothing else), the
 * path's check, the route ({@link Routes}), and the mapping of a failure to its status and {@code
 * {error, hint}}. Every answer has a {@value #WRITE_MILLIS} ms write deadline ({@link Watchdog});
 * Server-Sent Events have their own threads and bounded queues ({@link Streams}), so no client can
 * hold the daemon.
 */
public final class DashboardServer implements AutoCloseable {
    static final int POOL = 4;
    static final long WRITE_MILLIS = 30_000;
    static final long HEARTBEAT_MILLIS = 15_000;

    private final DashboardToken token;
    private final HttpServer server;
    private final ThreadPoolExecutor requests;
    private final Watchdog watchdog = new Watchdog();
    private final Access access;
    private final Thumbnails thumbnails;
    private final Streams streams;
    private final StatusCache status;
    private final Routes routes;

    private DashboardServer(
            Backend backend, DashboardToken token, HttpServer server, Path thumbDir, long heartbeatMillis) {
        this.token = token;
        this.server = server;
        this.access = new Access(token);
        this.thumbnails = new Thumbnails(thumbDir, backend::object);
        this.streams = new Streams(watchdog, heartbeatMillis);
        this.status = new StatusCache(backend);
        this.routes =
                new Routes(backend, new Assets(DashboardServer.class.getClassLoader()), thumbnails, streams, status);
        AtomicInteger n = new AtomicInteger();
        this.requests = new ThreadPoolExecutor(POOL, POOL, 30, TimeUnit.SECONDS, new LinkedBlockingQueue<>(512), r -> {
            Thread t = new Thread(r, "lifeline-dashboard-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        requests.allowCoreThreadTimeOut(true); // no thread while nobody looks
    }

    /**
     * Binds {@code listen} and serves; the token comes from (or is created in) {@code home}.
     *
     * @throws IOException when the address cannot be bound (a busy port: {@link java.net.BindException})
     */
    public static DashboardServer start(Backend backend, Path home, InetSocketAddress listen) throws IOException {
        return start(backend, home, listen, HEARTBEAT_MILLIS);
    }

    static DashboardServer start(Backend backend, Path home, InetSocketAddress listen, long heartbeatMillis)
            throws IOException {
        // The JDK server's own limit on reading a request (headers and body); it has no write timeout.
        if (System.getProperty("sun.net.httpserver.maxReqTime") == null) {
            System.setProperty("sun.net.httpserver.maxReqTime", "10");
        }
        System.setProperty("java.awt.headless", "true");
        DashboardToken token = DashboardToken.loadOrCreate(home);
        HttpServer s = HttpServer.create(listen, 64);
        DashboardServer d = new DashboardServer(backend, token, s, home.resolve("thumbnails"), heartbeatMillis);
        s.setExecutor(d.requests);
        s.createContext("/", d::handle);
        s.start();
        return d;
    }

    /** The bound address (the real port when 0 was asked for). */
    public InetSocketAddress address() {
        return server.getAddress();
    }

    public DashboardToken token() {
        return token;
    }

    /** {@code http://HOST:PORT/} for a person (a wildcard bind is shown as 127.0.0.1). */
    public String url() {
        InetSocketAddress a = address();
        String host = a.getAddress().isAnyLocalAddress()
                ? "127.0.0.1"
                : a.getAddress().getHostAddress();
        if (host.contains(":")) {
            host = "[" + host + "]";
        }
        return "http://" + host + ":" + a.getPort() + "/";
    }

    @SuppressWarnings("try") // the guard only sets a deadline
    private void handle(HttpExchange ex) {
        try (Watchdog.Guard g = watchdog.guard(WRITE_MILLIS)) {
            try {
                accept(ex);
            } catch (HttpError e) {
                Responses.error(ex, e.status, e.getMessage(), e.hint, e.allow);
            } catch (NotFound e) {
                Responses.error(ex, 404, e.getMessage(), e.hint(), null);
            } catch (BadInput e) {
                Responses.error(ex, 400, e.getMessage(), e.hint(), null);
            } catch (LifelineException e) {
                Responses.error(ex, 409, e.getMessage(), e.hint(), null);
            } catch (IOException e) {
                ex.close(); // the client left
            } catch (RuntimeException e) {
                Responses.error(ex, 500, "the dashboard failed: " + e, "see the daemon log", null);
            }
        } catch (IOException e) {
            ex.close();
        }
    }

    /** The checks every request passes, in order, then its route. */
    private void accept(HttpExchange ex) throws IOException {
        Responses.secure(ex.getResponseHeaders());
        URI uri = ex.getRequestURI();
        String rawPath = uri.getRawPath();
        Map<String, String> query = Request.query(uri.getRawQuery());
        if (!access.authorized(ex, query)) {
            ex.getResponseHeaders().set("WWW-Authenticate", "Bearer");
            Responses.json(ex, 401, Json.object().put("error", "unauthorized"));
            return;
        }
        if (access.handOff(ex, query)) {
            return;
        }
        if (rawPath.contains("%") || rawPath.contains("..") || rawPath.contains("//") || rawPath.contains("\\")) {
            throw new HttpError(
                    400,
                    "the path " + Request.printable(rawPath) + " is not one of the dashboard's",
                    "see docs/api.md");
        }
        routes.serve(new Request(ex, ex.getRequestMethod(), Request.segments(rawPath), query));
    }

    /** Stops listening, ends every stream and the thumbnail thread; holds no lock while waiting. */
    @Override
    public void close() {
        status.close();
        streams.close();
        server.stop(0);
        requests.shutdownNow();
        thumbnails.close();
        watchdog.close();
    }

    /** For tests: how many streams are open. */
    int openStreams() {
        return streams.count();
    }
}
