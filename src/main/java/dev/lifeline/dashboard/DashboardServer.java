package dev.lifeline.dashboard;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.lifeline.core.BadInput;
import dev.lifeline.core.Event;
import dev.lifeline.core.Json;
import dev.lifeline.core.LifelineException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;

/**
 * The daemon's web server: the page, the JSON API and {@code /metrics} (routes in
 * {@code docs/api.md}), on the JDK's HTTP server with a small bounded pool.
 *
 * <p>Every request needs the token ({@link DashboardToken}) as {@code Authorization: Bearer}, as
 * {@code ?token=} (which sets the {@code lifeline_token} cookie and redirects to the URL without
 * it) or as that cookie; without it: 401 and nothing else. A POST also needs {@code X-Lifeline: 1}
 * and, when the browser sends {@code Origin}, one equal to {@code Host} (403 otherwise), and a
 * body of at most 64 KiB (413). Every write has a deadline ({@link Watchdog}); Server-Sent Events
 * streams have their own threads and bounded queues, so no client can hold the daemon.
 */
public final class DashboardServer implements AutoCloseable {
    static final int MAX_BODY = 64 << 10;
    static final int MAX_STREAMS = 32;
    static final long WRITE_MILLIS = 30_000;
    static final long SSE_WRITE_MILLIS = 10_000;
    static final long HEARTBEAT_MILLIS = 15_000;
    static final String COOKIE = "lifeline_token";
    private static final Pattern SHA = Pattern.compile("[0-9a-f]{64}");
    private static final Pattern SERVICE = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,63}");
    private static final Pattern COOKIE_TOKEN = Pattern.compile("(?:^|;\\s*)" + COOKIE + "=([0-9a-f]{64})(?:;|$)");

    private final Backend backend;
    private final DashboardToken token;
    private final HttpServer server;
    private final ThreadPoolExecutor requests;
    private final ThreadPoolExecutor streamThreads;
    private final Watchdog watchdog = new Watchdog();
    private final Assets assets = new Assets(DashboardServer.class.getClassLoader());
    private final Thumbnails thumbnails;
    private final Set<SseStream> streams = ConcurrentHashMap.newKeySet();
    private final long heartbeatMillis;
    /** {@code status} as last read, shared by the requests of the next {@link #STATUS_MAX_AGE_MILLIS}; any event voids it. */
    private volatile CachedStatus status;

    private final AtomicInteger generation = new AtomicInteger();
    private volatile AutoCloseable statusEvents;

    static final long STATUS_MAX_AGE_MILLIS = 250;

    private record CachedStatus(JsonNode value, long readAtNanos, int generation) {}

    private DashboardServer(
            Backend backend, DashboardToken token, HttpServer server, Path thumbDir, long heartbeatMillis) {
        this.backend = backend;
        this.token = token;
        this.server = server;
        this.heartbeatMillis = heartbeatMillis;
        this.thumbnails = new Thumbnails(thumbDir, backend::object);
        AtomicInteger n = new AtomicInteger();
        this.requests = new ThreadPoolExecutor(4, 4, 30, TimeUnit.SECONDS, new LinkedBlockingQueue<>(512), r -> {
            Thread t = new Thread(r, "lifeline-dashboard-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        requests.allowCoreThreadTimeOut(true); // no thread while nobody looks
        this.streamThreads =
                new ThreadPoolExecutor(0, MAX_STREAMS, 10, TimeUnit.SECONDS, new SynchronousQueue<>(), r -> {
                    Thread t = new Thread(r, "lifeline-dashboard-sse-" + n.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                });
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
        d.statusEvents = backend.subscribe(e -> d.generation.incrementAndGet());
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
                route(ex);
            } catch (HttpError e) {
                error(ex, e.status, e.getMessage(), e.hint, e.allow);
            } catch (NotFound e) {
                error(ex, 404, e.getMessage(), e.hint(), null);
            } catch (BadInput e) {
                error(ex, 400, e.getMessage(), e.hint(), null);
            } catch (LifelineException e) {
                error(ex, 409, e.getMessage(), e.hint(), null);
            } catch (IOException e) {
                ex.close(); // the client left
            } catch (RuntimeException e) {
                error(ex, 500, "the dashboard failed: " + e, "see the daemon log", null);
            }
        } catch (IOException e) {
            ex.close();
        }
    }

    private void error(HttpExchange ex, int status, String error, String hint, String allow) throws IOException {
        ObjectNode n = Json.object().put("error", error);
        if (hint != null) {
            n.put("hint", hint);
        }
        if (allow != null) {
            ex.getResponseHeaders().set("Allow", allow);
        }
        json(ex, status, n);
    }

    private void route(HttpExchange ex) throws IOException {
        Headers h = ex.getResponseHeaders();
        h.set("X-Content-Type-Options", "nosniff");
        h.set("X-Frame-Options", "DENY");
        h.set("Referrer-Policy", "no-referrer");
        h.set("Cache-Control", "no-store");
        URI uri = ex.getRequestURI();
        String rawPath = uri.getRawPath();
        Map<String, String> query = query(uri.getRawQuery());
        if (!authorized(ex, query)) {
            h.set("WWW-Authenticate", "Bearer");
            json(ex, 401, Json.object().put("error", "unauthorized"));
            return;
        }
        if (query.containsKey("token")) {
            // The token came in the URL: keep it in a cookie and send the browser to the URL without it.
            h.add("Set-Cookie", COOKIE + "=" + token.value() + "; Path=/; HttpOnly; SameSite=Strict");
            StringBuilder clean = new StringBuilder(rawPath);
            String rest = withoutToken(uri.getRawQuery());
            if (!rest.isEmpty()) {
                clean.append('?').append(rest);
            }
            h.set("Location", clean.toString());
            ex.sendResponseHeaders(303, -1);
            ex.close();
            return;
        }
        if (rawPath.contains("%") || rawPath.contains("..") || rawPath.contains("//") || rawPath.contains("\\")) {
            throw new HttpError(
                    400, "the path " + printable(rawPath) + " is not one of the dashboard's", "see docs/api.md");
        }
        List<String> p = segments(rawPath);
        String m = ex.getRequestMethod();
        if (p.isEmpty() || (p.size() == 1 && p.get(0).equals("index.html"))) {
            allow(m, "GET");
            asset(ex, "index.html");
            return;
        }
        switch (p.get(0)) {
            case "assets" -> {
                allow(m, "GET");
                if (p.size() != 2) {
                    throw notFound();
                }
                asset(ex, p.get(1));
            }
            case "metrics" -> {
                allow(m, "GET");
                exact(p, 1);
                ByteArrayOutputStream b = new ByteArrayOutputStream();
                backend.writeMetrics(b);
                send(ex, 200, "text/plain; version=0.0.4; charset=utf-8", b.toByteArray(), true);
            }
            case "api" -> api(ex, m, p.subList(1, p.size()), query);
            default -> throw notFound();
        }
    }

    private void api(HttpExchange ex, String m, List<String> p, Map<String, String> q) throws IOException {
        if (p.isEmpty()) {
            throw notFound();
        }
        switch (p.get(0)) {
            case "services" -> services(ex, m, p, q);
            case "tunnels" -> {
                exact(p, 1);
                allow(m, "GET");
                json(ex, 200, backend.call("tunnel.status", Json.object()));
            }
            case "backup" -> {
                if (p.size() == 1) {
                    allow(m, "GET");
                    json(ex, 200, backend.call("backup.status", Json.object()));
                    return;
                }
                exact(p, 2);
                String op = switch (p.get(1)) {
                    case "snapshot" -> "backup.now";
                    case "verify" -> "backup.verify";
                    default -> throw notFound();
                };
                post(ex, m);
                json(ex, 200, backend.call(op, Json.object()));
            }
            case "doctor" -> {
                exact(p, 1);
                allow(m, "GET");
                ObjectNode r = Json.object();
                if (q.containsKey("service")) {
                    r.put("service", service(q.get("service")));
                }
                json(ex, 200, backend.call("doctor", r));
            }
            case "outputs" -> {
                exact(p, 1);
                allow(m, "GET");
                json(ex, 200, backend.call("outputs", Json.object().put("limit", intParam(q, "limit", 24, 1, 500))));
            }
            case "objects" -> objects(ex, m, p);
            case "find" -> {
                exact(p, 1);
                allow(m, "GET");
                ObjectNode r = Json.object()
                        .put("query", q.getOrDefault("q", ""))
                        .put("limit", intParam(q, "limit", 50, 1, 1000));
                try {
                    json(ex, 200, backend.call("catalog.find", r));
                } catch (NotFound e) {
                    if (e.getMessage().contains("catalog.find")) {
                        throw new HttpError(404, "no catalog", "this daemon has no catalog of outputs");
                    }
                    throw e;
                }
            }
            case "events" -> {
                exact(p, 1);
                allow(m, "GET");
                stream(ex, s -> backend.subscribe(e -> s.offer(e.type(), Json.write(event(e)))));
            }
            case "dashboard" -> {
                exact(p, 1);
                allow(m, "GET");
                json(ex, 200, backend.call("dashboard", Json.object()));
            }
            default -> throw notFound();
        }
    }

    private void services(HttpExchange ex, String m, List<String> p, Map<String, String> q) throws IOException {
        if (p.size() == 1) {
            allow(m, "GET");
            json(ex, 200, status());
            return;
        }
        String name = service(p.get(1));
        if (p.size() == 2) {
            allow(m, "GET");
            json(ex, 200, known(name));
            return;
        }
        String what = p.get(2);
        switch (what) {
            case "start", "stop", "restart" -> {
                exact(p, 3);
                post(ex, m);
                known(name);
                json(
                        ex,
                        200,
                        backend.call(what, Json.object().put("service", name).put("wait", false)));
            }
            case "errors" -> {
                exact(p, 3);
                allow(m, "GET");
                known(name);
                json(ex, 200, backend.call("errors", Json.object().put("service", name)));
            }
            case "logs" -> {
                if (p.size() == 4 && p.get(3).equals("stream")) {
                    allow(m, "GET");
                    known(name);
                    stream(ex, s -> backend.followLog(name, e -> s.offer("log", Json.write(e))));
                    return;
                }
                exact(p, 3);
                allow(m, "GET");
                known(name);
                ObjectNode r = Json.object().put("service", name).put("n", intParam(q, "n", 200, 1, 5000));
                if (q.containsKey("level")) {
                    String level = q.get("level").toLowerCase(Locale.ROOT);
                    if (!Set.of("info", "warn", "error").contains(level)) {
                        throw new HttpError(400, "level must be info, warn or error", null);
                    }
                    r.put("level", level);
                }
                if (q.containsKey("q") && !q.get("q").isEmpty()) {
                    r.put("q", q.get("q"));
                }
                json(ex, 200, backend.call("logs", r));
            }
            default -> throw notFound();
        }
    }

    /**
     * {@code status}, read at most every {@link #STATUS_MAX_AGE_MILLIS} however many clients ask, and
     * again after any event (a state change is never served stale).
     */
    private JsonNode status() {
        CachedStatus c = status;
        int gen = generation.get();
        long now = System.nanoTime();
        if (c != null && c.generation() == gen && now - c.readAtNanos() < STATUS_MAX_AGE_MILLIS * 1_000_000L) {
            return c.value();
        }
        JsonNode fresh = backend.call("status", Json.object());
        status = new CachedStatus(fresh, now, gen);
        return fresh;
    }

    /** The {@code status} record of one service, or 404. */
    private JsonNode known(String name) {
        for (JsonNode s : status()) {
            if (name.equals(s.path("name").asText())) {
                return s;
            }
        }
        throw new HttpError(404, "no service '" + name + "'", "GET /api/services lists them");
    }

    private void objects(HttpExchange ex, String m, List<String> p) throws IOException {
        if (p.size() < 2 || p.size() > 3 || !SHA.matcher(p.get(1)).matches()) {
            throw new HttpError(404, "no such object", "objects are named by 64 lowercase hex digits (SHA-256)");
        }
        allow(m, "GET");
        String sha = p.get(1);
        if (p.size() == 3) {
            if (!p.get(2).equals("thumb")) {
                throw notFound();
            }
            Thumbnails.Result r = thumbnails.get(sha);
            if (r instanceof Thumbnails.Ready t) {
                ex.getResponseHeaders().set("Cache-Control", "private, max-age=86400, immutable");
                send(ex, 200, "image/jpeg", t.jpeg(), false);
            } else if (r instanceof Thumbnails.Pending) {
                ex.getResponseHeaders().set("Retry-After", "2");
                throw new HttpError(404, "the thumbnail is being made", "ask again after Retry-After seconds");
            } else {
                throw new HttpError(404, "no thumbnail: " + ((Thumbnails.None) r).why(), null);
            }
            return;
        }
        Path f = backend.object(sha).orElseThrow(() -> new HttpError(404, "no such object", null));
        long size = Files.size(f);
        Headers h = ex.getResponseHeaders();
        h.set("Content-Type", "application/octet-stream");
        h.set("Content-Security-Policy", "sandbox");
        h.set("Cache-Control", "private, max-age=86400, immutable"); // content-addressed: never changes
        h.set("Content-Disposition", "inline; filename=\"" + sha.substring(0, 12) + "\"");
        String type = sniff(f);
        if (type != null) {
            h.set("Content-Type", type);
        }
        ex.sendResponseHeaders(200, size == 0 ? -1 : size);
        try (InputStream in = Files.newInputStream(f, java.nio.file.LinkOption.NOFOLLOW_LINKS);
                OutputStream out = ex.getResponseBody()) {
            in.transferTo(out);
        }
    }

    /** An image type from the first bytes, or null. */
    private static String sniff(Path f) {
        try (InputStream in = Files.newInputStream(f, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            byte[] b = in.readNBytes(12);
            if (b.length >= 8 && (b[0] & 0xff) == 0x89 && b[1] == 'P' && b[2] == 'N' && b[3] == 'G') {
                return "image/png";
            }
            if (b.length >= 3 && (b[0] & 0xff) == 0xff && (b[1] & 0xff) == 0xd8) {
                return "image/jpeg";
            }
            if (b.length >= 12 && b[0] == 'R' && b[1] == 'I' && b[8] == 'W' && b[9] == 'E' && b[10] == 'B') {
                return "image/webp";
            }
            if (b.length >= 4 && b[0] == 'G' && b[1] == 'I' && b[2] == 'F') {
                return "image/gif";
            }
        } catch (IOException e) {
            // unknown
        }
        return null;
    }

    /** A Server-Sent Events response fed by {@code source} until either side closes. */
    private void stream(HttpExchange ex, java.util.function.Function<SseStream, AutoCloseable> source)
            throws IOException {
        SseStream s = new SseStream(ex, heartbeatMillis, watchdog, SSE_WRITE_MILLIS);
        Headers h = ex.getResponseHeaders();
        h.set("Content-Type", "text/event-stream; charset=utf-8");
        h.set("Cache-Control", "no-store");
        h.set("X-Accel-Buffering", "no");
        if (streams.size() >= MAX_STREAMS) {
            throw new HttpError(503, "too many open streams", "close other dashboard tabs");
        }
        ex.sendResponseHeaders(200, 0);
        streams.add(s);
        try {
            s.source(source.apply(s));
            streamThreads.execute(() -> {
                try {
                    s.run();
                } finally {
                    streams.remove(s);
                }
            });
        } catch (RuntimeException e) {
            // too many streams at once, or the source refused (a service without a log)
            streams.remove(s);
            s.close();
            ex.close();
        }
    }

    /** An event as the API writes it: {@code {time, source, type, level, message, fields}}. */
    static ObjectNode event(Event e) {
        ObjectNode n = Json.object();
        n.put("time", e.time().toString());
        n.put("source", e.source());
        n.put("type", e.type());
        n.put("level", e.level().name().toLowerCase(Locale.ROOT));
        n.put("message", e.message());
        ObjectNode f = n.putObject("fields");
        e.fields().forEach((k, v) -> {
            if (v == null) {
                f.putNull(k);
            } else if (v instanceof Double || v instanceof Float) {
                f.put(k, ((Number) v).doubleValue());
            } else if (v instanceof Number num) {
                f.put(k, num.longValue());
            } else if (v instanceof Boolean b) {
                f.put(k, b);
            } else {
                f.put(k, String.valueOf(v));
            }
        });
        return n;
    }

    private void asset(HttpExchange ex, String name) throws IOException {
        Assets.Asset a = assets.get(name).orElseThrow(DashboardServer::notFound);
        Headers h = ex.getResponseHeaders();
        h.set("ETag", a.etag());
        h.set("Cache-Control", "private, no-cache");
        if (name.endsWith(".html")) {
            h.set(
                    "Content-Security-Policy",
                    "default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline';"
                            + " frame-ancestors 'none'; base-uri 'none'; form-action 'self'");
        }
        h.add("Vary", "Accept-Encoding");
        String inm = ex.getRequestHeaders().getFirst("If-None-Match");
        if (a.etag().equals(inm)) {
            ex.sendResponseHeaders(304, -1);
            ex.close();
            return;
        }
        String ae = ex.getRequestHeaders().getFirst("Accept-Encoding");
        boolean gzip =
                a.gzipped() != null && ae != null && ae.toLowerCase(Locale.ROOT).contains("gzip");
        if (gzip) {
            h.set("Content-Encoding", "gzip");
        }
        send(ex, 200, a.type(), gzip ? a.gzipped() : a.bytes(), false);
    }

    // --- auth and request checks

    private boolean authorized(HttpExchange ex, Map<String, String> query) {
        Headers rh = ex.getRequestHeaders();
        if (query.containsKey("token")) {
            return token.matches(query.get("token"));
        }
        String auth = rh.getFirst("Authorization");
        if (auth != null) {
            return auth.regionMatches(true, 0, "Bearer ", 0, 7)
                    && token.matches(auth.substring(7).trim());
        }
        for (String c : rh.getOrDefault("Cookie", List.of())) {
            java.util.regex.Matcher mt = COOKIE_TOKEN.matcher(c);
            if (mt.find() && token.matches(mt.group(1))) {
                return true;
            }
        }
        return false;
    }

    /** A POST with the CSRF header, a same-origin Origin (if any) and a small body. */
    private static void post(HttpExchange ex, String m) throws IOException {
        allow(m, "POST");
        Headers rh = ex.getRequestHeaders();
        if (!"1".equals(rh.getFirst("X-Lifeline"))) {
            throw new HttpError(403, "a POST needs the header X-Lifeline: 1", "the dashboard's page sends it");
        }
        String origin = rh.getFirst("Origin");
        if (origin != null) {
            String host = rh.getFirst("Host");
            String authority;
            try {
                URI o = URI.create(origin);
                authority = o.getRawAuthority();
            } catch (IllegalArgumentException e) {
                authority = null;
            }
            if (host == null || authority == null || !authority.equalsIgnoreCase(host)) {
                throw new HttpError(403, "a POST from another origin is refused", null);
            }
        }
        String len = rh.getFirst("Content-Length");
        if (len != null) {
            try {
                if (Long.parseLong(len.trim()) > MAX_BODY) {
                    drain(ex);
                    throw new HttpError(413, "the body is over 64 KiB", "send {}");
                }
            } catch (NumberFormatException e) {
                throw new HttpError(400, "bad Content-Length", null);
            }
        }
        byte[] body;
        try (InputStream in = ex.getRequestBody()) {
            body = in.readNBytes(MAX_BODY + 1);
        }
        if (body.length > MAX_BODY) {
            drain(ex);
            throw new HttpError(413, "the body is over 64 KiB", "send {}");
        }
        String text = new String(body, StandardCharsets.UTF_8).trim();
        if (!text.isEmpty()) {
            try {
                if (!Json.parse(text).isObject()) {
                    throw new HttpError(400, "the body must be a JSON object", "send {}");
                }
            } catch (RuntimeException e) {
                if (e instanceof HttpError he) {
                    throw he;
                }
                throw new HttpError(400, "the body is not JSON", "send {}");
            }
        }
    }

    /** Bytes of a refused body read and thrown away, so that the client reads the 413 instead of a reset. */
    private static final int DRAIN = 1 << 20;

    /**
     * Reads and drops what is left of a body that is too large, up to {@link #DRAIN} (within the
     * request's read deadline): a socket closed with unread bytes is reset, and the client would
     * see a broken connection instead of the 413. Past that, the connection is closed after the
     * answer.
     */
    private static void drain(HttpExchange ex) {
        byte[] sink = new byte[8192];
        long left = DRAIN;
        try {
            InputStream in = ex.getRequestBody();
            while (left > 0) {
                int n = in.read(sink, 0, (int) Math.min(sink.length, left));
                if (n < 0) {
                    return;
                }
                left -= n;
            }
        } catch (IOException e) {
            // the client went: nothing to answer
        }
        ex.getResponseHeaders().set("Connection", "close");
    }

    private static void allow(String method, String allowed) {
        if (!method.equals(allowed)) {
            throw new HttpError(405, method + " is not allowed here", "use " + allowed, allowed);
        }
    }

    private static void exact(List<String> p, int n) {
        if (p.size() != n) {
            throw notFound();
        }
    }

    private static String service(String name) {
        if (!SERVICE.matcher(name).matches()) {
            throw new HttpError(404, "no service '" + printable(name) + "'", "GET /api/services lists them");
        }
        return name;
    }

    private static HttpError notFound() {
        return new HttpError(404, "not found", "see docs/api.md for the routes");
    }

    private static int intParam(Map<String, String> q, String name, int dflt, int min, int max) {
        String v = q.get(name);
        if (v == null) {
            return dflt;
        }
        try {
            int i = Integer.parseInt(v);
            if (i >= min && i <= max) {
                return i;
            }
        } catch (NumberFormatException e) {
            // below
        }
        throw new HttpError(400, name + " must be a number from " + min + " to " + max, null);
    }

    private static String printable(String s) {
        String t = s.length() > 80 ? s.substring(0, 80) + "…" : s;
        return "'" + t.replaceAll("[^\\x20-\\x7e]", "?") + "'";
    }

    private static List<String> segments(String rawPath) {
        List<String> out = new ArrayList<>();
        for (String s : rawPath.split("/")) {
            if (!s.isEmpty()) {
                out.add(s);
            }
        }
        return out;
    }

    private static Map<String, String> query(String raw) {
        Map<String, String> out = new LinkedHashMap<>();
        if (raw == null || raw.isEmpty()) {
            return out;
        }
        for (String kv : raw.split("&", 64)) {
            int eq = kv.indexOf('=');
            String k = eq < 0 ? kv : kv.substring(0, eq);
            String v = eq < 0 ? "" : kv.substring(eq + 1);
            try {
                out.putIfAbsent(
                        URLDecoder.decode(k, StandardCharsets.UTF_8), URLDecoder.decode(v, StandardCharsets.UTF_8));
            } catch (IllegalArgumentException e) {
                throw new HttpError(400, "the query is not URL-encoded", null);
            }
        }
        return out;
    }

    private static String withoutToken(String raw) {
        if (raw == null) {
            return "";
        }
        List<String> keep = new ArrayList<>();
        for (String kv : raw.split("&")) {
            if (!kv.equals("token") && !kv.startsWith("token=")) {
                keep.add(kv);
            }
        }
        return String.join("&", keep);
    }

    private static void json(HttpExchange ex, int status, JsonNode n) throws IOException {
        send(ex, status, "application/json; charset=utf-8", Json.write(n).getBytes(StandardCharsets.UTF_8), true);
    }

    private static void send(HttpExchange ex, int status, String type, byte[] body, boolean mayGzip)
            throws IOException {
        Headers h = ex.getResponseHeaders();
        h.set("Content-Type", type);
        String ae = ex.getRequestHeaders().getFirst("Accept-Encoding");
        if (mayGzip
                && body.length > 1024
                && ae != null
                && ae.toLowerCase(Locale.ROOT).contains("gzip")) {
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            try (java.util.zip.GZIPOutputStream g = new java.util.zip.GZIPOutputStream(b)) {
                g.write(body);
            }
            body = b.toByteArray();
            h.set("Content-Encoding", "gzip");
            h.add("Vary", "Accept-Encoding");
        }
        ex.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(body);
        }
    }

    /** Stops listening, ends every stream and the thumbnail thread; holds no lock while waiting. */
    @Override
    public void close() {
        AutoCloseable sub = statusEvents;
        if (sub != null) {
            try {
                sub.close();
            } catch (Exception e) {
                // closing anyway
            }
        }
        for (SseStream s : List.copyOf(streams)) {
            s.close();
        }
        server.stop(0);
        requests.shutdownNow();
        streamThreads.shutdownNow();
        thumbnails.close();
        watchdog.close();
    }

    /** For tests: how many streams are open. */
    int openStreams() {
        return streams.size();
    }
}
