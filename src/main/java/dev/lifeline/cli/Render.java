package dev.lifeline.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lifeline.daemon.Protocol;
import dev.lifeline.supervisor.ServiceState;
import dev.lifeline.supervisor.ServiceStatus;
import java.util.Locale;

/** Text for people: durations, sizes, one-line service summaries. */
final class Render {
    private Render() {}

    static String duration(long seconds) {
        if (seconds < 60) {
            return seconds + "s";
        }
        if (seconds < 3600) {
            return (seconds / 60) + "m" + (seconds % 60 == 0 ? "" : (seconds % 60) + "s");
        }
        if (seconds < 86400) {
            return (seconds / 3600) + "h" + ((seconds % 3600) / 60) + "m";
        }
        return (seconds / 86400) + "d" + ((seconds % 86400) / 3600) + "h";
    }

    static String bytes(long b) {
        if (b <= 0) {
            return "-";
        }
        if (b < 1 << 20) {
            return (b >> 10) + "K";
        }
        if (b < 1L << 30) {
            return String.format(Locale.ROOT, "%.0fM", b / 1048576.0);
        }
        return String.format(Locale.ROOT, "%.1fG", b / 1073741824.0);
    }

    /**
     * The live readiness progress line of a starting service ("loading model… 42%"), or "".
     * The supervisor sends it as the {@code progress} field of a service's status (contract C3).
     */
    static String progress(JsonNode row) {
        return row.path("state").asText().equals("starting")
                ? row.path("progress").asText("").strip()
                : "";
    }

    /** "webui   ready on :7860 in 42.0s   pid 12487   (log: …)". */
    static String summary(Protocol.ServiceView v) {
        ServiceStatus s = v.service();
        StringBuilder b = new StringBuilder(
                String.format(Locale.ROOT, "  %-10s %-9s", s.name(), s.state().label()));
        if (s.state() == ServiceState.READY) {
            if (s.port() != null) {
                b.append(" on :").append(s.port());
            }
            if (s.readySeconds() >= 0) {
                b.append(String.format(Locale.ROOT, " in %.1fs", s.readySeconds()));
            }
        }
        if (s.pid() > 0) {
            b.append("   pid ").append(s.pid());
        }
        b.append("   (log: ").append(s.log()).append(')');
        return b.toString();
    }
}
