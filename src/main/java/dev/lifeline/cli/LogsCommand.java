package dev.lifeline.cli;

import dev.lifeline.core.Home;
import dev.lifeline.core.LifelineException;
import dev.lifeline.supervisor.LogFiles;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
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

    @Parameters(paramLabel = "SERVICE")
    String service;

    @Option(
            names = {"-n", "--lines"},
            defaultValue = "50",
            description = "How many of the last lines (default: ${DEFAULT-VALUE}).")
    int lines;

    @Option(
            names = {"-f", "--follow"},
            description = "Keep printing new lines until interrupted.")
    boolean follow;

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
        for (String l : LogFiles.tail(log, lines)) {
            out.println(l);
        }
        out.flush();
        if (follow) {
            follow(log, out);
        }
        return 0;
    }

    private static void follow(Path log, PrintWriter out) throws IOException, InterruptedException {
        long offset = Files.size(log);
        byte[] buf = new byte[64 * 1024];
        while (!Thread.currentThread().isInterrupted()) {
            long len = Files.exists(log) ? Files.size(log) : 0;
            if (len < offset) {
                out.println("--- log rotated ---");
                offset = 0;
            }
            if (len > offset) {
                try (RandomAccessFile f = new RandomAccessFile(log.toFile(), "r")) {
                    f.seek(offset);
                    int n;
                    while (offset < len && (n = f.read(buf, 0, (int) Math.min(buf.length, len - offset))) > 0) {
                        out.print(new String(buf, 0, n, StandardCharsets.UTF_8));
                        offset += n;
                    }
                }
                out.flush();
            }
            Thread.sleep(200);
        }
    }
}
