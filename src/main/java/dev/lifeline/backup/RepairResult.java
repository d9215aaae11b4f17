package dev.lifeline.backup;

import java.time.Duration;
import java.util.List;

/**
 * What {@code backup repair} did.
 *
 * @param objects objects checked (every one a snapshot or the journal needs, each hashed)
 * @param repaired objects stored again from a source file that still hashes to their name
 * @param remaining objects still missing or corrupt (no source file holds their content), with
 *     every file and snapshot that needs them
 */
public record RepairResult(long objects, List<Repaired> repaired, List<VerifyResult.Problem> remaining, Duration took) {
    public RepairResult {
        repaired = List.copyOf(repaired);
        remaining = List.copyOf(remaining);
    }

    public boolean ok() {
        return remaining.isEmpty();
    }

    /**
     * @param kind what was wrong: "missing", "wrong-size", "corrupt" or "unreadable"
     * @param from the source file it was stored from again
     */
    public record Repaired(String sha256, String kind, String from) {}
}
