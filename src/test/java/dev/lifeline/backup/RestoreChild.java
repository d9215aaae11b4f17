package dev.lifeline.backup;

import dev.lifeline.config.BackupSpec;
import java.nio.file.Path;
import java.util.List;

/**
 * A restore to be killed with SIGKILL by {@link RestoreTest}: restores the latest snapshot into
 * the target, flushing every 16 files, so at any moment some files have their names and others
 * wait under temp names.
 */
public final class RestoreChild {
    private RestoreChild() {}

    public static void main(String[] args) {
        BackupSpec spec = BackupSpec.of(Path.of(args[0]), List.of(Path.of(args[1])));
        Vault v = Fixtures.vault(spec).restoreFlushEvery(Long.MAX_VALUE, 16);
        System.out.println("ready");
        System.out.flush();
        v.restore("latest", List.of(), Path.of(args[2]), false);
        System.out.println("done");
    }
}
