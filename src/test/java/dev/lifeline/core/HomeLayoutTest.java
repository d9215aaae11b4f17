package dev.lifeline.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Where each state file lives under the home: scripts and docs name these paths. */
class HomeLayoutTest {
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
    }
}
