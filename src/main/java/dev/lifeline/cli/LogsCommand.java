package dev.lifeline.cli;

import dev.lifeline.core.Home;
import dev.lifeline.core.LifelineException;
import dev.lifeline.insight.EventAssembler;
import dev.lifeline.insight.LogEvent;
import dev.lifeline.insight.LogFilter;
import dev.lifeline.insight.LogFollower;
import dev.lifeline.insight.LogInsight;
import dev.lifeline.insight.LogLine;
import dev.lifeline.insight.ServiceRuns;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(
        name = "logs",
        description = "Print a service's log (its stdout and stderr), marking where each run of it began;"
                + " -f follows it, across rotations.")
final class LogsCommand implements Callable<Integer> {
    private static final long POLL_MILLIS = 200;

    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "SERVICE", description = "The service whose log to print.")
    String service;

    @Option(
            names = {"-n", "--lines"},
            paramLabel = "N",
            defaultValue = "50",
            description = "How many of the last lines (default: ${DEFAULT-VALUE}).")
    int lines;

    @Option(
            names = {"-f", "--follow"},
            description = "Keep printing new lines until interrupted.")
    boolean follow;

    @Option(
            names = "--level",
            paramLabel = "LEVEL",
            description = "Only events at this level or worse: warn or error (a Python traceback is one event).")
    String level;

    @Option(
            names = "--since",
            paramLabel = "WHEN",
            description = "Only events since then: 30m, 1h, 2d, or a time such as 2026-11-21T10:00. Lines without"
                    + " a timestamp are kept when their run may have written them since then.")
    String since;

    @Option(names = "--grep", paramLabel = "REGEX", description = "Only events matching this regular expression.")
    String grep;

    @Option(names = "--run", description = "Only the current (or last) run of the service.")
    boolean currentRun;

    @Override
    public Integer call() throws IOException, InterruptedException {
        Home home = Context.home();
        Path log = home.serviceLog(service);
        if (!Files.exists(log)) {
            String known;
            try (Stream<Path> s = Files.list(home.logs())) {
                known = String.join(
                        ", ",
                        s.map(p -> p.getFileName().toString())
                                .filter(n -> n.endsWith(".log") && !n.equals("daemon.log"))
                                .map(n -> n.substring(0, n.length() - 4))
                                .sorted()
                                .toList());
            }
            throw new LifelineException(
                    "no log for '" + service + "' at " + log,
                    known.isEmpty() ? "no service has logged yet: run 'lifeline up'" : "services with logs: " + known);
        }
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        LogInsight li = LogInsight.systemDefault();
        ServiceRuns runs = ServiceRuns.read(home.stateFile(service));
        DateTimeFormatter when =
                DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss").withZone(li.zone());
        // opened before the history is read, so that no line written meanwhile falls between the two
        AtomicReference<Consumer<String>> live = new AtomicReference<>();
        List<String> early = new ArrayList<>();
        try (LogFollower follower = follow
                ? new LogFollower(
                        log,
                        true,
                        t -> {
                            Consumer<String> c = live.get();
                            if (c == null) {
                                early.add(t);
                            } else {
                                c.accept(t);
                            }
                        },
                        n -> {
                            err.println("--- " + n + " ---");
                            err.flush();
                        })
                : null) {
            show(log, runs, li, when, out, err, live, early, follower);
        }
        return 0;
    }

    private void show(
            Path log,
            ServiceRuns runs,
            LogInsight li,
            DateTimeFormatter when,
            PrintWriter out,
            PrintWriter err,
            AtomicReference<Consumer<String>> live,
            List<String> early,
            LogFollower follower)
            throws IOException, InterruptedException {
        if (level != null || since != null || grep != null || currentRun) {
            LogFilter filter = LogFilter.parse(level, since, grep, li.clock(), li.zone());
            if (currentRun && runs.last().isPresent()) {
                filter = filter.from(runs.last().get());
            } else if (currentRun) {
                err.println("note: " + Context.home().stateFile(service)
                        + " records no runs (an older Lifeline, or never" + " started): showing the whole log");
                err.flush();
            }
            List<LogEvent> events = li.filter(log, runs, filter);
            Optional<ServiceRuns.Run> shown = Optional.empty();
            int estimated = 0;
            for (LogEvent e : events.subList(Math.max(0, events.size() - lines), events.size())) {
                if (e.run().isPresent() && !e.run().equals(shown)) {
                    out.println(marker(e.run().get(), when));
                    shown = e.run();
                }
                if (e.estimated() && since != null) {
                    estimated++;
                }
                out.println(e.text());
            }
            out.flush();
            if (estimated > 0) {
                err.println("note: " + estimated + " of these have no timestamp of their own; they were kept because"
                        + " their run or the file's last change puts them possibly after --since " + since);
                err.flush();
            }
            if (follow) {
                // lines that arrive now were written after any --since, and belong to the run now going
                LogFilter f = new LogFilter(filter.minLevel(), Optional.empty(), filter.grep(), Long.MIN_VALUE);
                EventAssembler assembler = li.assembler(f, e -> {
                    out.println(e.text());
                    out.flush();
                });
                follow(follower, live, early, assembler::accept, assembler::flush);
            }
            return;
        }
        Optional<ServiceRuns.Run> shown = Optional.empty();
        for (LogLine l : li.tail(log, runs, lines)) {
            if (l.run().isPresent() && !l.run().equals(shown)) {
                out.println(marker(l.run().get(), when));
                shown = l.run();
            }
            out.println(l.text());
        }
        out.flush();
        if (follow) {
            follow(
                    follower,
                    live,
                    early,
                    text -> {
                        out.println(text);
                        out.flush();
                    },
                    () -> {});
        }
    }

    /** The line that says which run the lines below it come from. */
    private static String marker(ServiceRuns.Run r, DateTimeFormatter when) {
        String end = r.endedAt()
                .map(t -> ", ended " + when.format(t) + (r.how().isEmpty() ? "" : " (" + r.how() + ")"))
                .orElse(", running");
        return "── run " + r.number() + ": started " + when.format(r.startedAt()) + ", pid " + r.pid() + end + " ──";
    }

    /** Passes what the follower reads to {@code sink} until interrupted; {@code idle} runs when nothing came. */
    private static void follow(
            LogFollower f,
            AtomicReference<Consumer<String>> live,
            List<String> early,
            Consumer<String> sink,
            Runnable idle)
            throws IOException, InterruptedException {
        early.forEach(sink);
        early.clear();
        live.set(sink);
        while (!Thread.currentThread().isInterrupted()) {
            if (!f.poll()) {
                idle.run();
            }
            Thread.sleep(POLL_MILLIS);
        }
    }
}
