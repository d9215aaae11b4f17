package dev.lifeline.cli;

import dev.lifeline.core.Home;
import dev.lifeline.core.LifelineException;
import dev.lifeline.insight.EventAssembler;
import dev.lifeline.insight.LogEvent;
import dev.lifeline.insight.LogFilter;
import dev.lifeline.insight.LogInsight;
import dev.lifeline.supervisor.LogFiles;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.function.Consumer;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "logs", description = "Print a service's log (its stdout and stderr); -f follows it, across rotations.")
final class LogsCommand implements Callable<Integer> {
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
            description = "Only events since then: 30m, 1h, 2d, or a time such as 2026-11-21T10:00.")
    String since;

    @Option(names = "--grep", paramLabel = "REGEX", description = "Only events matching this regular expression.")
    String grep;

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
        if (level != null || since != null || grep != null) {
            LogInsight li = LogInsight.systemDefault();
            LogFilter filter = LogFilter.parse(level, since, grep, li.clock(), li.zone());
            List<LogEvent> events = li.filter(log, filter);
            for (LogEvent e : events.subList(Math.max(0, events.size() - lines), events.size())) {
                out.println(e.text());
            }
            out.flush();
            if (follow) {
                EventAssembler assembler = li.assembler(filter, e -> {
                    out.println(e.text());
                    out.flush();
                });
                follow(log, text -> text.lines().forEach(assembler::accept), assembler::flush);
            }
            return 0;
        }
        for (String l : LogFiles.tail(log, lines)) {
            out.println(l);
        }
        out.flush();
        if (follow) {
            follow(
                    log,
                    text -> {
                        out.print(text);
                        out.flush();
                    },
                    () -> {});
        }
        return 0;
    }

    /** Polls the log for appended text (and restarts at a rotation); {@code idle} runs when nothing came. */
    private static void follow(Path log, Consumer<String> sink, Runnable idle)
            throws IOException, InterruptedException {
        long offset = Files.size(log);
        byte[] buf = new byte[64 * 1024];
        StringBuilder partial = new StringBuilder();
        while (!Thread.currentThread().isInterrupted()) {
            long len = Files.exists(log) ? Files.size(log) : 0;
            if (len < offset) {
                sink.accept("--- log rotated ---\n");
                offset = 0;
            }
            if (len > offset) {
                try (RandomAccessFile f = new RandomAccessFile(log.toFile(), "r")) {
                    f.seek(offset);
                    int n;
                    while (offset < len && (n = f.read(buf, 0, (int) Math.min(buf.length, len - offset))) > 0) {
                        partial.append(new String(buf, 0, n, StandardCharsets.UTF_8));
                        offset += n;
                    }
                }
                int nl = partial.lastIndexOf("\n");
                if (nl >= 0) {
                    sink.accept(partial.substring(0, nl + 1));
                    partial.delete(0, nl + 1);
                }
            } else {
                idle.run();
            }
            Thread.sleep(200);
        }
    }
}
