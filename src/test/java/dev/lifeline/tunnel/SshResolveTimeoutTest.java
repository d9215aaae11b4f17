package dev.lifeline.tunnel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lifeline.config.SshArgs;
import dev.lifeline.config.TunnelSpec;
import dev.lifeline.core.LifelineException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code ssh -G} runs the user's ssh config, which can hang: its look-up has a real timeout. */
class SshResolveTimeoutTest {
    @TempDir
    Path tmp;

    @Test
    void aHangingSshConfigEndsTheLookUpWithAMessage() throws Exception {
        Path cfg = tmp.resolve("ssh_config");
        Files.writeString(cfg, "Match exec \"sleep 60\"\n  Port 2222\n");
        TunnelSpec t =
                TunnelSpec.fromCommand(null, SshArgs.split("ssh -F " + cfg + " -L 7860:127.0.0.1:7860 gpu.example"));

        long t0 = System.nanoTime();
        assertThatThrownBy(() -> SshTarget.resolve("ssh", t))
                .isInstanceOf(LifelineException.class)
                .hasMessageContaining("did not answer within 10s");
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(TestTimes.scaled(Duration.ofSeconds(15)));
    }
}
