package dev.lifeline.backup;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lifeline.config.BackupSpec.EncryptionSpec;
import dev.lifeline.testing.TestTimes;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The passphrase command is a user's program: one that leaves a child behind cannot hang a backup. */
class PassphraseCommandTest {
    @TempDir
    Path tmp;

    @Test
    void aChildLeftHoldingTheOutputDoesNotHangTheBackup() throws Exception {
        Path pid = tmp.resolve("agent.pid");
        // e.g. a password manager's CLI that starts its agent on first use
        EncryptionSpec spec =
                new EncryptionSpec(Optional.empty(), Optional.of("sleep 60 & echo $! > " + pid + "; echo s3cret"));
        long t0 = System.nanoTime();
        try {
            char[] pass = Crypto.passphrase(spec, Map.of());

            assertThat(new String(pass)).isEqualTo("s3cret");
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(TestTimes.scaled(Duration.ofSeconds(3)));
        } finally {
            ProcessHandle.of(Long.parseLong(Files.readString(pid).strip())).ifPresent(ProcessHandle::destroy);
        }
    }
}
