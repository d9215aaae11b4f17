package dev.lifeline.daemon;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lifeline.core.Json;
import dev.lifeline.supervisor.ServiceStatus;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.LongSupplier;

/**
 * How busy each service's process tree is, as pm2's {@code cpu} column: percent of one core over
 * the interval since the daemon last looked at this run, from the CPU time every {@code status}
 * already reads (no sampling thread, no extra {@code /proc} scan). The interval is at least 1 s
 * (asked again sooner, the last figure stands) and at most 60 s; without a look of this run in
 * that window the figure is the average over the run so far, as {@code ps}'s %CPU. The record says
 * which: {@code cpuLoadSeconds} is how long the figure is over.
 */
final class CpuLoad {
    static final long MIN_NANOS = 1_000_000_000L;
    static final long MAX_NANOS = 60_000_000_000L;

    /** One look at a run: its CPU time at a monotonic instant, and the figure it gave. */
    private record Look(long pid, long start, double cpuSeconds, long atNanos, Reading reading) {}

    /**
     * @param percent of one core (100 = one core busy all the time; a tree can use several)
     * @param seconds how long it is over: the interval since the last look, or the run so far
     */
    record Reading(double percent, double seconds) {}

    private final LongSupplier clock;
    private final Map<String, Look> looks = new HashMap<>(); // guarded by this

    CpuLoad() {
        this(System::nanoTime);
    }

    CpuLoad(LongSupplier nanoClock) {
        this.clock = nanoClock;
    }

    /** The reading for this service now, or null when none of it runs (or it has only just started). */
    synchronized Reading read(ServiceStatus s) {
        if (s.pid() == 0 || s.startTimeSeconds() == 0) {
            looks.remove(s.name());
            return null;
        }
        long now = clock.getAsLong();
        Look last = looks.get(s.name());
        boolean sameRun = last != null && last.pid() == s.pid() && last.start() == s.startTimeSeconds();
        long since = sameRun ? now - last.atNanos() : Long.MAX_VALUE;
        if (since < MIN_NANOS) {
            return last.reading() != null ? last.reading() : runAverage(s); // the base stays
        }
        Reading r = since <= MAX_NANOS
                ? new Reading(Math.max(0, 100 * (s.cpuSeconds() - last.cpuSeconds()) / (since / 1e9)), since / 1e9)
                : runAverage(s);
        looks.put(s.name(), new Look(s.pid(), s.startTimeSeconds(), s.cpuSeconds(), now, r));
        return r;
    }

    private static Reading runAverage(ServiceStatus s) {
        return s.uptimeSeconds() >= 1 ? new Reading(100 * s.cpuSeconds() / s.uptimeSeconds(), s.uptimeSeconds()) : null;
    }

    /**
     * The {@code status} records of these views, each with {@code cpuLoadPercent} and {@code
     * cpuLoadSeconds} where there is a reading; services not among them are forgotten.
     */
    ArrayNode status(List<Protocol.ServiceView> views) {
        ArrayNode a = Json.array();
        Set<String> seen = new HashSet<>();
        for (Protocol.ServiceView v : views) {
            ObjectNode n = Protocol.service(v);
            Reading r = read(v.service());
            if (r != null) {
                n.put("cpuLoadPercent", Math.round(r.percent() * 10) / 10.0);
                n.put("cpuLoadSeconds", Math.round(r.seconds() * 10) / 10.0);
            }
            seen.add(v.service().name());
            a.add(n);
        }
        synchronized (this) {
            looks.keySet().retainAll(seen);
        }
        return a;
    }
}
