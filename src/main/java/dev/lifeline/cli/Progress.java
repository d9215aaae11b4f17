package dev.lifeline.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Renders the daemon's progress lines while services load. On a terminal one line per service is
 * rewritten in place; otherwise a line is printed when the state or the app's latest log line
 * changes, at most every 2 s, so CI logs stay readable.
 */
final class Progress {
    private final PrintWriter out;
    private final boolean tty;
    private final Map<String, String> lastShown = new HashMap<>();
    private final Map<String, Long> lastTime = new HashMap<>();
    private boolean lineOpen;

    Progress(PrintWriter out) {
        this.out = out;
        this.tty = System.console() != null && System.getenv("CI") == null;
    }

    void accept(JsonNode p) {
        String name = p.path("name").asText();
        String state = p.path("state").asText();
        long pid = p.path("pid").asLong();
        double elapsed = p.path("elapsedSeconds").asDouble();
        String last = p.path("lastLine").asText("");
        String text = String.format(
                Locale.ROOT,
                "  %-10s %-9s pid %-7s %s %5.0fs  %s",
                name,
                state,
                pid == 0 ? "-" : Long.toString(pid),
                state.equals("starting") ? "loading…" : "",
                elapsed,
                last);
        if (tty) {
            out.print("\r\033[K" + (text.length() > 160 ? text.substring(0, 159) + "…" : text));
            out.flush();
            lineOpen = true;
            return;
        }
        String key = state + "|" + last;
        long now = System.nanoTime();
        if (!key.equals(lastShown.get(name)) && now - lastTime.getOrDefault(name, 0L) > 2_000_000_000L) {
            out.println(text);
            out.flush();
            lastShown.put(name, key);
            lastTime.put(name, now);
        }
    }

    void finish() {
        if (lineOpen) {
            out.print("\r\033[K");
            out.flush();
            lineOpen = false;
        }
    }
}
