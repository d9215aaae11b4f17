package dev.lifeline.boot;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs systemctl / launchctl with a timeout and keeps what they said. */
final class Commands {
    record Ran(List<String> argv, int exit, String output) {
        String line() {
            return "$ " + String.join(" ", argv) + (exit == 0 ? "" : "   (exit " + exit + ")")
                    + (output.isBlank() ? "" : "\n  " + output.strip().replace("\n", "\n  "));
        }
    }

    private Commands() {}

    static Ran run(List<String> argv) {
        Path out = null;
        try {
            out = Files.createTempFile("lifeline-boot", ".out");
            Process p = new ProcessBuilder(argv)
                    .redirectErrorStream(true)
                    .redirectOutput(out.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .start();
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return new Ran(argv, -1, "no answer within 30s");
            }
            return new Ran(argv, p.exitValue(), Files.readString(out, StandardCharsets.UTF_8));
        } catch (IOException e) {
            return new Ran(argv, -1, "cannot run: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Ran(argv, -1, "interrupted");
        } finally {
            if (out != null) {
                try {
                    Files.deleteIfExists(out);
                } catch (IOException e) {
                    // harmless leftover
                }
            }
        }
    }
}
