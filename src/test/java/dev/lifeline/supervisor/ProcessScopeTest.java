package dev.lifeline.supervisor;

import static dev.lifeline.testing.Services.freePort;
import static dev.lifeline.testing.Services.sh;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.lifeline.config.LifelineConfig;
import dev.lifeline.process.ProcessInfo;
import dev.lifeline.process.Procfs;
import dev.lifeline.testing.TestTimes;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A service is everything it started, found by the marker in its environment: workers that left
 * its session are ended on stop and before a restart, and a daemon that lost its state files
 * still finds and adopts the app.
 */
class ProcessScopeTest {
    @TempDir
    Path tmp;

    SupervisorFixture f;
    /** Sleep durations no other test on the machine uses, to find this test's workers by command line. */
    final long tag = 900_000 + ThreadLocalRandom.current().nextInt(90_000);

    @BeforeEach
    void setUp() {
        f = new SupervisorFixture(tmp);
    }

    @AfterEach
    void tearDown() {
        f.close();
        for (ProcessInfo p : withCommand("sleep " + tag, "sleep " + (tag + 1), "sleep " + (tag + 2))) {
            ProcessHandle.of(p.pid()).ifPresent(ProcessHandle::destroyForcibly);
        }
    }

    private List<ProcessInfo> withCommand(String... commands) {
        List<String> want = List.of(commands);
        return Procfs.all().stream()
                .filter(p -> !p.isZombie() && want.contains(Procfs.cmdline(p.pid())))
                .toList();
    }

    @Test
    void stopEndsWorkersThatLeftTheSessionOrDoubleForkedWithoutACgroup() throws Exception {
        // One worker in a new session (setsid), one double-forked into a new session.
        LifelineConfig c = f.config("services:\n  app:\n    command: "
                + sh("setsid sleep " + tag + " & (setsid sh -c 'sleep " + (tag + 1) + " & exit 0' &); echo workers up; "
                        + "exec sleep " + (tag + 2))
                + "\n    ready: { log: 'workers up' }\n");
        f.sup.apply(c, List.of());
        f.sup.whenReady("app").get(TestTimes.APP.toMillis(), TimeUnit.MILLISECONDS);
        f.status("app");
        await().atMost(TestTimes.SHORT)
                .until(() -> withCommand("sleep " + tag, "sleep " + (tag + 1)).size() == 2);
        long main = f.status("app").pid();
        assertThat(withCommand("sleep " + tag, "sleep " + (tag + 1)))
                .as("the workers are out of the service's session")
                .allSatisfy(p -> assertThat(p.sid()).isNotEqualTo(main));

        f.sup.stop("app");

        assertThat(withCommand("sleep " + tag, "sleep " + (tag + 1), "sleep " + (tag + 2)))
                .as("no process of the service is left")
                .isEmpty();
        assertThat(f.events.ofType("stopped").get(0).message()).contains("no process of it is left");
    }

    @Test
    void aDetachedWorkerHoldingThePortIsEndedBeforeTheRestartSoTheRestartSucceeds() throws Exception {
        int port = freePort();
        Path once = tmp.resolve("first-run-done");
        String listen = "python3 -c 'import socket,time; s=socket.socket(); "
                + "s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind((\"127.0.0.1\", " + port
                + ")); s.listen(); time.sleep(" + tag + ")'";
        // First run: a worker in its own session takes the port, then the main process crashes.
        LifelineConfig c = f.config("services:\n  app:\n    command: "
                + sh("if [ -e " + once + " ]; then exec " + listen + "; fi; touch " + once + "; setsid " + listen
                        + " & sleep 4; exit 1")
                + "\n    port: " + port + "\n    restart: { backoff: 100ms..200ms }\n");
        f.sup.apply(c, List.of());
        long first = f.sup.whenReady("app")
                .get(TestTimes.APP.toMillis(), TimeUnit.MILLISECONDS)
                .pid();

        await().atMost(TestTimes.APP).untilAsserted(() -> {
            ServiceStatus s = f.status("app");
            assertThat(s.pid()).isNotIn(0L, first);
            assertThat(s.state()).isEqualTo(ServiceState.READY);
        });
        assertThat(f.events.count("port-in-use"))
                .as("the old worker no longer held the port")
                .isZero();
        assertThat(f.status("app").restarts()).isEqualTo(1);
    }

