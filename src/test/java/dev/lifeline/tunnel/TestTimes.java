package dev.lifeline.tunnel;

import java.time.Duration;

/** Test deadlines, all scaled by {@code -Dlifeline.test.timeScale} for slow machines. */
final class TestTimes {
    /** Time for a tunnel to come up against the in-process server. */
    static final Duration UP = scaled(Duration.ofSeconds(15));
    /** The product promise: a black hole is declared dead within this, with default probe settings. */
    static final Duration DEAD_LINK_PROMISE = Duration.ofSeconds(15);
    /** The goal we hold the defaults to in tests (4–6 s expected). */
    static final Duration DEAD_LINK_GOAL = scaled(Duration.ofSeconds(8));
    /** Rebuild after the network returns. */
    static final Duration RECOVERY = scaled(Duration.ofSeconds(4));

    private TestTimes() {}

    static Duration scaled(Duration d) {
        return dev.lifeline.testing.TestTimes.scaled(d);
    }
}
