package dev.lifeline.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Where Lifeline keeps its state, and that it is private to its user. */
class HomeTest {
    @TempDir
    Path tmp;

    @Test
    void everyStateFileHasItsPlaceUnderTheRoot() {
        Home h = new Home(tmp);
        assertThat(h.logs()).isEqualTo(tmp.resolve("logs"));
        assertThat(h.run()).isEqualTo(tmp.resolve("run"));
        assertThat(h.socket()).isEqualTo(tmp.resolve("lifeline.sock"));
        assertThat(h.daemonPidFile()).isEqualTo(tmp.resolve("daemon.pid"));
        assertThat(h.daemonLog()).isEqualTo(tmp.resolve("logs/daemon.log"));
        assertThat(h.serviceLog("webui")).isEqualTo(tmp.resolve("logs/webui.log"));
        assertThat(h.pidFile("webui")).isEqualTo(tmp.resolve("run/webui.pid"));
        assertThat(h.stateFile("webui")).isEqualTo(tmp.resolve("run/webui.json"));
        assertThat(h.appliedConfig()).isEqualTo(tmp.resolve("applied.json"));
        assertThat(Home.fromEnvironment().root()).isAbsolute();
    }

    @Test
    void ensureCreatesPrivateFoldersAndStateFilesArePrivateAndWholeOrAbsent() throws Exception {
        Home h = new Home(tmp.resolve("home"));
        assertThat(h.ensure()).isSameAs(h);
        for (Path p : new Path[] {h.root(), h.logs(), h.run()}) {
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(p)))
                    .as(p.toString())
                    .isEqualTo("rwx------");
        }
        Path state = h.stateFile("webui");
        Home.writePrivate(state, "{\"pid\":1}");
        Home.writePrivate(state, "{\"pid\":2}");
        assertThat(Files.readString(state)).isEqualTo("{\"pid\":2}");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(state)))
                .isEqualTo("rw-------");
        try (var left = Files.list(h.run())) {
            assertThat(left).containsExactly(state);
        }
    }

    @Test
    void anUnusableRootSaysSoAndWhatToDo() throws Exception {
        Path file = Files.writeString(tmp.resolve("a-file"), "x");
        assertThatThrownBy(() -> new Home(file.resolve("home")).ensure())
                .isInstanceOf(LifelineException.class)
                .hasMessageContaining("cannot create Lifeline's state folder " + file.resolve("home"))
                .satisfies(e -> assertThat(((LifelineException) e).hint()).contains("LIFELINE_HOME"));
    }
}
