package dev.lifeline.doctor;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lifeline.core.Home;
import dev.lifeline.doctor.Check.Status;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The doctor's {@code backup} check from what the daemon's watcher counts (passed in: doctor reads no vault). */
class BackupCheckTest {
    @TempDir
    Path tmp;

    List<Check> backupChecks(BackupState... states) {
        Doctor.Builder b = Doctor.builder(new Home(tmp.resolve("home")).ensure());
        for (BackupState s : states) {
            b.backup(s);
        }
        return b.build().run(Optional.empty()).stream()
                .filter(c -> c.check().equals("backup"))
                .toList();
    }

    @Test
    void filesTheWatcherCouldNotStoreAreAWarningWithTheirCountWhyAndTheFix() {
        List<Check> checks = backupChecks(
                new BackupState("/srv/repo", 3, "No space left on device"),
                new BackupState("/srv/other", 1, "/srv/out/a.png: Permission denied"),
                new BackupState("/srv/third", 2, "Input/output error"));
        assertThat(checks).hasSize(3).allSatisfy(c -> assertThat(c.status()).isEqualTo(Status.WARN));
        assertThat(checks.get(0).message())
                .contains("/srv/repo: 3 files NOT protected yet: No space left on device")
                .contains("Fix: free space on the disk holding /srv/repo");
        assertThat(checks.get(1).message())
                .contains("1 file NOT protected yet: /srv/out/a.png: Permission denied")
                .contains("Fix: let the daemon's user read the outputs");
        assertThat(checks.get(2).message())
                .contains("2 files NOT protected yet")
                .contains("lifeline backup now");
    }

    @Test
    void everythingStoredOrStillBeingWrittenIsOk() {
        List<Check> checks = backupChecks(new BackupState("/srv/repo", 0, ""), new BackupState("/srv/other", 2, ""));
        assertThat(checks).extracting(Check::status).containsExactly(Status.OK, Status.OK);
        assertThat(checks.get(0).message()).contains("every file seen in the outputs is stored");
        assertThat(checks.get(1).message()).contains("2 files being written");
        assertThat(backupChecks()).as("no daemon, no backup check").isEmpty();
    }
}
