package dev.lifeline.cli;

import com.fasterxml.jackson.databind.JsonNode;
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

    /** "webui   ready on :7860 in 42.0s   pid 12487   (log: …)". */
    static String summary(JsonNode s) {
        String state = s.path("state").asText();
        StringBuilder b = new StringBuilder(
                String.format(Locale.ROOT, "  %-10s %-9s", s.path("name").asText(), state));
        if (state.equals("ready")) {
            if (!s.path("port").isNull()) {
                b.append(" on :").append(s.path("port").asInt());
            }
            if (!s.path("readySeconds").isNull()) {
                b.append(String.format(
                        Locale.ROOT, " in %.1fs", s.path("readySeconds").asDouble()));
            }
        }
        if (s.path("pid").asLong() > 0) {
            b.append("   pid ").append(s.path("pid").asLong());
        }
        b.append("   (log: ").append(s.path("log").asText()).append(')');
        return b.toString();
    }
}
