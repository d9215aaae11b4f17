package dev.lifeline.tunnel;

import dev.lifeline.core.Event;
import dev.lifeline.core.EventListener;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;

/**
 * The events of one tunnel ({@code source} = {@code tunnel/NAME}), each type's level, words and
 * fields in one place (docs/tunnel.md lists them): {@code starting}, {@code up}, {@code degraded},
 * {@code down}, {@code retrying}, {@code tunnel-up} (contract C2), {@code session}, {@code failed},
 * {@code stopped}. Called by the tunnel's thread with no lock held (a listener may take the
 * daemon's lock); a listener that throws never breaks the tunnel.
 */
final class TunnelEvents {
    private final String name;
    private final String source;
    private final EventListener listener;

    TunnelEvents(String name, EventListener listener) {
        this.name = name;
        this.source = "tunnel/" + name;
        this.listener = listener;
    }

    void starting(String command, long pid) {
        emit("starting", Event.Level.INFO, "tunnel " + name + ": " + command, Map.of("pid", pid, "command", command));
    }

    /** @param rtt {@code " (rtt 3 ms)"}, or empty before a round trip was measured */
    void up(String forwards, String rtt, long pid) {
        emit("up", Event.Level.INFO, "tunnel " + name + " up: " + forwards + rtt, Map.of("pid", pid));
    }

    /** C2: the notifier tells people a tunnel is back, as it told them it went down. */
    void upAgain(double downSeconds, String rtt, int reconnects, long pid) {
        emit(
                "tunnel-up",
                Event.Level.INFO,
                String.format(Locale.ROOT, "tunnel %s up again after %.1f s down%s", name, downSeconds, rtt),
                Map.of("downSeconds", downSeconds, "afterSeconds", downSeconds, "reconnects", reconnects, "pid", pid));
    }

    /** A degraded tunnel's remote ends all answer again. */
    void remoteEndsBack() {
        emit("up", Event.Level.INFO, "tunnel " + name + ": every remote end answers again", Map.of());
    }

    /** @param why which remote ends do not answer */
    void degraded(String why) {
        emit(
                "degraded",
                Event.Level.WARN,
                "tunnel " + name + " degraded: " + why + " (the link itself is fine)",
                Map.of());
    }

    void down(Problem p) {
        emit("down", Event.Level.WARN, "tunnel " + name + " down: " + p.message(), reasonAndKind(p));
    }

    void failed(Problem p) {
        emit("failed", Event.Level.ERROR, "tunnel " + name + " failed: " + p.text(), reasonAndKind(p));
    }

    /** A failure that is not ssh's: {@code text} for people, {@code reason} for the field. */
    void failed(String text, String reason) {
        emit("failed", Event.Level.ERROR, "tunnel " + name + " failed: " + text, Map.of("reason", reason));
    }

    void retrying(Problem p, Duration delay) {
        emit(
                "retrying",
                Event.Level.INFO,
                "tunnel " + name + ": " + p.message() + "; retrying in "
                        + String.format(Locale.ROOT, "%.1f", delay.toNanos() / 1e9) + " s",
                Map.of("delayMillis", delay.toMillis()));
    }

    /** Fell back to plain {@code -N}: {@code text} is the status line, {@code why} the server's refusal. */
    void session(String text, String why) {
        emit(
                "session",
                Event.Level.WARN,
                "tunnel " + name + ": " + text + "; reconnecting without a session",
                Map.of("session", "plain", "reason", why));
    }

    void stopped() {
        emit("stopped", Event.Level.INFO, "tunnel " + name + " stopped", Map.of());
    }

    private static Map<String, Object> reasonAndKind(Problem p) {
        return Map.of("reason", p.message(), "kind", p.kind().name().toLowerCase(Locale.ROOT));
    }

    private void emit(String type, Event.Level level, String message, Map<String, Object> fields) {
        try {
            listener.onEvent(Event.of(source, type, level, message, fields));
        } catch (RuntimeException e) {
            // a listener must not break the tunnel
        }
    }
}
