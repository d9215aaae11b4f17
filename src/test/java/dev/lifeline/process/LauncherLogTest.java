package dev.lifeline.process;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lifeline.core.LifelineException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A started program's output goes to its own log file, never through a link in its place. */
class LauncherLogTest {
    @TempDir
    Path tmp;

    private LaunchSpec spec(Path log, Path marker) {
        return new LaunchSpec(
                List.of("sh", "-c", "echo output; touch " + marker), tmp, Map.of(), log, Map.of(), Optional.empty());
    }

    @Test
    void refusesToStartWhenItsLogIsALink() throws Exception {
        Path victim = Files.writeString(tmp.resolve("authorized_keys"), "ssh-ed25519 AAAA me\n");
        Path log = Files.createSymbolicLink(tmp.resolve("app.log"), victim);
        Path marker = tmp.resolve("ran");

        assertThatThrownBy(() -> Launcher.start(spec(log, marker)))
                .isInstanceOf(LifelineException.class)
                .hasMessageContaining("is a symbolic link");
        assertThat(victim).hasContent("ssh-ed25519 AAAA me");
        assertThat(marker).doesNotExist();
    }

    @Test
    void createsTheLogPrivate() throws Exception {
        Path log = tmp.resolve("app.log");
        Launcher.Started s = Launcher.start(spec(log, tmp.resolve("ran")));
        s.process().waitFor();

        assertThat(log).hasContent("output");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(log)))
                .isEqualTo("rw-------");
    }
}