    @Test
    void aDaemonThatLostItsStateFilesFindsTheAppByItsMarkerAndAdoptsIt() throws Exception {
        LifelineConfig c = f.config("services:\n  app:\n    command: " + sh("exec sleep " + tag) + "\n");
        f.sup.apply(c, List.of());
        ServiceStatus s = f.sup.whenReady("app").get(TestTimes.APP.toMillis(), TimeUnit.MILLISECONDS);
        f.status("app");
        f.sup.close(); // the daemon dies…
        Files.delete(f.home.stateFile("app")); // …and run/ is lost (a tmp cleaner, a careless rm)
        Files.delete(f.home.pidFile("app"));

        Supervisor second = f.newSupervisor();
        f.sup = second;
        second.adopt(c);

        assertThat(f.status("app").pid())
                .as("the same process, not a second copy")
                .isEqualTo(s.pid());
        assertThat(f.events.count("started")).isEqualTo(1);
        assertThat(f.events.ofType("adopted").get(0).message()).contains("marker");
        assertThat(Files.readString(f.home.pidFile("app")).trim()).isEqualTo(Long.toString(s.pid()));
        assertThat(second.apply(c, List.of()).unchanged()).containsExactly("app");
        assertThat(withCommand("sleep " + tag)).hasSize(1);
    }

    @Test
    void adoptionChecksTheCommandLineAsWellAsTheStartTime() throws Exception {
        Process stranger = new ProcessBuilder("sleep", Long.toString(tag)).start();
        try {
            await().atMost(TestTimes.SHORT)
                    .until(() -> Procfs.cmdline(stranger.pid()).equals("sleep " + tag));
            long ticks = Procfs.read(stranger.pid()).orElseThrow().startTicks();
            LifelineConfig c = f.config("services:\n  app:\n    command: " + sh("exec sleep " + (tag + 2)) + "\n");
            // A claim with the stranger's pid AND start time (e.g. a pid namespace reused it), another command.
            new StateStore(f.home)
                    .save("app", new StateStore.Saved(stranger.pid(), ticks, "python app.py", "x", 1, 1, 0, true));

            f.sup.adopt(c);

            assertThat(f.events.ofType("adopted")).isEmpty();
            assertThat(f.events.ofType("stale-pid")).singleElement();
            await().atMost(TestTimes.SHORT).until(() -> f.status("app").pid() > 0);
            assertThat(f.status("app").pid()).isNotEqualTo(stranger.pid());
            assertThat(stranger.isAlive()).as("never signalled").isTrue();
        } finally {
            stranger.destroyForcibly();
        }
    }

    @Test
    void anotherUsersProcessCarryingTheMarkerIsNeitherAdoptedNorEnded() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(
                "root".equals(System.getProperty("user.name")), "needs root to run a process as another user");
        String marker = Launch.markerEntry(f.home, "app");
        ProcessBuilder pb = new ProcessBuilder(
                "setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", "sleep", Long.toString(tag));
        pb.environment().put("LIFELINE_SERVICE", marker.substring(marker.indexOf('=') + 1));
        Process spoof = pb.start();
        try {
            await().atMost(TestTimes.SHORT)
                    .until(() -> Procfs.cmdline(spoof.pid()).equals("sleep " + tag));
            LifelineConfig c = f.config("services:\n  app:\n    command: " + sh("exec sleep " + (tag + 2)) + "\n");

            f.sup.adopt(c); // no state files: only the marker could name a process

            assertThat(f.sup.status("app")).as("nothing adopted").isEmpty();
            f.sup.apply(c, List.of());
            f.sup.whenReady("app").get(TestTimes.APP.toMillis(), TimeUnit.MILLISECONDS);
            f.status("app");
            f.sup.stop("app");
            assertThat(spoof.isAlive())
                    .as("another user's process is not the service's")
                    .isTrue();
        } finally {
            spoof.destroyForcibly();
        }
    }

    @Test
    void restartAboveMemoryCountsAWorkerThatLeftTheSession() throws Exception {
        // The main process stays small; a worker in a session of its own holds 150 MiB.
        LifelineConfig c = f.config("services:\n  app:\n    command: "
                + sh("setsid python3 -c 'import time; b = b\"x\" * (150 << 20); time.sleep(" + tag + ")' & "
                        + "echo loading; exec sleep " + (tag + 2))
                + "\n    ready: { log: loading }\n    limits: { restart-above-memory: 100M }\n"
                + "    restart: { policy: never }\n");
        f.sup.apply(c, List.of());
        f.sup.whenReady("app").get(TestTimes.APP.toMillis(), TimeUnit.MILLISECONDS);
        f.status("app");

        await().atMost(TestTimes.APP).until(() -> f.events.count("memory-restart") == 1);
        assertThat(f.events.ofType("memory-restart").get(0).message()).contains("Lifeline restarted it for memory");
        await().atMost(TestTimes.SHORT)
                .untilAsserted(() -> assertThat(f.status("app").state()).isEqualTo(ServiceState.FAILED));
        assertThat(withCommand("sleep " + (tag + 2))).isEmpty();
    }
}
