package dev.lifeline.supervisor;

import dev.lifeline.config.ServiceSpec;

/**
 * Liveness after ready: one probe per {@code every}, and the count of failures in a row that
 * ends in a restart. Not thread-safe: the runner uses it under its lock (the probe itself runs
 * outside it).
 */
final class HealthCheck {
    /** What one probe's result means. */
    enum Verdict {
        OK,
        /** It answers again after failing. */
        ANSWERS_AGAIN,
        /** It failed, not yet often enough for a restart. */
        FAILED,
        /** It failed {@code failures} times in a row: restart it. */
        UNHEALTHY
    }

    private int failures;

    /** One probe, answering within the check's timeout (at least 100 ms). */
    static boolean probe(int port, ServiceSpec.Health h) {
        int timeout = (int) Math.max(100, h.timeout().toMillis());
        return h.isHttp() ? Probes.http(port, h.httpPath(), timeout) : Probes.tcp(port, timeout);
    }

    Verdict record(boolean ok, ServiceSpec.Health h) {
        if (ok) {
            boolean was = failures > 0;
            failures = 0;
            return was ? Verdict.ANSWERS_AGAIN : Verdict.OK;
        }
        failures++;
        return failures >= h.failures() ? Verdict.UNHEALTHY : Verdict.FAILED;
    }

    int failures() {
        return failures;
    }

    void reset() {
        failures = 0;
    }

    static String describe(ServiceSpec.Health h, int port) {
        return (h.isHttp() ? "GET " + h.httpPath() : "TCP connect") + " on :" + port;
    }
}
