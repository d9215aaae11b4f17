package dev.lifeline.backup;

import java.time.Duration;

/**
 * What a backup run did.
 *
 * @param snapshot the new snapshot's id, or null when nothing changed since {@code parent}
 * @param hashed files read and hashed (new or changed size/mtime)
 * @param storedObjects objects that were not in the repository before
 * @param storedBytes bytes of those new objects
 */
public record BackupResult(
        String snapshot,
        String parent,
        long files,
        long bytes,
        long hashed,
        long hashedBytes,
        long storedObjects,
        long storedBytes,
        Duration took) {
    /** A run that found nothing to store: no snapshot was cut, {@code parent} stays the latest. */
    static BackupResult nothingNew(String parent, long files, long bytes, Duration took) {
        return new BackupResult(null, parent, files, bytes, 0, 0, 0, 0, took);
    }

    public boolean unchanged() {
        return snapshot == null;
    }
}
