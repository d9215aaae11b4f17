package dev.lifeline.tunnel;

import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * Notices sleep/wake: between two looks, the wall clock moved apart from the monotonic clock by
 * more than the threshold ({@link TunnelManager.Options#clockJump}, default 5 s). A link that
 * slept with the laptop is rebuilt at once rather than after its checks time out. Used by the
 * tunnel's thread only.
 */
final class ClockWatch {
    private final Clock clock;
    private final LongSupplier nanos;
    private final Duration threshold;
    private long lastWall;
    private long lastMono;

    ClockWatch(Clock clock, LongSupplier nanos, Duration threshold) {
        this.clock = clock;
        this.nanos = nanos;
        this.threshold = threshold;
        reset();
    }

    /** Starts watching from now. */
    void reset() {
        lastWall = clock.millis();
        lastMono = TimeUnit.NANOSECONDS.toMillis(nanos.getAsLong());
    }

    /** Whether the clocks drifted apart by more than the threshold since the last look. */
    boolean jumped() {
        long wall = clock.millis();
        long mono = TimeUnit.NANOSECONDS.toMillis(nanos.getAsLong());
        long drift = (wall - lastWall) - (mono - lastMono);
        lastWall = wall;
        lastMono = mono;
        return Math.abs(drift) > threshold.toMillis();
    }
}
