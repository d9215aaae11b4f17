package dev.lifeline.backup;

/**
 * One file in a snapshot.
 *
 * @param path relative, '/'-separated, starting with the source's name (such as
 *     {@code outputs/2026-01-05/a.png})
 * @param mtimeNanos modification time, nanoseconds since the epoch
 * @param mode POSIX permission bits, such as 0644
 * @param sha256 64 lowercase hex digits: the object's name
 */
public record FileEntry(String path, long size, long mtimeNanos, int mode, String sha256) {}
