package dev.lifeline.insight;

import java.time.Instant;
import java.util.List;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Errors in one log: how many per hour, the most frequent messages and the known problems.
 *
 * @param total error events (a traceback counts once)
 * @param withoutTime errors before the log's first timestamp (apps that print no times)
 * @param perHour start of each hour (that had errors) to the errors in it, oldest first
 * @param top the most frequent messages, most frequent first
 */
public record ErrorReport(
        int total,
        int withoutTime,
        SortedMap<Instant, Integer> perHour,
        List<MessageCount> top,
        List<ProblemCount> problems) {
    public ErrorReport {
        perHour = java.util.Collections.unmodifiableSortedMap(new TreeMap<>(perHour));
        top = List.copyOf(top);
        problems = List.copyOf(problems);
    }

    /**
     * @param message the most recent wording of the message (numbers may differ between occurrences)
     * @param lastSeen null when the log has no time for it
     */
    public record MessageCount(String message, int count, Instant lastSeen) {}

    public record ProblemCount(KnownProblem problem, int count, Instant lastSeen) {}
}
