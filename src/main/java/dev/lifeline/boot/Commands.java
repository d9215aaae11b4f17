package dev.lifeline.boot;

import dev.lifeline.process.Exec;
import java.io.IOException;
import java.time.Duration;
import java.util.List;

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
        try {
            Exec.Result r = Exec.of(argv).timeout(Duration.ofSeconds(30)).run();
            if (r.timedOut()) {
                return new Ran(argv, -1, "no answer within 30s");
            }
            return new Ran(argv, r.exitCode(), r.output());
        } catch (IOException e) {
            return new Ran(argv, -1, "cannot run: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Ran(argv, -1, "interrupted");
        }
    }
}
