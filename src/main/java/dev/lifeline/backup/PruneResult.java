package dev.lifeline.backup;

import java.util.List;

/** What prune removed (or, with a dry run, would remove). */
public record PruneResult(
        boolean dryRun, List<String> kept, List<String> removed, long objectsDeleted, long bytesFreed) {
    public PruneResult {
        kept = List.copyOf(kept);
        removed = List.copyOf(removed);
    }
}
