package dev.lifeline.process;

import java.io.IOException;
import java.util.List;

/**
 * A long-lived child a program keeps for as long as it runs, with its output discarded: the demo
 * app's workers, which (as data-loader workers often do) outlive their parent's death unless the
 * supervisor ends them. Short programs go through {@link Exec}, with a real timeout; services and
 * tunnels through {@link Launcher}.
 */
public final class Children {
    private Children() {}

    /** Starts {@code command} in this process's session, stdin closed and stdout/stderr discarded. */
    public static Process startDiscarding(List<String> command) throws IOException {
        return new ProcessBuilder(command)
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .redirectError(ProcessBuilder.Redirect.DISCARD)
                .start();
    }
}
