package dev.lifeline.backup;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KillDashNineTest {
    static final int ROUNDS = 6;

    @TempDir
    Path tmp;

    @Test
    void aBackupKilledAtRandomPointsLeavesAVerifiableRepositoryAndTheNextRunCompletes() throws Exception {
        Path repo = tmp.resolve("repo");
        Path src = tmp.resolve("outputs");
        Fixtures.outputs(src, 10, 1);
        Random random = new Random(42);
        Fixtures.Recorder rec = new Fixtures.Recorder();
        for (int round = 0; round < ROUNDS; round++) {
            Process child = new ProcessBuilder(
                            ProcessHandle.current().info().command().orElse("java"),
                            "-XX:TieredStopAtLevel=1",
                            "-XX:+UseSerialGC",
                            "-cp",
                            System.getProperty("java.class.path"),
                            CrashChild.class.getName(),
                            repo.toString(),
                            src.toString(),
                            String.valueOf(round))
                    .redirectErrorStream(true)
                    .start();
            int killAfter = 1 + random.nextInt(14); // lines of progress: somewhere inside a backup or prune
            List<String> seen = new java.util.ArrayList<>();
            try (BufferedReader r =
                    new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null && seen.size() < killAfter) {
                    seen.add(line);
                }
                child.destroyForcibly(); // SIGKILL on Linux
            }
            assertThat(child.waitFor(
                            Fixtures.scaled(java.time.Duration.ofSeconds(20)).toSeconds(), TimeUnit.SECONDS))
                    .isTrue();
            assertThat(seen).as("child output").contains("ready");

            Vault v = Fixtures.vault(Fixtures.spec(repo, src), rec);
            VerifyResult check = v.verify(true, 0);
            assertThat(check.ok())
                    .as("after kill -9 in round %d at line %d: %s", round, killAfter, check)
                    .isTrue();
        }
        Vault v = Fixtures.vault(Fixtures.spec(repo, src), rec);
        BackupResult done = v.backup();
        assertThat(v.verify(true, 0).ok()).isTrue();
        v.restore("latest", List.of(), tmp.resolve("back"), false);
        assertThat(VaultTest.tree(tmp.resolve("back/outputs"))).isEqualTo(VaultTest.tree(src));
        assertThat(done.files()).isGreaterThan(10);
    }
}
