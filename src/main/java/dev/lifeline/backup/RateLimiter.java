package dev.lifeline.backup;

/**
 * Caps a byte rate: reading while storing, so the web UI keeps its disk, and uploading, so a push
 * leaves the uplink usable. One instance is shared by all threads it caps; 0 bytes per second means
 * no cap.
 */
final class RateLimiter implements dev.lifeline.backup.s3.Bucket.Throttle {
    private final long bytesPerSecond;
    private long nextFreeNanos;

    RateLimiter(long bytesPerSecond) {
        this.bytesPerSecond = bytesPerSecond;
        this.nextFreeNanos = System.nanoTime();
    }

    @Override
    public void acquire(long bytes) throws InterruptedException {
        if (bytesPerSecond <= 0) {
            return;
        }
        long wait;
        synchronized (this) {
            long now = System.nanoTime();
            nextFreeNanos = Math.max(nextFreeNanos, now) + bytes * 1_000_000_000L / bytesPerSecond;
            wait = nextFreeNanos - now - 50_000_000L; // allow a 50 ms burst
        }
        if (wait > 0) {
            Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
        }
    }
}
