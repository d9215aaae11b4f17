package dev.lifeline.catalog;

import java.nio.file.Path;
import java.time.Instant;

/**
 * What {@code catalog status} shows.
 *
 * @param images distinct images (by content)
 * @param withMetadata those whose file says how it was made
 * @param paths path spans (one per path and run of snapshots)
 * @param deleted images no longer in {@code latest}
 * @param bytes the index's size on disk, its WAL included
 * @param lastIndexed when something was last written to it; null when never
 */
public record CatalogStatus(
        Path file,
        long images,
        long withMetadata,
        long paths,
        long snapshots,
        long deleted,
        long bytes,
        Instant lastIndexed) {}
