package dev.lifeline.dashboard;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpExchange;
import dev.lifeline.core.Event;
import dev.lifeline.core.Json;
import java.io.IOException;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * The open Server-Sent Events streams: at most {@value #MAX_STREAMS} at once (503 past that), each
 * on its own thread ({@code lifeline-dashboard-sse-N}, none while no stream is open) with its
 * bounded queue and a {@value #SSE_WRITE_MILLIS} ms write deadline ({@link SseStream}), a heartbeat
 * comment every {@value DashboardServer#HEARTBEAT_MILLIS} ms by default.
 */
final class Streams implements AutoCloseable {
    static final int MAX_STREAMS = 32;
    static final long SSE_WRITE_MILLIS = 10_000;

    private final Set<SseStream> open = ConcurrentHashMap.newKeySet();
    private final ThreadPoolExecutor threads;
    private final Watchdog watchdog;
    private final long heartbeatMillis;

    Streams(Watchdog watchdog, long heartbeatMillis) {
        this.watchdog = watchdog;
        this.heartbeatMillis = heartbeatMillis;
        AtomicInteger n = new AtomicInteger();
        this.threads = new ThreadPoolExecutor(0, MAX_STREAMS, 10, TimeUnit.SECONDS, new SynchronousQueue<>(), r -> {
            Thread t = new Thread(r, "lifeline-dashboard-sse-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }

    /** A Server-Sent Events response fed by {@code source} until either side closes (for HEAD: its headers only). */
    void open(HttpExchange ex, Function<SseStream, AutoCloseable> source) throws IOException {
        SseStream s = new SseStream(ex, heartbeatMillis, watchdog, SSE_WRITE_MILLIS);
        Headers h = ex.getResponseHeaders();
        h.set("Content-Type", "text/event-stream; charset=utf-8");
        h.set("Cache-Control", "no-store");
        h.set("X-Accel-Buffering", "no");
        if (open.size() >= MAX_STREAMS) {
            throw new HttpError(503, "too many open streams", "close other dashboard tabs");
        }
        if (Responses.headersOnly(ex, 200, 0)) {
            return; // no stream, no source, no thread
        }
        ex.sendResponseHeaders(200, 0);
        open.add(s);
        try {
            s.source(source.apply(s));
            threads.execute(() -> {
                try {
                    s.run();
                } finally {
                    open.remove(s);
                }
            });
        } catch (RuntimeException e) {
            // too many streams at once, or the source refused (a service without a log)
            open.remove(s);
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

    int count() {
        return open.size();
    }

    /** Ends every stream and its thread; waits for none. */
    @Override
    public void close() {
        for (SseStream s : List.copyOf(open)) {
            s.close();
        }
        threads.shutdownNow();
    }
}
