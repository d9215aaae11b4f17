package dev.lifeline.backup;

import java.time.Duration;
import java.util.List;

/**
 * What verify found.
 *
 * @param objectsRead objects whose content was hashed again (all with --read-data, a sample with
 *     --sample, none otherwise: then only presence and size are checked)
 * @param problems every missing or corrupt object with each file and snapshot that needs it
 * @param unreadableSnapshots manifests that could not be parsed
 */
public record VerifyResult(
        int snapshots,
        long objects,
        long objectsRead,
        long bytesRead,
        List<Problem> problems,
        List<String> unreadableSnapshots,
        Duration took) {
    public VerifyResult {
        problems = List.copyOf(problems);
        unreadableSnapshots = List.copyOf(unreadableSnapshots);
    }

    public boolean ok() {
        return problems.isEmpty() && unreadableSnapshots.isEmpty();
    }

    /**
     * @param kind "missing", "corrupt" or "wrong-size"
     * @param affected "snapshot-id:path" for every file that needs this object
     */
    public record Problem(String kind, String sha256, String detail, List<String> affected) {
        public Problem {
            affected = List.copyOf(affected);
        }
    }
}
