package dev.lifeline.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lifeline.core.Home;
import dev.lifeline.core.LifelineException;
import dev.lifeline.insight.ErrorReport;
import dev.lifeline.insight.LogFilter;
import dev.lifeline.insight.LogInsight;
import dev.lifeline.insight.ServiceRuns;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code lifeline errors SERVICE}: errors per hour, the most frequent messages and known problems. */
@Command(
        name = "errors",
        description = "Errors in a service's log: a count per hour, the most frequent messages, known problems and"
                + " their fixes. A Python traceback counts as one error.")
final class ErrorsCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "SERVICE", description = "The service whose log to read.")
    String service;

    @Option(
            names = "--since",
            paramLabel = "WHEN",
            description = "Only errors since then: 30m, 1h, 2d, or a time such as 2026-11-21T10:00.")
    String since;

    @Option(
            names = "--top",
            paramLabel = "N",
            defaultValue = "5",
            description = "How many messages to list (default ${DEFAULT-VALUE}).")
    int top;

    @Option(names = "--json", description = "Print the report as JSON.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        if (!service.matches("[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")) {
            throw new LifelineException("'" + service + "' is not a service name", "use the name from lifeline.yaml");
        }
        Home home = Context.home();
        Path log = home.serviceLog(service);
        if (!Files.exists(log)) {
            throw new LifelineException(
                    "no log for '" + service + "' at " + log,
                    "start it with `lifeline up " + service + "` (or check the name)");
        }
        LogInsight insight = LogInsight.systemDefault();
        Optional<Instant> from = since == null
                ? Optional.empty()
                : LogFilter.parse(null, since, null, insight.clock(), insight.zone())
                        .since();
        ErrorReport r = insight.errors(log, ServiceRuns.read(home.stateFile(service)), from, top);
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            out.println(new ObjectMapper()
                    .writerWithDefaultPrettyPrinter()
                    .writeValueAsString(dev.lifeline.daemon.Protocol.errors(r, log)));
        } else {
            print(out, r, log, insight);
        }
        out.flush();
        return 0;
    }

    private static void print(PrintWriter out, ErrorReport r, Path log, LogInsight insight) {
        DateTimeFormatter hour = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:00").withZone(insight.zone());
        DateTimeFormatter time = DateTimeFormatter.ofPattern("MM-dd HH:mm").withZone(insight.zone());
        out.println("errors per hour in " + log + " (" + insight.zone().getId() + "):");
        if (r.perHour().isEmpty() && r.withoutTime() == 0) {
            out.println("  none");
        }
        for (Map.Entry<Instant, Integer> e : r.perHour().entrySet()) {
            out.printf("  %s  %5d%n", hour.format(e.getKey()), e.getValue());
        }
        if (r.withoutTime() > 0) {
            out.printf("  %-16s  %5d%n", "no time", r.withoutTime());
        }
        out.println("total: " + Plural.of(r.total(), "error") + estimatedNote(r));
        r.lastRun()
                .ifPresent(run -> out.println("in the "
                        + (run.running() ? "current" : "last") + " run (run " + run.number() + ", started "
                        + time.format(run.startedAt()) + "): " + Plural.of(r.inLastRun(), "error")));
        if (!r.top().isEmpty()) {
            out.println();
            out.println("most frequent:");
            for (ErrorReport.MessageCount m : r.top()) {
                String msg = m.message().length() > 140 ? m.message().substring(0, 139) + "…" : m.message();
                out.printf(
                        "  %5d×  %s%s%n",
                        m.count(), msg, m.lastSeen() == null ? "" : "   (last " + time.format(m.lastSeen()) + ")");
            }
        }
        if (!r.currentProblems().isEmpty()) {
            out.println();
            out.println(r.lastRun().isPresent() ? "known problems (the last run shows them):" : "known problems:");
            for (ErrorReport.ProblemCount p : r.currentProblems()) {
                out.printf(
                        "  %s (%d×%s)%n",
                        p.problem().title(),
                        p.count(),
                        p.lastSeen() == null ? "" : ", last " + time.format(p.lastSeen()));
                out.println("    why: " + p.problem().explanation());
                out.println("    fix: " + p.problem().fix());
            }
        }
        if (!r.pastProblems().isEmpty()) {
            out.println();
            out.println("history (earlier runs showed these; the last run does not):");
            for (ErrorReport.ProblemCount p : r.pastProblems()) {
                out.printf(
                        "  %s (%d×%s)%n",
                        p.problem().title(),
                        p.count(),
                        p.lastSeen() == null ? "" : ", last " + time.format(p.lastSeen()));
            }
        }
    }

    private static String estimatedNote(ErrorReport r) {
        if (r.estimated() == 0) {
            return "";
        }
        return " (" + r.estimated() + " without a timestamp of their own: counted in the hour their run started"
                + " or the last timestamp before them; add %(asctime)s to the app's log format for exact times)";
    }
}
