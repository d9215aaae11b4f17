package dev.lifeline.supervisor;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lifeline.core.Home;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StateStoreTest {
    @TempDir
    Path tmp;

    @Test
    void thePidFileNeverHoldsZeroAndTheStateFileKeepsStateReasonAndRuns() throws Exception {
        Home home = new Home(tmp.resolve("home")).ensure();
        StateStore store = new StateStore(home);
        StateStore.Run run = new StateStore.Run(1000, 42, 4321, 2000, 7, "crashed");
        store.save("app", new StateStore.Saved(4321, 5, "python app.py", "h", 1000, 0, 0, true));
        assertThat(Files.readString(home.pidFile("app"))).isEqualTo("4321\n");

        // Not running: `kill $(cat run/app.pid)` on 0 would signal the caller's whole process group.
        store.save(
                "app",
                new StateStore.Saved(0, 0, "", "h", 0, 0, 3, false, ServiceState.FAILED, "gave up", List.of(run)));

        assertThat(home.pidFile("app")).doesNotExist();
        StateStore.Saved back = store.load("app").orElseThrow();
        assertThat(back.state()).isEqualTo(ServiceState.FAILED);
        assertThat(back.reason()).isEqualTo("gave up");
        assertThat(back.runs()).containsExactly(run);
        assertThat(back.restarts()).isEqualTo(3);
    }

    @Test
    void anOldStateFileWithoutStateOrRunsStillLoads() throws Exception {
        Home home = new Home(tmp.resolve("home")).ensure();
        Files.createDirectories(home.stateFile("app").getParent());
        Files.writeString(
                home.stateFile("app"), "{\"pid\":12,\"startTicks\":3,\"command\":\"x\",\"wantRunning\":true}");
        StateStore.Saved s = new StateStore(home).load("app").orElseThrow();
        assertThat(s.pid()).isEqualTo(12);
        assertThat(s.runs()).isEmpty();
        assertThat(s.state()).isEqualTo(ServiceState.STOPPED);
    }
}
