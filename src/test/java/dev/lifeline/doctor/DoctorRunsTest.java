package dev.lifeline.doctor;

import static dev.lifeline.testing.OpsTimeouts.SOON;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.lifeline.config.LifelineConfig;
import dev.lifeline.core.Home;
import dev.lifeline.doctor.Check.Status;
import dev.lifeline.gpu.Gpu;
import dev.lifeline.insight.LogInsight;
import dev.lifeline.process.LaunchSpec;
import dev.lifeline.process.Launcher;
import dev.lifeline.process.Signals;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Doctor on services the supervisor recorded runs and states for (contract C1): real apps run
 * and exit into their log; the state file is written as the supervisor writes it.
 */
class DoctorRunsTest {
    @TempDir
    Path tmp;

    private Home home;
    private final List<String> runs = new ArrayList<>();
    private final List<Launcher.Started> started = new ArrayList<>();

    @BeforeEach
    void home() {
        home = new Home(tmp.resolve("home")).ensure();
    }

    @AfterEach
    void cleanUp() {
        for (Launcher.Started s : started) {
            if (s.process().isAlive()) {
                Signals.sendGroup(s.identity().pid(), "KILL");
            }
        }
    }

    /** Runs {@code argv} as one run of {@code web}, its output appended to the log, and records the run. */
    private Launcher.Started run(List<String> argv, Map<String, Long> rlimits, boolean waitForExit) throws IOException {
        Path log = home.serviceLog("web");
        long offset = Files.exists(log) ? Files.size(log) : 0;
        Instant t0 = Instant.now();
        Launcher.Started s = Launcher.start(new LaunchSpec(argv, tmp, Map.of(), log, rlimits, Optional.empty()));
        started.add(s);
        if (waitForExit) {
            await().atMost(SOON).until(() -> !s.process().isAlive());
            runs.add("{\"startedAt\":%d,\"offset\":%d,\"pid\":%d,\"endedAt\":%d,\"exitCode\":%d,\"how\":\"crashed\"}"
                    .formatted(
                            t0.toEpochMilli(),
                            offset,
                            s.identity().pid(),
                            Instant.now().toEpochMilli(),
                            s.process().exitValue()));
        } else {
            runs.add("{\"startedAt\":%d,\"offset\":%d,\"pid\":%d,\"endedAt\":0,\"exitCode\":null}"
                    .formatted(t0.toEpochMilli(), offset, s.identity().pid()));
        }
        return s;
    }

    /** The state file as the supervisor writes it: pid 0 and no pid file when nothing runs. */
    private void state(String state, String reason, long pid, long startTicks) throws IOException {
        Files.writeString(
                home.stateFile("web"),
                ("{\"pid\":%d,\"startTicks\":%d,\"command\":\"x\",\"wantRunning\":%s,\"state\":\"%s\","
                                + "\"reason\":\"%s\",\"runs\":[%s]}")
                        .formatted(pid, startTicks, state.equals("ready"), state, reason, String.join(",", runs)));
        if (pid > 0) {
            Files.writeString(home.pidFile("web"), pid + "\n");
        } else {
            Files.deleteIfExists(home.pidFile("web"));
        }
    }

    private List<Check> doctor() throws IOException {
        Path file = tmp.resolve("lifeline.yaml");
        Files.writeString(file, "services:\n  web:\n    command: python3 app.py\n");
        return Doctor.builder(home)
                .config(LifelineConfig.load(file))
                .gpu(Gpu.fromPath(tmp.resolve("no-bin").toString()))
                .insight(new LogInsight(ZoneId.systemDefault(), Clock.systemDefaultZone()))
                .timeout(Duration.ofSeconds(2))
                .build()
                .run(Optional.of("web"));
    }

    private static Check find(List<Check> checks, String name) {
        return checks.stream()
                .filter(c -> c.check().equals(name))
                .findFirst()
                .orElseThrow(() -> new AssertionError("no check " + name + " in " + checks));
    }

    /** This process's hard limit on open files, from /proc/self/limits; -1 when unlimited or unknown. */
    private static long hardOpenFiles() throws IOException {
        for (String l : Files.readAllLines(Path.of("/proc/self/limits"))) {
            if (l.startsWith("Max open files")) {
                String[] f = l.substring("Max open files".length()).trim().split("\\s+");
                return f[1].matches("\\d+") ? Long.parseLong(f[1]) : -1;
            }
        }
        return -1;
    }

    private static final List<String> MISSING_MODULE =
            List.of("/usr/bin/python3", "-c", "import lifeline_no_such_module_xyz");

    @Test
    void aServiceThatGaveUpAfterACrashLoopFailsWithItsReasonAndItsProblem() throws IOException {
        for (int i = 0; i < 3; i++) {
            run(MISSING_MODULE, Map.of(), true);
        }
        state("failed", "gave up after 3 restarts in 10m; last: exited with code 1", 0, 0);

        List<Check> checks = doctor();

        Check pid = find(checks, "pid");
        assertThat(pid.status()).isEqualTo(Status.FAIL);
        assertThat(pid.message())
                .contains("web failed: gave up after 3 restarts in 10m")
                .contains("crashed 3 times in a row")
                .contains("No module named 'lifeline_no_such_module_xyz'")
                .doesNotContain("stopped on purpose")
                .doesNotContain("process 0");
        Check known = find(checks, "known-problem");
        assertThat(known.status()).isEqualTo(Status.FAIL);
        assertThat(known.message()).contains("missing Python module").contains("3×");
        assertThat(Doctor.anyFailed(checks)).isTrue();
    }

