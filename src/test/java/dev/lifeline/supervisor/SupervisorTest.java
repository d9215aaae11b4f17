package dev.lifeline.supervisor;

import static dev.lifeline.testing.Services.demoCommand;
import static dev.lifeline.testing.Services.freePort;
import static dev.lifeline.testing.Services.sh;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.lifeline.config.LifelineConfig;
import dev.lifeline.core.LifelineException;
import dev.lifeline.process.ProcessInfo;
import dev.lifeline.process.Procfs;
import dev.lifeline.testing.TestTimes;
import java.io.IOException;
import java.net.HttpURLConnection;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SupervisorTest {
    @TempDir
    Path tmp;

    SupervisorFixture f;

    @BeforeEach
    void setUp() {
        f = new SupervisorFixture(tmp);
    }

    @AfterEach
    void tearDown() {
        f.close();
    }

    private ServiceStatus startAndAwaitReady(LifelineConfig c, String name) throws Exception {
        f.sup.apply(c, List.of(name));
        ServiceStatus s = f.sup.whenReady(name).get(TestTimes.APP.toMillis(), TimeUnit.MILLISECONDS);
        f.status(name);
        return s;
    }

    @Test
    void aRemovedServiceIsStoppedThenForgottenAndAStartDuringItsStopIsRefused() throws Exception {
        // it ignores TERM, so its stop lasts the whole stop timeout before the KILL
        LifelineConfig c = f.config("services:\n  app:\n    command: "
                + sh("trap '' TERM; echo app-was-here; exec sleep 1000") + "\n    stop: { timeout: 2s }\n");
        long pid = startAndAwaitReady(c, "app").pid();
        Thread remover = new Thread(() -> f.sup.remove("app"), "test-remover");
        remover.start();
        await().atMost(TestTimes.SHORT).until(() -> f.status("app").state() == ServiceState.STOPPING);

        assertThatThrownBy(() -> f.sup.start("app"))
                .isInstanceOf(LifelineException.class)
                .hasMessageContaining("app is being removed");

        remover.join(TestTimes.SHORT.toMillis());
        assertThat(remover.isAlive()).isFalse();
        assertThat(Procfs.session(pid)).as("its tree is gone").isEmpty();
        assertThat(f.sup.names()).doesNotContain("app");
        assertThat(f.sup.status()).isEmpty();
        assertThat(f.home.stateFile("app")).doesNotExist();
        assertThat(f.home.pidFile("app")).doesNotExist();
        assertThat(f.home.serviceLog("app")).content().contains("app-was-here");
    }

    @Test
    void startsDetachedInItsOwnSessionWritingStraightToItsLog() throws Exception {
        LifelineConfig c =
                f.config("services:\n  app:\n    command: " + sh("echo hello from the app; exec sleep 1000") + "\n");
        ServiceStatus s = startAndAwaitReady(c, "app");

        ProcessInfo p = Procfs.read(s.pid()).orElseThrow();
        assertThat(p.sid()).as("own session").isEqualTo(s.pid());
        assertThat(p.pgid()).as("own process group").isEqualTo(s.pid());
        Path log = f.home.serviceLog("app");
        assertThat(Files.readSymbolicLink(Path.of("/proc/" + s.pid() + "/fd/1")))
                .isEqualTo(log);
        assertThat(Files.readSymbolicLink(Path.of("/proc/" + s.pid() + "/fd/0")).toString())
                .isEqualTo("/dev/null");
        await().atMost(TestTimes.SHORT).until(() -> Files.readString(log).contains("hello from the app"));
        assertThat(Files.readString(f.home.pidFile("app")).trim()).isEqualTo(Long.toString(s.pid()));
    }

    @Test
    void readyOnlyWhenTheHttpCheckPassesNotWhenTheProcessExists() throws Exception {
        int port = freePort();
        LifelineConfig c = f.config("services:\n  web:\n    command: " + demoCommand(port, 1.5, tmp.resolve("out"))
                + "\n    port: " + port + "\n    ready: { http: /healthz, timeout: 1m }\n");
        f.sup.apply(c, List.of());
        await().atMost(TestTimes.SHORT).until(() -> f.status("web").pid() > 0);
        assertThat(f.status("web").state()).isEqualTo(ServiceState.STARTING);

        ServiceStatus ready = f.sup.whenReady("web").get(TestTimes.APP.toMillis(), TimeUnit.MILLISECONDS);
        assertThat(ready.state()).isEqualTo(ServiceState.READY);
        assertThat(ready.readySeconds()).isGreaterThanOrEqualTo(1.5);
        assertThat(httpGet(port, "/healthz")).isEqualTo(200);
    }

    @Test
    void readyByALogLineLikeGradiosRunningOnLocalUrl() throws Exception {
        LifelineConfig c = f.config("services:\n  app:\n    command: "
                + sh("echo loading; sleep 0.3; echo 'Running on local URL:  http://127.0.0.1:7860'; exec sleep 1000")
                + "\n    ready: { log: 'Running on local URL' }\n");
        ServiceStatus s = startAndAwaitReady(c, "app");
        assertThat(s.state()).isEqualTo(ServiceState.READY);
        assertThat(s.readySeconds()).isGreaterThanOrEqualTo(0.3);
    }

    @Test
    void readinessTimeoutFailsWithTheLogTailAndLeavesNothingRunning() throws Exception {
        LifelineConfig c =
                f.config("services:\n  app:\n    command: " + sh("echo still loading the model; exec sleep 1000")
                        + "\n    ready: { log: 'never printed', timeout: 1s }\n    restart: { policy: never }\n");
        f.sup.apply(c, List.of());
        long pid = waitForPid("app");

        assertThatThrownBy(() -> f.sup.whenReady("app").get(TestTimes.APP.toMillis(), TimeUnit.MILLISECONDS))
                .isInstanceOf(ExecutionException.class)
                .cause()
                .hasMessageContaining("not ready within 1s")
                .isInstanceOfSatisfying(
                        LifelineException.class,
                        e -> assertThat(e.hint())
                                .contains("still loading the model")
                                .contains(f.home.serviceLog("app").toString()));
        await().atMost(TestTimes.SHORT)
                .untilAsserted(() -> assertThat(f.status("app").state()).isEqualTo(ServiceState.FAILED));
        assertThat(Procfs.session(pid)).isEmpty();
    }

    @Test
    void startingARunningServiceIsANoOp() throws Exception {
        LifelineConfig c = f.config("services:\n  app:\n    command: " + sh("exec sleep 1000") + "\n");
        ServiceStatus s = startAndAwaitReady(c, "app");
        assertThat(f.sup.start("app")).isFalse();
        assertThat(f.status("app").pid()).isEqualTo(s.pid());
        assertThat(f.events.count("started")).isEqualTo(1);
    }

    @Test
    void aPortHeldByAnotherProcessFailsBeforeLaunchNamingThatProcess() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            int port = taken.getLocalPort();
            LifelineConfig c =
                    f.config("services:\n  app:\n    command: " + sh("exec sleep 1000") + "\n    port: " + port + "\n");
            f.sup.apply(c, List.of());
            long me = ProcessHandle.current().pid();
            assertThatThrownBy(() -> f.sup.whenReady("app").get(TestTimes.SHORT.toMillis(), TimeUnit.MILLISECONDS))
                    .cause()
                    .hasMessageContaining("port " + port + " is already in use by pid " + me);
            assertThat(f.status("app").state()).isEqualTo(ServiceState.FAILED);
            assertThat(f.status("app").pid()).as("nothing launched").isZero();
            assertThat(f.events.count("started")).isZero();
        }
    }

    @Test
    void stopEndsTheWholeTreeEscalatingToKillWhenTermIsIgnored() throws Exception {
        // The main process ignores TERM; a child and an orphaned grandchild sleep in the same session.
        LifelineConfig c = f.config("services:\n  app:\n    command: "
                + sh("trap '' TERM; sleep 1000 & sh -c 'sleep 1000 &' ; echo workers up; while :; do sleep 1; done")
                + "\n    ready: { log: 'workers up' }\n    stop: { timeout: 500ms }\n");
        ServiceStatus s = startAndAwaitReady(c, "app");
        await().atMost(TestTimes.SHORT).until(() -> Procfs.session(s.pid()).size() >= 3);

        f.sup.stop("app");

        assertThat(Procfs.session(s.pid()))
                .as("no process of the service is left")
                .isEmpty();
        assertThat(f.events.ofType("killed")).isNotEmpty();
        assertThat(f.status("app").state()).isEqualTo(ServiceState.STOPPED);
        assertThat(f.home.pidFile("app")).doesNotExist();
    }

    @Test
    void stopWaitsForThePortToBeFree() throws Exception {
        int port = freePort();
        // The app takes a second to shut down after TERM, holding its port all the while.
        LifelineConfig c = f.config("services:\n  web:\n    command: "
                + sh("exec python3 -c 'import signal,socket,sys,time; s=socket.socket(); "
                        + "s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind((\"127.0.0.1\", " + port
                        + ")); s.listen(); signal.signal(signal.SIGTERM, lambda *a: (time.sleep(1), sys.exit(0))); "
                        + "time.sleep(1000)'")
                + "\n    port: " + port + "\n");
        startAndAwaitReady(c, "web");
        f.sup.stop("web");
        try (ServerSocket again = new ServerSocket(port, 50, InetAddress.getLoopbackAddress())) {
            assertThat(again.isBound()).isTrue();
        }
    }

    @Test
    void aCrashedServiceRestartsAtOnceAndItsLeftoverWorkersAreEndedFirst() throws Exception {
        Path marker = tmp.resolve("first-run-done");
        // First run: start two workers, then crash. Later runs: stay up.
        LifelineConfig c = f.config("services:\n  app:\n    command: "
                + sh("if [ -e " + marker + " ]; then exec sleep 1000; fi; touch " + marker
                        + "; sleep 1000 & sleep 1000 & echo workers; sleep 0.3; exit 3")
                + "\n");
        f.sup.apply(c, List.of());
        long first = waitForPid("app");
        await().atMost(TestTimes.SHORT)
                .until(() -> f.status("app").pid() != first && f.status("app").pid() > 0);

        ServiceStatus s = f.status("app");
        assertThat(s.restarts()).isEqualTo(1);
        assertThat(s.lastExit()).isEqualTo(3);
        assertThat(Procfs.session(first)).as("workers of the crashed run").isEmpty();
        assertThat(f.events.ofType("restarting").get(0).fields()).containsEntry("delayMillis", 0L);
    }

    @Test
    void aCrashLoopBacksOffExponentiallyThenEndsInFailed() throws Exception {
        LifelineConfig c = f.config("services:\n  app:\n    command: " + sh("echo boom; exit 7")
                + "\n    restart: { policy: always, backoff: 100ms..400ms, give-up: 4 in 1m }\n");
        f.sup.apply(c, List.of());
        await().atMost(TestTimes.APP)
                .untilAsserted(() -> assertThat(f.status("app").state()).isEqualTo(ServiceState.FAILED));

        ServiceStatus s = f.status("app");
        assertThat(s.restarts()).isEqualTo(4);
        assertThat(s.lastExit()).isEqualTo(7);
        assertThat(s.reason()).contains("gave up after 4 restarts in 1m");
        assertThat(f.events.ofType("restarting"))
                .extracting(e -> e.fields().get("delayMillis"))
                .containsExactly(0L, 100L, 200L, 400L);
        assertThat(f.events.count("started")).isEqualTo(5);
        assertThat(f.events.ofType("failed").get(0).fields().get("logTail").toString())
                .contains("boom");
    }

    @Test
    void onFailurePolicyLeavesACleanExitStopped() throws Exception {
        LifelineConfig c =
                f.config("services:\n  job:\n    command: " + sh("exit 0") + "\n    restart: { policy: on-failure }\n");
        f.sup.apply(c, List.of());
        await().atMost(TestTimes.SHORT)
                .untilAsserted(() -> assertThat(f.status("job").state()).isEqualTo(ServiceState.STOPPED));
        assertThat(f.status("job").lastExit()).isZero();
        assertThat(f.status("job").restarts()).isZero();
    }

    @Test
    void aHungAppIsRestartedAfterItsHealthChecksFail() throws Exception {
        int port = freePort();
        LifelineConfig c = f.config("services:\n  web:\n    command: " + demoCommand(port, 0, tmp.resolve("out"))
                + "\n    port: " + port
                + "\n    ready: { http: / }\n    health: { http: /healthz, every: 200ms, failures: 2, timeout: 300ms }\n"
                + "    stop: { timeout: 1s }\n");
        ServiceStatus s = startAndAwaitReady(c, "web");
        httpGet(port, "/hang");

        await().atMost(TestTimes.APP).untilAsserted(() -> {
            ServiceStatus now = f.status("web");
            assertThat(now.pid()).isNotEqualTo(s.pid());
            assertThat(now.state()).isEqualTo(ServiceState.READY);
        });
        assertThat(f.events.ofType("unhealthy")).hasSize(1);
        assertThat(f.status("web").restarts()).isEqualTo(1);
        assertThat(httpGet(port, "/healthz")).isEqualTo(200);
    }

    @Test
    void aNewSupervisorAdoptsARunningServiceWithoutRestartingItAndSupervisesIt() throws Exception {
        LifelineConfig c = f.config("services:\n  app:\n    command: " + sh("exec sleep 1000") + "\n");
        ServiceStatus s = startAndAwaitReady(c, "app");
        f.sup.close(); // the daemon dies: its threads go, the service stays

        assertThat(Procfs.read(s.pid())).isPresent();
        Supervisor second = f.newSupervisor();
        f.sup = second;
        second.adopt(c);
        assertThat(f.status("app").pid()).isEqualTo(s.pid());
        assertThat(f.status("app").state()).isEqualTo(ServiceState.READY);
        assertThat(f.events.count("started")).isEqualTo(1);

        ProcessHandle.of(s.pid()).orElseThrow().destroyForcibly();
        await().atMost(TestTimes.SHORT).untilAsserted(() -> {
            assertThat(f.status("app").pid()).isNotIn(0L, s.pid());
            assertThat(f.status("app").restarts()).isEqualTo(1);
        });
    }

    @Test
    void aStalePidFilePointingAtAnotherLiveProcessIsNeverSignalled() throws Exception {
        Process stranger = new ProcessBuilder("sleep", "1000").start();
        try {
            LifelineConfig c = f.config("services:\n  app:\n    command: " + sh("exec sleep 1000") + "\n");
            // An earlier daemon's claim: the stranger's pid, but another start time.
            new StateStore(f.home)
                    .save("app", new StateStore.Saved(stranger.pid(), 12345, "python app.py", "x", 1, 1, 0, true));

            f.sup.adopt(c);

            assertThat(f.events.ofType("stale-pid"))
                    .singleElement()
                    .satisfies(e -> assertThat(e.message())
                            .contains("pid file names " + stranger.pid())
                            .contains("not signalling it"));
            await().atMost(TestTimes.SHORT).until(() -> f.status("app").pid() > 0);
            assertThat(f.status("app").pid()).isNotEqualTo(stranger.pid());
            assertThat(stranger.isAlive()).isTrue();
        } finally {
            stranger.destroyForcibly();
        }
    }

    @Test
    void logsRotateBySizeWhileTheAppKeepsWritingToTheSameFile() throws Exception {
        LifelineConfig c = f.config("services:\n  chatty:\n    command: "
                + sh(
                        "i=0; while [ $i -lt 100000 ]; do echo line $i of a chatty model server; i=$((i+1)); sleep 0.005; done")
                + "\n    logs: { max-size: 4K, keep: 2 }\n");
        ServiceStatus s = startAndAwaitReady(c, "chatty");
        Path log = f.home.serviceLog("chatty");
        Path gen1 = log.resolveSibling("chatty.log.1.gz");
        await().atMost(TestTimes.APP).until(() -> f.events.count("log-rotated") >= 3);

        assertThat(log.resolveSibling("chatty.log.2.gz")).exists();
        assertThat(log.resolveSibling("chatty.log.3.gz"))
                .as("only 2 generations kept")
                .doesNotExist();
        try (GZIPInputStream in = new GZIPInputStream(Files.newInputStream(gen1))) {
            assertThat(new String(in.readAllBytes())).contains("of a chatty model server");
        }
        assertThat(f.status("chatty").pid()).as("the app was not restarted").isEqualTo(s.pid());
        // The run began before the rotations: its offset moved into the older generations (C1).
        assertThat(dev.lifeline.core.Json.parse(Files.readString(f.home.stateFile("chatty")))
                        .path("runs")
                        .get(0)
                        .path("offset")
                        .asLong())
                .isNegative();
        // The app keeps appending through its own descriptor: no hole of NUL bytes after the truncate.
        await().atMost(TestTimes.SHORT).until(() -> Files.size(log) > 100);
        assertThat(Files.readString(log)).doesNotContain("\0").contains("of a chatty model server");
    }

    @Test
    void stateFilesAreReadableByTheirOwnerOnly() throws Exception {
        LifelineConfig c = f.config("services:\n  app:\n    command: " + sh("exec sleep 1000") + "\n");
        startAndAwaitReady(c, "app");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(f.home.root())))
                .isEqualTo("rwx------");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(f.home.pidFile("app"))))
                .isEqualTo("rw-------");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(f.home.stateFile("app"))))
                .isEqualTo("rw-------");
    }

    @Test
    void openFilesLimitShowsAsTheAppsOwnMaxOpenFiles() throws Exception {
        LifelineConfig c = f.config(
                "services:\n  app:\n    command: " + sh("exec sleep 1000") + "\n    limits: { open-files: 4321 }\n");
        ServiceStatus s = startAndAwaitReady(c, "app");
        assertThat(Procfs.maxOpenFiles(s.pid())).isEqualTo(4321);
    }

    @Test
    void aMemoryLimitIsEnforcedByACgroupOrItsAbsenceIsSaidPlainly() throws Exception {
        LifelineConfig c = f.config(
                "services:\n  app:\n    command: " + sh("exec sleep 1000") + "\n    limits: { memory: 64M }\n");
        ServiceStatus s = startAndAwaitReady(c, "app");
        if (f.events.count("limit-not-enforced") == 0) {
            // The program runs only after its shell has joined the cgroup.
            await().atMost(TestTimes.SHORT).until(() -> Procfs.cmdline(s.pid()).equals("sleep 1000"));
            assertThat(Files.readString(Path.of("/proc/" + s.pid() + "/cgroup")))
                    .contains("lifeline-app");
            assertThat(s.memoryLimitBytes()).isBetween(63L << 20, 64L << 20);
        } else {
            assertThat(f.events.ofType("limit-not-enforced").get(0).message())
                    .contains("limits.memory is not enforced");
            assertThat(s.memoryLimitBytes()).isZero();
        }
    }

    @Test
    void aProcessThatLeftTheSessionIsStillEndedThroughTheCgroup() throws Exception {
        LifelineConfig c =
                f.config("services:\n  app:\n    command: " + sh("setsid sleep 1001 & echo escaped; exec sleep 1000")
                        + "\n    ready: { log: escaped }\n    limits: { memory: 256M }\n");
        startAndAwaitReady(c, "app");
        org.junit.jupiter.api.Assumptions.assumeTrue(
                f.events.count("limit-not-enforced") == 0, "no writable memory cgroup here");
        await().atMost(TestTimes.SHORT)
                .until(() -> Procfs.all().stream()
                        .anyMatch(p -> Procfs.cmdline(p.pid()).equals("sleep 1001")));

        f.sup.stop("app");

        assertThat(Procfs.all().stream().filter(p -> !p.isZombie()).map(p -> Procfs.cmdline(p.pid())))
                .doesNotContain("sleep 1001");
    }

    @Test
    void reapplyingRestartsOnlyServicesWhoseDefinitionChanged() throws Exception {
        String a = "  a:\n    command: " + sh("exec sleep 1000") + "\n";
        LifelineConfig c1 = f.config("services:\n" + a + "  b:\n    command: " + sh("exec sleep 1000") + "\n");
        f.sup.apply(c1, List.of());
        ServiceStatus a1 = f.sup.whenReady("a").get(TestTimes.SHORT.toMillis(), TimeUnit.MILLISECONDS);
        ServiceStatus b1 = f.sup.whenReady("b").get(TestTimes.SHORT.toMillis(), TimeUnit.MILLISECONDS);
        f.status("a");
        f.status("b");

        LifelineConfig c2 = f.config(
                "services:\n" + a + "  b:\n    command: " + sh("exec sleep 1000") + "\n    env: { MODEL: large }\n");
        Supervisor.ApplyResult r = f.sup.apply(c2, List.of());

        assertThat(r.unchanged()).containsExactly("a");
        assertThat(r.restarted()).containsExactly("b");
        assertThat(f.status("a").pid()).isEqualTo(a1.pid());
        assertThat(f.sup.whenReady("b")
                        .get(TestTimes.SHORT.toMillis(), TimeUnit.MILLISECONDS)
                        .pid())
                .isNotEqualTo(b1.pid());
        assertThat(Procfs.session(b1.pid())).isEmpty();
    }

    private long waitForPid(String name) {
        await().atMost(TestTimes.SHORT).until(() -> f.status(name).pid() > 0);
        return f.status(name).pid();
    }

    private static int httpGet(int port, String path) throws IOException {
        HttpURLConnection c = (HttpURLConnection) new URL("http://127.0.0.1:" + port + path).openConnection();
        c.setConnectTimeout(2000);
        c.setReadTimeout(2000);
        try {
            return c.getResponseCode();
        } finally {
            c.disconnect();
        }
    }
}
