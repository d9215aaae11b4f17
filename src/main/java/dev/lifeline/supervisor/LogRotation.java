package dev.lifeline.supervisor;

import dev.lifeline.config.ServiceSpec;
import dev.lifeline.core.Event;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.function.LongFunction;

/**
 * Rotates a service's log when it grows past {@code logs.max}, keeping {@code logs.keep}
 * compressed files, and has the runner shift its saved log offsets by what moved. Called on the
 * runner's thread without its lock: compressing a large log takes a while.
 */
final class LogRotation {
    private final String name;
    private final Path log;
    private final Outbox outbox;

    LogRotation(String name, Path log, Outbox outbox) {
        this.name = name;
        this.log = log;
        this.outbox = outbox;
    }

    /**
     * Rotates when the log is too big. {@code shift} gets the number of bytes moved out, shifts the
     * runner's offsets under its lock, and returns the readiness scanner to tell (or null).
     */
    void maybeRotate(ServiceSpec.Logs logs, LongFunction<LogScanner> shift) {
        try {
            long moved = LogFiles.rotate(log, logs.maxBytes(), logs.keep());
            if (moved > 0) {
                LogScanner sc = shift.apply(moved);
                if (sc != null) {
                    sc.rotated(moved);
                }
                outbox.emit(
                        "log-rotated",
                        Event.Level.INFO,
                        name + ": log rotated (kept " + logs.keep() + " compressed)",
                        Map.of());
            }
        } catch (IOException e) {
            outbox.emit(
                    "log-rotate-failed", Event.Level.WARN, name + ": cannot rotate log: " + e.getMessage(), Map.of());
        }
    }
}
