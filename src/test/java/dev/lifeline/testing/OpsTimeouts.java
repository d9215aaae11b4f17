package dev.lifeline.testing;

import java.time.Duration;

/** Test deadlines for the operations packages, scaled by {@code -Dlifeline.test.timeScale=N} for slow machines. */
public final class OpsTimeouts {

    /** Long enough for anything that should "happen soon" on a loaded 2-core machine. */
    public static final Duration SOON = scaled(Duration.ofSeconds(10));

    private OpsTimeouts() {}

    public static Duration scaled(Duration d) {
        return TestTimes.scaled(d);
    }
}
