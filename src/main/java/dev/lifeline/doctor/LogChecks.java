package dev.lifeline.doctor;

import dev.lifeline.core.Home;
import dev.lifeline.insight.ErrorReport;
import dev.lifeline.insight.LogInsight;
import dev.lifeline.insight.ServiceRuns;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The {@code log} and {@code known-problem} checks of one service: how many errors its log has
 * (in the last hour, in all, in the current or last run; a WARN when there were any in the last
 * hour), and each known problem found, with its explanation and fix — history when only earlier
 * runs had it, skipped when older than 24 hours in a log without runs.
 */
final class LogChecks {
    private final Home home;
    private final String name;
    private final LogInsight insight;

    LogChecks(Home home, String name, LogInsight insight) {
        this.home = home;
        this.name = name;
        this.insight = insight;
    }

    /**
     * @param runs the runs the supervisor recorded
     * @param down how the service stands when it is not running: a known problem of a service
     *     that failed or died is a FAIL, otherwise a WARN
     */
    List<Check> run(ServiceRuns runs, PidCheck.Down down) {
        Path log = home.serviceLog(name);
        List<Check> out = new ArrayList<>();
        if (!Files.exists(log)) {
            out.add(Check.warn(
                    "log", name, "no log yet at " + log + ": " + name + " has not been started by Lifeline"));
            return out;
        }
        Instant now = insight.clock().instant();
        ErrorReport r = insight.errors(log, runs, Optional.empty(), 1);
        // hour buckets that overlap the last hour start after now - 2h
        int lastHour = r.perHour().tailMap(now.minus(Duration.ofHours(2)).plusSeconds(1)).values().stream()
                .mapToInt(Integer::intValue)
                .sum();
        if (r.total() == 0) {
            out.add(Check.ok("log", name, "no errors in " + log));
        } else {
            String top = r.top().isEmpty()
                    ? ""
                    : "; most frequent: \"" + Human.shorten(r.top().get(0).message(), 120) + "\" ("
                            + r.top().get(0).count() + "×)";
            String when = lastHour > 0
                    ? count(lastHour, "error") + " in the last hour, " + r.total() + " in the log"
                    : count(r.total(), "error") + " in the log, none in the last hour";
            String run = r.lastRun()
                    .map(l -> ", " + r.inLastRun() + " in the " + (l.running() ? "current" : "last") + " run")
                    .orElse("");
            String estimated = r.estimated() > 0 ? " (times of " + r.estimated() + " estimated from run starts)" : "";
            Check.Status st = lastHour > 0 || r.perHour().isEmpty() ? Check.Status.WARN : Check.Status.OK;
            out.add(new Check(
                    "log", st, when + run + estimated + top + "; details: `lifeline errors " + name + "`", name));
        }
        DateTimeFormatter hhmm = DateTimeFormatter.ofPattern("MM-dd HH:mm").withZone(insight.zone());
        boolean failing =
                down == PidCheck.Down.FAILED || down == PidCheck.Down.CRASH_LOOP || down == PidCheck.Down.DIED;
        boolean byRun = r.lastRun().isPresent();
        for (ErrorReport.ProblemCount p : r.problems()) {
            String seen = p.count() + "×" + (p.lastSeen() == null ? "" : ", last " + hhmm.format(p.lastSeen()));
            if (!p.current()) {
                out.add(Check.ok(
                        "known-problem",
                        name,
                        "history: " + p.problem().title() + " (" + seen + ") was seen in earlier runs, not in the "
                                + (r.lastRun().get().running() ? "current" : "last") + " one"));
                continue;
            }
            if (!byRun && p.lastSeen() != null && p.lastSeen().isBefore(now.minus(Duration.ofHours(24)))) {
                continue;
            }
            String text = p.problem().title() + " (" + seen + (byRun ? ", in its last run" : "") + "): "
                    + p.problem().explanation() + " Fix: " + p.problem().fix();
            out.add(failing ? Check.fail("known-problem", name, text) : Check.warn("known-problem", name, text));
        }
        return out;
    }

    private static String count(int n, String word) {
        return n + " " + word + (n == 1 ? "" : "s");
    }
}
