package dev.lifeline.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.lifeline.process.Exec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The second local user of permission tests, {@value #NAME} ({@code .ci/run} creates it). Tests
 * that need one are skipped unless they run as root and the user exists; CI runs as root.
 */
public final class SecondUser {
    public static final String NAME = "lifeline-test";

    private SecondUser() {}

    /** The user's uid; skips the calling test when it cannot act as that user. */
    public static int uid() throws Exception {
        assumeTrue(isRoot(), "needs root to act as a second user");
        Exec.Result r = Exec.of("id", "-u", NAME).run();
        assumeTrue(r.ok(), "no user " + NAME + " (.ci/run creates it: useradd --system " + NAME + ")");
        return Integer.parseInt(r.output().strip());
    }

    /** Runs a program as the second user and checks it succeeded. */
    public static void run(String... argv) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("runuser", "-u", NAME, "--"));
        cmd.addAll(List.of(argv));
        Exec.Result r = Exec.of(cmd).run();
        assertThat(r.ok()).as(r.describe()).isTrue();
    }

    private static boolean isRoot() throws Exception {
        return Files.getAttribute(Path.of("/proc/self"), "unix:uid").equals(0)
                || Exec.of("id", "-u").run().output().strip().equals("0");
    }
}
