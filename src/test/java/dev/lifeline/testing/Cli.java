package dev.lifeline.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs the real {@code ./lifeline} launcher with its own LIFELINE_HOME, as a user would. */
public final class Cli {
    public final Path home;
    public final Path workDir;

    public record Result(int exit, String out, String err) {
        @Override
        public String toString() {
            return "exit " + exit + "\n--- stdout\n" + out + "--- stderr\n" + err;
        }
    }

    public Cli(Path home, Path workDir) {
        this.home = home;
        this.workDir = workDir;
    }

    public Result run(String... args) {
        String launcher = System.getProperty(
                "lifeline.launcher", Path.of("lifeline").toAbsolutePath().toString());
        List<String> argv = new ArrayList<>();
        argv.add(launcher);
        argv.addAll(List.of(args));
        try {
            Path out = Files.createTempFile(workDir, "out", ".txt");
            Path err = Files.createTempFile(workDir, "err", ".txt");
            ProcessBuilder pb = new ProcessBuilder(argv).directory(workDir.toFile());
            pb.environment().put("LIFELINE_HOME", home.toString());
            pb.environment().put("LIFELINE_NO_BUILD", "1");
            pb.redirectOutput(out.toFile())
                    .redirectError(err.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
            Process p = pb.start();
            if (!p.waitFor(TestTimes.APP.toMillis() * 2, TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
                throw new AssertionError("lifeline " + String.join(" ", args) + " did not finish");
            }
            return new Result(
                    p.exitValue(),
                    Files.readString(out, StandardCharsets.UTF_8),
                    Files.readString(err, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new AssertionError(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }
}
