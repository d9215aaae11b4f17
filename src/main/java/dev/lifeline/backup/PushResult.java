package dev.lifeline.backup;

import java.time.Duration;
import java.util.List;

/**
 * What a mirror upload did. {@code failures} name objects that still failed after retries; their
 * snapshots were not uploaded and the next push resumes them.
 */
public record PushResult(
        long objectsUploaded,
        long bytesUploaded,
        long objectsPresent,
        int snapshotsUploaded,
        List<String> failures,
        Duration took) {
    public PushResult {
        failures = List.copyOf(failures);
    }

    public boolean ok() {
        return failures.isEmpty();
    }
}
