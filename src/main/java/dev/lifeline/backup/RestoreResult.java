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

    /** The objects of the files that could not be restored. */
    java.util.Set<String> lostObjects() {
        java.util.Set<String> shas = new java.util.HashSet<>();
        unrestored.forEach(u -> shas.add(u.sha256()));
        return shas;
    }

    /** The same result, each unrestored file naming the snapshots that need its object. */
    RestoreResult withNeededBy(java.util.Map<String, List<String>> needed) {
        List<Unrestored> named = new java.util.ArrayList<>();
        for (Unrestored u : unrestored) {
            named.add(new Unrestored(u.path(), u.sha256(), u.problem(), needed.getOrDefault(u.sha256(), List.of())));
        }
        return new RestoreResult(snapshot, target, files, bytes, took, alreadyThere, leftoversRemoved, named);
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
