package dev.lifeline.backup;

/**
 * One file in a snapshot.
 *
 * @param path relative, '/'-separated, starting with the source's name (such as
 *     {@code outputs/2026-01-05/a.png})
 * @param mtimeNanos modification time, nanoseconds since the epoch
 * @param mode POSIX permission bits, such as 0644
 * @param sha256 64 lowercase hex digits: the object's name (for a symbolic link, the object
 *     holds the link's target)
 * @param link the target of a symbolic link, as the link says it; null for a regular file
 */
public record FileEntry(String path, long size, long mtimeNanos, int mode, String sha256, String link) {
    public FileEntry(String path, long size, long mtimeNanos, int mode, String sha256) {
        this(path, size, mtimeNanos, mode, sha256, null);
    }
}
