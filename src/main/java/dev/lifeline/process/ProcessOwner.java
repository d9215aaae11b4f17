package dev.lifeline.process;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalInt;

/** Which account a process runs as. */
public final class ProcessOwner {
    private ProcessOwner() {}

    /** The real uid of {@code pid} (owner of {@code /proc/PID}); empty when it is gone or unknown. */
    public static OptionalInt uid(long pid) {
        try {
            return OptionalInt.of((Integer) Files.getAttribute(Path.of("/proc/" + pid), "unix:uid"));
        } catch (IOException | RuntimeException e) {
            return OptionalInt.empty();
        }
    }
}
