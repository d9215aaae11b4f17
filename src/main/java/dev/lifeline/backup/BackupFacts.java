package dev.lifeline.backup;

import java.time.Instant;
import java.util.Optional;

/**
 * What a watched vault has done, for {@code status}, the dashboard and {@code /metrics}.
 *
 * @param lastSnapshotId the newest snapshot in the repository (cut by the watcher or by {@code
 *     lifeline backup now}); empty before the first
 * @param lastSnapshotAt when it was cut
 * @param lagSeconds how long the newest output took from its last write (mtime) to being stored
 *     durably; while storing fails (a full disk), at least how long it has been failing, so it
 *     grows until storing works again; empty before anything was stored
 * @param lastStoredAt when the watcher last stored a file durably; empty before the first
 * @param lastPushAt when the last complete upload to the remote mirror ended; empty before one (in
 *     this daemon's life) or without a remote
 * @param pushFailures uploads to the remote that failed or ended incomplete, in this daemon's life
 * @param retention the retention policy in words ({@code "last 3, hourly 24, daily 14"}, or {@code
 *     "keep every snapshot"}); {@code lifeline backup prune} applies it
 * @param remote the mirror as {@code s3://bucket/prefix [at https://host]}, or "" without one
 */
public record BackupFacts(
        Optional<String> lastSnapshotId,
        Optional<Instant> lastSnapshotAt,
        Optional<Double> lagSeconds,
        Optional<Instant> lastStoredAt,
        Optional<Instant> lastPushAt,
        int pushFailures,
        String retention,
        String remote) {

    static String retention(dev.lifeline.config.BackupSpec.Retention r) {
        if (r.keepsAll()) {
            return "keep every snapshot";
        }
        java.util.List<String> parts = new java.util.ArrayList<>();
        int[] counts = {r.last(), r.hourly(), r.daily(), r.weekly(), r.monthly()};
        String[] names = {"last", "hourly", "daily", "weekly", "monthly"};
        for (int i = 0; i < counts.length; i++) {
            if (counts[i] > 0) {
                parts.add(names[i] + " " + counts[i]);
            }
        }
        return String.join(", ", parts);
    }

    static String remote(dev.lifeline.config.BackupSpec spec) {
        return spec.s3()
                .map(s -> "s3://" + s.bucket() + "/" + s.prefix()
                        + s.endpoint()
                                .map(u -> " at " + u.getScheme() + "://" + u.getHost()
                                        + (u.getPort() > 0 ? ":" + u.getPort() : ""))
                                .orElse(""))
                .orElse("");
    }
}
