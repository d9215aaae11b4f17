package dev.lifeline.catalog;

import dev.lifeline.catalog.meta.ImageMeta;
import java.time.Instant;
import java.util.List;

/**
 * One image the query found: one per content (duplicates collapse), with every path it had.
 *
 * @param path where it is now (in {@code latest}), or, when deleted, where it was last
 * @param deleted no longer in {@code latest}: only older snapshots hold it
 * @param snapshots the snapshots it is in, oldest first, plus {@code pending} when the journal
 *     (files stored since the last snapshot) holds it
 * @param spans each path it had and the snapshots it was there in
 * @param firstSeen when it was first seen (the file's modification time, or when it was stored)
 * @param meta what the file says about how it was made (fields null when it says nothing)
 */
public record Hit(
        String sha256,
        String path,
        boolean deleted,
        List<String> snapshots,
        List<Span> spans,
        Instant firstSeen,
        ImageMeta meta) {

    /**
     * A path the image had from snapshot {@code first} to {@code last} (null, null: only in the
     * journal so far); {@code live} when it is there in {@code latest}.
     */
    public record Span(String path, String first, String last, boolean live) {}

    /** A snapshot and the path the image has in it. */
    public record Location(String snapshot, String path) {}

    /**
     * Where a restore reads this image: {@code latest} (the journal included) at its path, or, when
     * deleted, the newest snapshot that had it; null when no snapshot holds it.
     */
    public Location restoreFrom() {
        if (!deleted) {
            return new Location("latest", path);
        }
        Span newest = null;
        for (Span s : spans) {
            if (s.last() != null && (newest == null || s.last().compareTo(newest.last()) > 0)) {
                newest = s;
            }
        }
        return newest == null ? null : new Location(newest.last(), newest.path());
    }
}
