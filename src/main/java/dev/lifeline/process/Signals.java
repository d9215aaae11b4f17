package dev.lifeline.process;

import java.io.IOException;
import java.time.Duration;
import java.util.List;

/**
 * Sends signals. The JDK can only send TERM and KILL to single processes, so group signals and
 * other signals go through the {@code kill} program; single TERM/KILL use {@link ProcessHandle}.
 */
public final class Signals {
    private Signals() {}

    /** Sends {@code signal} (TERM, INT, HUP, QUIT, USR1, USR2, KILL) to one process. */
    public static boolean send(long pid, String signal) {
        if (signal.equals("TERM") || signal.equals("KILL")) {
            return ProcessHandle.of(pid)
                    .map(h -> signal.equals("KILL") ? h.destroyForcibly() : h.destroy())
                    .orElse(false);
        }
        return kill(List.of("kill", "-s", signal, "--", Long.toString(pid)));
    }

    /** Sends {@code signal} to every process of process group {@code pgid}. */
    public static boolean sendGroup(long pgid, String signal) {
        return kill(List.of("kill", "-s", signal, "--", "-" + pgid));
    }

    private static boolean kill(List<String> argv) {
        try {
            return Exec.of(argv)
                    .discardOutput()
                    .timeout(Duration.ofSeconds(5))
                    .run()
                    .ok();
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
