package dev.lifeline.insight;

import dev.lifeline.core.Event;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * One entry of a service log: a single line, or a whole Python traceback (with the error line
 * that introduced it) as one error.
 *
 * @param lineNumber 1-based line number of its first line in the file (0 when fed live)
 * @param time its own timestamp, else the last one seen before it; null when the log has none yet
 * @param message the line without timestamp and level, or a traceback's final exception line
 * @param lines the raw lines, as in the file
 */
public record LogEvent(
        long lineNumber,
        Instant time,
        Event.Level level,
        String message,
        List<String> lines,
        Optional<KnownProblem> problem) {
    public LogEvent {
        lines = List.copyOf(lines);
    }

    public Optional<Instant> timeIfKnown() {
        return Optional.ofNullable(time);
    }

    /** The raw text, lines joined by newlines. */
    public String text() {
        return String.join("\n", lines);
    }

    /** True for a grouped traceback. */
    public boolean isTraceback() {
        return lines.size() > 1;
    }
}
