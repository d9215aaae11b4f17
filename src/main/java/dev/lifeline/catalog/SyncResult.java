package dev.lifeline.catalog;

import java.time.Duration;

/**
 * What a sync or rebuild changed.
 *
 * @param snapshotsAdded snapshots read into the index
 * @param snapshotsRemoved snapshots gone from the repository (pruned), and their spans with them
 * @param imagesAdded objects whose metadata was read
 * @param imagesRemoved objects no snapshot or journal names any more (pruned)
 */
public record SyncResult(int snapshotsAdded, int snapshotsRemoved, int imagesAdded, int imagesRemoved, Duration took) {}
