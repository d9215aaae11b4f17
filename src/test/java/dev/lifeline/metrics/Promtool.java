package dev.lifeline.metrics;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Prometheus's own checker, {@code /usr/bin/promtool} (Debian package {@code prometheus}). */
public final class Promtool {
    public static final Path BINARY = Path.of("/usr/bin/promtool");

    /** Exit code and combined output. */
    public record Result(int exit, String output) {}

    private Promtool() {}

    /** {@code promtool check metrics}, the exposition on stdin: its format and naming lints. */
    public static Result checkMetrics(String exposition) throws IOException, InterruptedException {
        return run(exposition, "check", "metrics");
    }

    /** {@code promtool check rules FILE}. */
    public static Result checkRules(Path file) throws IOException, InterruptedException {
        return run("", "check", "rules", file.toString());
    }

    /** {@code promtool test rules FILE}: rule unit tests (input series, expected alerts). */
    public static Result testRules(Path file) throws IOException, InterruptedException {
        return run("", "test", "rules", file.toString());
    }

    private static Result run(String stdin, String... args) throws IOException, InterruptedException {
        List<String> argv = new ArrayList<>();
        argv.add(BINARY.toString());
        argv.addAll(List.of(args));
        Path out = Files.createTempFile("promtool", ".out");
        try {
            Process p = new ProcessBuilder(argv)
                    .redirectErrorStream(true)
                    .redirectOutput(out.toFile())
                    .start();
            try (OutputStream in = p.getOutputStream()) {
                in.write(stdin.getBytes(StandardCharsets.UTF_8));
            }
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError("promtool " + String.join(" ", args) + " did not end within 30 s");
            }
            return new Result(p.exitValue(), Files.readString(out));
        } finally {
            Files.deleteIfExists(out);
        }
    }
}
