package dev.lifeline.testing;

import java.time.Duration;

/** Test deadlines, all scaled by {@code -Dlifeline.test.timeScale} for slow machines. */
public final class TestTimes {
    private static final double SCALE = Double.parseDouble(System.getProperty("lifeline.test.timeScale", "1"));

    /** Waiting for a short-lived shell command or a process to show up or go. */
    public static final Duration SHORT = scaled(Duration.ofSeconds(10));
    /** Waiting for a JVM-based demo app to load and answer, or a restart cycle. */
    public static final Duration APP = scaled(Duration.ofSeconds(30));

    private TestTimes() {}

    public static Duration scaled(Duration d) {
        return Duration.ofMillis((long) (d.toMillis() * SCALE));
    }
}
