package dev.lifeline.backup;

import dev.lifeline.config.BackupSpec;
import dev.lifeline.core.LifelineException;
import java.nio.file.Path;
import java.util.List;

/**
 * A restore run by {@link RestoreTest} under a low open-file limit ({@code ulimit -n}): restores
 * the latest snapshot into the target and prints {@code restored N}, or {@code failed: …} and
 * exits 3.
 */
public final class FewFdsRestoreChild {
    private FewFdsRestoreChild() {}

    public static void main(String[] args) {
        BackupSpec spec = BackupSpec.of(Path.of(args[0]), List.of(Path.of(args[1])));
        try {
            RestoreResult r = Fixtures.vault(spec).restore("latest", List.of(), Path.of(args[2]), false);
            System.out.println("restored " + r.files());
        } catch (LifelineException e) {
            System.out.println("failed: " + e.getMessage());
            System.exit(3);
        }
    }
}
