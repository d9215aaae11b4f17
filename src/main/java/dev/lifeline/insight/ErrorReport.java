package dev.lifeline.insight;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Errors in one log: how many per hour, the most frequent messages and the known problems.
 *
 * @param total error events (a traceback counts once; two tracebacks in a row count twice)
 * @param withoutTime errors with no time at all (nothing in the log or its runs bounds them)
 * @param estimated errors counted in {@code perHour} by an estimated time: the app printed no
 *     timestamp for them, so the start of their run or the timestamp before them is used
 * @param perHour start of each hour (that had errors) to the errors in it, oldest first
 * @param top the most frequent messages, most frequent first
 * @param problems the known problems, current ones (seen in the last run) first
 * @param lastRun the latest run the supervisor recorded, if any
 * @param inLastRun errors of the last run (all errors when no run is recorded)
 */
public record ErrorReport(
        int total,
        int withoutTime,
        int estimated,
        SortedMap<Instant, Integer> perHour,
        List<MessageCount> top,
        List<ProblemCount> problems,
        Optional<ServiceRuns.Run> lastRun,
        int inLastRun) {
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

    /**
     * @param current true when the last run shows it too (or no runs are recorded); false when it
     *     is history: a later run no longer shows it
     * @param inLastRun how many times the last run shows it
     */
    public record ProblemCount(KnownProblem problem, int count, Instant lastSeen, boolean current, int inLastRun) {}

    /** The known problems the last run shows. */
    public List<ProblemCount> currentProblems() {
        return problems.stream().filter(ProblemCount::current).toList();
    }

    /** The known problems earlier runs showed and the last one does not: fixed, or not hit since. */
    public List<ProblemCount> pastProblems() {
        return problems.stream().filter(p -> !p.current()).toList();
    }
}
