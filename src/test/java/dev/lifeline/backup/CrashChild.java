package dev.lifeline.backup;

import dev.lifeline.config.BackupSpec;
import java.nio.file.Path;
import java.util.List;

/**
 * A backup writer to be killed with SIGKILL by {@link KillDashNineTest}: adds files and backs up
 * (with an occasional prune) in a loop, printing a line at each step so the test can pick a
 * random moment.
 */
public final class CrashChild {
    private CrashChild() {}

    public static void main(String[] args) throws Exception {
        Path repo = Path.of(args[0]);
        Path src = Path.of(args[1]);
        long seed = Long.parseLong(args[2]);
        BackupSpec spec = BackupSpec.of(repo, List.of(src)).withRetention(new BackupSpec.Retention(2, 0, 0, 0, 0));
        Vault v = Fixtures.vault(spec, e -> {
            System.out.println("event " + e.type());
            System.out.flush();
        });
        System.out.println("ready");
        System.out.flush();
        for (int round = 0; ; round++) {
            for (int i = 0; i < 12; i++) {
                Fixtures.write(
                        src.resolve("r" + seed + "_" + round + "/f" + i + ".bin"),
                        Fixtures.random(150_000, seed * 100_000 + round * 100 + i));
            }
            v.backup();
            if (round % 3 == 2) {
                v.prune(false);
            }
        }
    }
}
