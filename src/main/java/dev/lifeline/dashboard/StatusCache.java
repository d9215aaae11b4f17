package dev.lifeline.dashboard;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lifeline.core.Json;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * {@code status} for the API: read at most every {@value #MAX_AGE_MILLIS} ms however many clients
 * ask, and again after any daemon event (a state change is never served stale). Holds no lock: two
 * requests racing past the age may both read.
 */
final class StatusCache implements AutoCloseable {
    static final long MAX_AGE_MILLIS = 250;

    private record Cached(JsonNode value, long readAtNanos, int generation) {}

    private final Backend backend;
    private final AtomicInteger generation = new AtomicInteger();
    private final AutoCloseable events;
    private volatile Cached cached;

    StatusCache(Backend backend) {
        this.backend = backend;
        this.events = backend.subscribe(e -> generation.incrementAndGet());
    }

    JsonNode get() {
        Cached c = cached;
        int gen = generation.get();
        long now = System.nanoTime();
        if (c != null && c.generation() == gen && now - c.readAtNanos() < MAX_AGE_MILLIS * 1_000_000L) {
            return c.value();
        }
        JsonNode fresh = backend.call("status", Json.object());
        cached = new Cached(fresh, now, gen);
        return fresh;
    }

    /** The {@code status} record of one service, or 404. */
    JsonNode known(String name) {
        for (JsonNode s : get()) {
            if (name.equals(s.path("name").asText())) {
                return s;
            }
        }
        throw new HttpError(404, "no service '" + name + "'", "GET /api/services lists them");
    }

    @Override
    public void close() {
        try {
            events.close();
        } catch (Exception e) {
            // closing anyway
        }
    }
}
