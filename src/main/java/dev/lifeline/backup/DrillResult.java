package dev.lifeline.backup;

import java.time.Duration;
import java.util.List;

/** The restore drill: the latest snapshot restored into a temp folder, every hash and image checked. */
public record DrillResult(String snapshot, long files, long bytes, long images, List<String> problems, Duration took) {
    public DrillResult {
        problems = List.copyOf(problems);
    }

    public boolean ok() {
        return problems.isEmpty();
    }
}