    @Test
    void aServiceWaitingToBeRestartedAfterCrashesIsCrashLooping() throws IOException {
        run(MISSING_MODULE, Map.of(), true);
        run(MISSING_MODULE, Map.of(), true);
        state("backoff", "exited with code 1; restarting in 4s", 0, 0);
        Check pid = find(doctor(), "pid");
        assertThat(pid.status()).isEqualTo(Status.FAIL);
        assertThat(pid.message()).contains("web is crash-looping").contains("crashed 2 times in a row");
    }

    @Test
    void aServiceStoppedOnPurposeIsOnlyAWarning() throws IOException {
        run(List.of("/bin/sh", "-c", "echo serving; exit 0"), Map.of(), true);
        runs.set(0, runs.get(0).replace("crashed", "stopped"));
        state("stopped", "stopped by 'lifeline stop'", 0, 0);
        List<Check> checks = doctor();
        Check pid = find(checks, "pid");
        assertThat(pid.status()).isEqualTo(Status.WARN);
        assertThat(pid.message()).contains("stopped on purpose: stopped by 'lifeline stop'");
        assertThat(Doctor.anyFailed(checks)).isFalse();
    }

    @Test
    void aPidFileHoldingZeroIsNoProcessNotAStaleProcessZero() throws IOException {
        // what the supervisor wrote before C1 for a service that gave up
        Files.writeString(home.pidFile("web"), "0\n");
        Files.writeString(
                home.stateFile("web"), "{\"pid\":0,\"startTicks\":0,\"command\":\"\",\"wantRunning\":true}\n");
        Files.writeString(home.serviceLog("web"), "Killed\n");
        Check pid = find(doctor(), "pid");
        assertThat(pid.status()).isEqualTo(Status.FAIL);
        assertThat(pid.message())
                .contains("web is not running (no process recorded)")
                .doesNotContain("process 0");
    }

    @Test
    void aProblemOnlyAnEarlierRunShowedIsHistoryNotAWarning() throws IOException {
        run(MISSING_MODULE, Map.of(), true);
        Launcher.Started ok = run(List.of("/bin/sleep", "60"), Map.of(), false);
        await().atMost(SOON)
                .until(() ->
                        dev.lifeline.process.Procfs.cmdline(ok.identity().pid()).equals("/bin/sleep 60"));
        state("ready", "", ok.identity().pid(), ok.identity().startTicks());

        List<Check> checks = doctor();

        assertThat(find(checks, "pid").status()).isEqualTo(Status.OK);
        Check known = find(checks, "known-problem");
        assertThat(known.status()).isEqualTo(Status.OK);
        assertThat(known.message()).startsWith("history: missing Python module").contains("not in the current one");
    }

    @Test
    void aLimitAboveTheHardLimitIsRecognisedWithAFix() throws IOException {
        long hard = hardOpenFiles();
        Assumptions.assumeTrue(hard > 0 && hard < Long.MAX_VALUE, "no finite hard limit on open files here");
        Launcher.Started s = run(List.of("/bin/true"), Map.of("nofile", hard + 1), true);
        Assumptions.assumeTrue(s.process().exitValue() != 0, "this user may raise its hard limit");
        state("failed", "exited with code 1 before it was ready (restart policy: never)", 0, 0);

        List<Check> checks = doctor();

        assertThat(find(checks, "pid").message()).contains("cannot set the NOFILE limit");
        Check known = find(checks, "known-problem");
        assertThat(known.status()).isEqualTo(Status.FAIL);
        assertThat(known.message())
                .startsWith("cannot set the NOFILE limit")
                .contains("open-files")
                .contains("ulimit -Hn")
                .contains("/etc/security/limits.conf");
    }

    @Test
    void aServiceStartingAgainAfterThreeCrashesInARowIsCrashLooping() throws IOException {
        for (int i = 0; i < 3; i++) {
            run(MISSING_MODULE, Map.of(), true);
        }
        Launcher.Started again = run(List.of("/bin/sleep", "60"), Map.of(), false);
        await().atMost(SOON)
                .until(() -> dev.lifeline.process.Procfs.cmdline(
                                again.identity().pid())
                        .equals("/bin/sleep 60"));
        state(
                "starting",
                "restarted after a crash",
                again.identity().pid(),
                again.identity().startTicks());

        Check pid = find(doctor(), "pid");
        assertThat(pid.status()).isEqualTo(Status.FAIL);
        assertThat(pid.message())
                .contains("web's own process")
                .contains("crash-looping: the 3 runs before this one crashed")
                .contains("last error of run 3: \"ModuleNotFoundError");

        state("ready", "", again.identity().pid(), again.identity().startTicks());
        assertThat(find(doctor(), "pid").status()).isEqualTo(Status.OK); // it came up: the loop is over
    }

    @Test
    void aStoppedServiceWhoseLastPidWasReusedIsStillJustStopped() throws IOException {
        Launcher.Started other = run(List.of("/bin/sleep", "60"), Map.of(), false);
        await().atMost(SOON)
                .until(() -> dev.lifeline.process.Procfs.cmdline(
                                other.identity().pid())
                        .equals("/bin/sleep 60"));
        runs.clear();
        // the supervisor kept the last pid of the stopped service; another program has it now
        state(
                "stopped",
                "stopped by 'lifeline stop'",
                other.identity().pid(),
                other.identity().startTicks() + 1);
        Check pid = find(doctor(), "pid");
        assertThat(pid.status()).isEqualTo(Status.WARN);
        assertThat(pid.message()).contains("stopped on purpose").doesNotContain("another program");
    }
}
