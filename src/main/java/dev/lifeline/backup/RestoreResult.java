package dev.lifeline.backup;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * What a restore wrote: every file's SHA-256 was checked while writing it.
 *
 * @param files files written
 * @param bytes their bytes
 * @param alreadyThere files the target already held bit for bit (same size and SHA-256), left as they were
 * @param leftoversRemoved temp files of an interrupted restore ({@code .lifeline-restore-*}) removed first
 * @param unrestored files that could not be restored (their object is missing, corrupt or unreadable)
 */
public record RestoreResult(
        String snapshot,
        Path target,
        long files,
        long bytes,
        Duration took,
        long alreadyThere,
        long leftoversRemoved,
        List<Unrestored> unrestored) {
    public RestoreResult {
        unrestored = List.copyOf(unrestored);
    }

    /** Whether every chosen file is now in the target. */
    public boolean complete() {
        return unrestored.isEmpty();
    }

    /**
     * A file that could not be restored.
     *
     * @param problem such as "object missing from /data/backup" or "object corrupt (…)"
     * @param neededBy every snapshot (and "journal") that names the same object
     */
    public record Unrestored(String path, String sha256, String problem, List<String> neededBy) {
        public Unrestored {
            neededBy = List.copyOf(neededBy);
        }
    }
}
