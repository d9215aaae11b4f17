package dev.lifeline.backup;

import java.util.List;
import java.util.Optional;

/**
 * What prune removed (or, with a dry run, would remove).
 *
 * @param recentKept unreferenced objects kept because they are younger than the grace period (an
 *     upload elsewhere may not have sent its manifest yet); always 0 locally
 * @param remote the same for the S3 mirror; empty when no remote is configured or it was skipped
 *     ({@code --local-only})
 */
public record PruneResult(
        boolean dryRun,
        List<String> kept,
        List<String> removed,
        long objectsDeleted,
        long bytesFreed,
        long recentKept,
        Optional<PruneResult> remote) {
    public PruneResult {
        kept = List.copyOf(kept);
        removed = List.copyOf(removed);
    }

    public PruneResult(boolean dryRun, List<String> kept, List<String> removed, long objectsDeleted, long bytesFreed) {
        this(dryRun, kept, removed, objectsDeleted, bytesFreed, 0, Optional.empty());
    }

    PruneResult withRemote(PruneResult r) {
        return new PruneResult(dryRun, kept, removed, objectsDeleted, bytesFreed, recentKept, Optional.of(r));
    }
}
