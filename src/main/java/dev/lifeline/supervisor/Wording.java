package dev.lifeline.supervisor;

import java.time.Duration;
import java.util.Locale;

/** How the supervisor words what people read: durations, how a process ended, long command lines. */
final class Wording {
    private Wording() {}

    /** How a run's main process ended, from its exit code (null: unknown, it died unwatched). */
    static String exit(Integer code) {
        if (code == null) {
            return "exited while no daemon watched it (exit code unknown)";
        }
        return code > 128 ? "was killed by signal " + (code - 128) + signal(code - 128) : "exited with code " + code;
    }

    private static String signal(int sig) {
        return switch (sig) {
            case 9 -> " (KILL: the OOM killer or someone's kill -9)";
            case 15 -> " (TERM)";
            case 6 -> " (ABRT)";
            case 11 -> " (SEGV: the program crashed)";
            default -> "";
        };
    }

    /** At most 80 characters of {@code s}, for one line of a message. */
    static String abbreviate(String s) {
        return s.length() > 80 ? s.substring(0, 77) + "…" : s;
    }

    /** Seconds with one decimal. */
    static String seconds(double seconds) {
        return String.format(Locale.ROOT, "%.1f", seconds);
    }

    /** A duration as people write it in the config: 500ms, 3s, 1.5s, 2m. */
    static String human(Duration d) {
        long ms = d.toMillis();
        if (ms < 1000) {
            return ms + "ms";
        }
        if (ms % 60_000 == 0 && ms >= 60_000) {
            return (ms / 60_000) + "m";
        }
        return ms % 1000 == 0 ? (ms / 1000) + "s" : seconds(ms / 1000.0) + "s";
    }
}
