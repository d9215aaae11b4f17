package dev.lifeline.backup;

import java.time.Instant;
import java.util.Optional;

/**
 * What {@link VaultWatcher} has done, counted as it happens (the store and upload threads write,
 * {@code status} reads): the lag of the newest output stored, when storing began to fail, the
 * last upload and the failed ones. Nothing here reads a file.
 */
final class WatchFacts {
    private long newestMtimeMillis = Long.MIN_VALUE; // guarded by this
    private double lagSeconds = -1; // guarded by this
    private long lastStoredMillis; // guarded by this
    private long failingSinceMillis; // guarded by this; 0 while storing works
    private Instant lastPushAt; // guarded by this
    private int pushFailures; // guarded by this

    /** A file stored durably at {@code atMillis}: counts toward the lag when it is the newest output yet. */
    synchronized void stored(long mtimeNanos, long atMillis) {
        long mtime = mtimeNanos / 1_000_000;
        lastStoredMillis = Math.max(lastStoredMillis, atMillis);
        if (mtime >= newestMtimeMillis) {
            newestMtimeMillis = mtime;
            lagSeconds = Math.max(0, atMillis - mtime) / 1000.0; // a file from the future: no lag
        }
    }

    /** Storing failed (files stay pending); the first failure of a run of them starts the clock. */
    synchronized void storeFailed(long atMillis) {
        if (failingSinceMillis == 0) {
            failingSinceMillis = atMillis;
        }
    }

    synchronized void storeWorks() {
        failingSinceMillis = 0;
    }

    synchronized void pushed(Instant at) {
        lastPushAt = at;
    }

    synchronized void pushFailed() {
        pushFailures++;
    }

    synchronized BackupFacts facts(LatestSnapshot.Found latest, long nowMillis, String retention, String remote) {
        double lag = lagSeconds;
        if (failingSinceMillis != 0) {
            lag = Math.max(lag, (nowMillis - failingSinceMillis) / 1000.0);
        }
        return new BackupFacts(
                latest.id(),
                latest.time(),
                lag < 0 ? Optional.empty() : Optional.of(lag),
                lastStoredMillis == 0 ? Optional.empty() : Optional.of(Instant.ofEpochMilli(lastStoredMillis)),
                Optional.ofNullable(lastPushAt),
                pushFailures,
                retention,
                remote);
    }
}
