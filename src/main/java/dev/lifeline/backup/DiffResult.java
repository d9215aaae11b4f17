package dev.lifeline.backup;

import java.util.List;

/** Paths added, removed and changed (content) from snapshot {@code from} to {@code to}. */
public record DiffResult(String from, String to, List<String> added, List<String> removed, List<String> changed) {
    public DiffResult {
        added = List.copyOf(added);
        removed = List.copyOf(removed);
        changed = List.copyOf(changed);
    }
}
