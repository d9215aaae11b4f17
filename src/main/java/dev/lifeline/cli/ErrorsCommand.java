package dev.lifeline.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lifeline.core.Home;
import dev.lifeline.core.LifelineException;
import dev.lifeline.insight.ErrorReport;
import dev.lifeline.insight.LogFilter;
import dev.lifeline.insight.LogInsight;
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
        ErrorReport r = insight.errors(log, from, top);
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            out.println(new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsString(toJson(r, log)));
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
            out.printf(
                    "  %-16s  %5d   (the app prints no timestamps before them; add %%(asctime)s to its log format)%n",
                    "no time", r.withoutTime());
        }
        out.println("total: " + Plural.of(r.total(), "error"));
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
        if (!r.problems().isEmpty()) {
            out.println();
            out.println("known problems:");
            for (ErrorReport.ProblemCount p : r.problems()) {
                out.printf(
                        "  %s (%d×%s)%n",
                        p.problem().title(),
                        p.count(),
                        p.lastSeen() == null ? "" : ", last " + time.format(p.lastSeen()));
                out.println("    why: " + p.problem().explanation());
                out.println("    fix: " + p.problem().fix());
            }
        }
    }

    private static ObjectNode toJson(ErrorReport r, Path log) {
        ObjectMapper m = new ObjectMapper();
        ObjectNode n = m.createObjectNode();
        n.put("log", log.toString());
        n.put("total", r.total());
        n.put("withoutTime", r.withoutTime());
        ArrayNode hours = n.putArray("perHour");
        r.perHour()
                .forEach((h, c) -> hours.addObject().put("hour", h.toString()).put("errors", c));
        ArrayNode top = n.putArray("top");
        r.top()
                .forEach(t -> top.addObject()
                        .put("message", t.message())
                        .put("count", t.count())
                        .put(
                                "lastSeen",
                                t.lastSeen() == null ? null : t.lastSeen().toString()));
        ArrayNode probs = n.putArray("problems");
        r.problems()
                .forEach(p -> probs.addObject()
                        .put("id", p.problem().id())
                        .put("title", p.problem().title())
                        .put("count", p.count())
                        .put(
                                "lastSeen",
                                p.lastSeen() == null ? null : p.lastSeen().toString())
                        .put("explanation", p.problem().explanation())
                        .put("fix", p.problem().fix()));
        return n;
    }
}
