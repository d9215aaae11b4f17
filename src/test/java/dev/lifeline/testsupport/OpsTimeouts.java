package dev.lifeline.testsupport;

import java.time.Duration;

/** Test deadlines for the operations packages, scaled by {@code -Dlifeline.test.timeScale=N} for slow machines. */
public final class OpsTimeouts {
    private static final double SCALE = Double.parseDouble(System.getProperty("lifeline.test.timeScale", "1"));

    /** Long enough for anything that should "happen soon" on a loaded 2-core machine. */
    public static final Duration SOON = scaled(Duration.ofSeconds(10));

    private OpsTimeouts() {}

    public static Duration scaled(Duration d) {
        return Duration.ofMillis((long) (d.toMillis() * SCALE));
    }
}
