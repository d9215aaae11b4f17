package dev.lifeline.daemon;

import java.io.Closeable;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Closes a channel when nothing has moved on it for a while: Unix socket channels have no read
 * timeout, and closing one is the only way to end a blocked read, write or connect. Whoever was
 * blocked then sees the channel closed and asks {@link #expired()} why.
 */
final class IdleTimeout implements AutoCloseable {
    private final Closeable channel;
    private final long limitNanos;
    private final ScheduledFuture<?> check; // null for the first moments of construction
    private volatile long last = System.nanoTime();
    private volatile boolean expired;

    IdleTimeout(Closeable channel, Duration limit, ScheduledExecutorService timer) {
        this.channel = channel;
        this.limitNanos = limit.toNanos();
        long every = Math.max(10, Math.min(1000, limit.toMillis() / 4));
        this.check = timer.scheduleWithFixedDelay(this::check, every, every, TimeUnit.MILLISECONDS);
    }

    /** Something moved: the idle time starts again. */
    void touch() {
        last = System.nanoTime();
    }

    /** Whether the channel was closed because it was idle too long. */
    boolean expired() {
        return expired;
    }

    private void check() {
        if (!expired && System.nanoTime() - last > limitNanos) {
            expired = true;
            ScheduledFuture<?> c = check;
            if (c != null) {
                c.cancel(false);
            }
            try {
                channel.close();
            } catch (IOException e) {
                // closed either way
            }
        }
    }

    @Override
    public void close() {
        check.cancel(false);
    }
}
