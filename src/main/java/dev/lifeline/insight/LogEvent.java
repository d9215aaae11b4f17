package dev.lifeline.insight;

import dev.lifeline.core.Event;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * One entry of a service log: a single line, or a whole Python traceback (with the error line
 * that introduced it) as one error.
 *
 * @param lineNumber 1-based line number of its first line in its file (0 when fed live)
 * @param time its own timestamp; else (then {@code estimated}) the earliest it can be: the last
 *     timestamp before it or the start of its run, whichever is later; null when nothing bounds it
 * @param message the line without timestamp and level, or a traceback's final exception line
 * @param lines the raw lines, as in the file
 * @param offset where it begins in the log, counted as run records count (0: the start of the
 *     current file, negative in rotated generations); {@link Long#MIN_VALUE} when unknown
 * @param run the run of the app that wrote it, when the supervisor recorded runs
 * @param estimated true when {@code time} is not the event's own timestamp
 * @param notAfter for an estimated time, the latest it can be (the next timestamp in the log, the
 *     end of its run, the file's last change); null when unknown; equal to {@code time} otherwise
 */
public record LogEvent(
        long lineNumber,
        Instant time,
        Event.Level level,
        String message,
        List<String> lines,
        Optional<KnownProblem> problem,
        long offset,
        Optional<ServiceRuns.Run> run,
        boolean estimated,
        Instant notAfter) {
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

    /** The latest this event can have been written, or null when not known at all. */
    public Instant latest() {
        return notAfter != null ? notAfter : time;
    }

    LogEvent bounded(Instant upper) {
        Instant u = time != null && upper != null && upper.isBefore(time) ? time : upper;
        return new LogEvent(lineNumber, time, level, message, lines, problem, offset, run, estimated, u);
    }
}
