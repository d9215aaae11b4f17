package dev.lifeline.supervisor;

import static dev.lifeline.testing.Services.freePort;
import static dev.lifeline.testing.Services.sh;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.lifeline.config.LifelineConfig;
import dev.lifeline.core.LifelineException;
import dev.lifeline.process.ProcessTree;
import dev.lifeline.testing.TestTimes;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** "Ready" means ready, and a start that fails says why with this run's own output. */
class ReadinessTest {
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

    private LifelineException readyFailure(String name) {
        try {
            f.sup.whenReady(name).get(TestTimes.APP.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            assertThat(e.getCause()).isInstanceOf(LifelineException.class);
            return (LifelineException) e.getCause();
        } catch (Exception e) {
            throw new AssertionError("no answer: " + e, e);
        }
        throw new AssertionError(name + " became ready; status " + f.status(name));
    }

    @Test
    void aServiceWithNoProbeThatExitsAtOnceIsNotReadyAndSaysWhyWithThisRunsLines() throws Exception {
        Files.createDirectories(f.home.logs());
        Files.writeString(f.home.serviceLog("app"), "a line from an earlier run\n");
        LifelineConfig c = f.config("services:\n  app:\n    command: " + sh("echo cannot load model.bin; exit 3")
                + "\n    restart: { policy: never }\n");
        f.sup.apply(c, List.of());

        LifelineException e = readyFailure("app");

        assertThat(e.getMessage()).contains("exited with code 3").contains("before it was ready");
        assertThat(e.hint()).contains("cannot load model.bin").doesNotContain("earlier run");
        assertThat(f.status("app").state()).isEqualTo(ServiceState.FAILED);
        assertThat(f.events.ofType("ready")).isEmpty();
    }

    @Test
    void withNoProbeReadyOnlyAfterStayingUpForReadyAfter() throws Exception {
        LifelineConfig c =
                f.config("services:\n  app:\n    command: " + sh("exec sleep 1000") + "\n    ready: { after: 2s }\n");
        f.sup.apply(c, List.of());
        await().atMost(TestTimes.SHORT).until(() -> f.status("app").pid() > 0);
        assertThat(f.status("app").state()).isEqualTo(ServiceState.STARTING);

        ServiceStatus s = f.sup.whenReady("app").get(TestTimes.APP.toMillis(), TimeUnit.MILLISECONDS);
        assertThat(s.readySeconds()).isGreaterThanOrEqualTo(2.0);
    }

    @Test
    void aReadyTimeoutSaysWhenTheLogShowsTheAppListeningOnAnotherPort() {
        int port = freePort();
        LifelineConfig c = f.config("services:\n  api:\n    command: "
                + sh("echo 'INFO:     Uvicorn running on http://0.0.0.0:17105 (Press CTRL+C to quit)'; exec sleep 1000")
                + "\n    port: " + port + "\n    ready: { tcp: true, timeout: 1s }\n    restart: { policy: never }\n");
        f.sup.apply(c, List.of());

        LifelineException e = readyFailure("api");

        assertThat(e.getMessage())
                .contains("not ready within 1s")
                .contains("listens on port 17105")
                .contains("Uvicorn running on http://0.0.0.0:17105");
    }

    @Test
    void progressBarsWithOnlyCarriageReturnsAndManyMegabytesDoNotHideTheReadyLine() throws Exception {
        // 6 MB of a tqdm-style bar redrawn with \r and never a newline, then Gradio's line.
        LifelineConfig c = f.config("services:\n  app:\n    command: "
                + sh("yes 'Loading checkpoint shards:  50%|#####     | 1/2' | head -c 6000000 | tr '\\n' '\\r'; "
                        + "echo; echo 'Running on local URL:  http://127.0.0.1:7860'; exec sleep 1000")
                + "\n    ready: { log: 'Running on local URL', timeout: 1m }\n");
        f.sup.apply(c, List.of());

        ServiceStatus s = f.sup.whenReady("app").get(TestTimes.APP.toMillis(), TimeUnit.MILLISECONDS);
        assertThat(s.state()).isEqualTo(ServiceState.READY);
    }

    @Test
    void statusShowsTheLoadingProgressLineWhileItStarts() {
        LifelineConfig c = f.config("services:\n  app:\n    command: "
                + sh("printf 'Loading model\\n 10%%\\r 55%% 2.1GB/3.8GB'; exec sleep 1000")
                + "\n    ready: { log: 'never printed' }\n");
        f.sup.apply(c, List.of());

        await().atMost(TestTimes.SHORT)
                .untilAsserted(() -> assertThat(f.status("app").progress()).isEqualTo("55% 2.1GB/3.8GB"));
        assertThat(f.status("app").state()).isEqualTo(ServiceState.STARTING);
    }

    @Test
    void aMemoryRestartWhileLoadingSaysLifelineRestartedItForMemory() {
        LifelineConfig c = f.config("services:\n  app:\n    command: " + sh("echo loading; exec sleep 1000")
                + "\n    ready: { log: 'never printed' }\n    limits: { restart-above-memory: 100K }\n"
                + "    restart: { policy: never }\n");
        f.sup.apply(c, List.of());

        LifelineException e = readyFailure("app");

        assertThat(e.getMessage()).contains("Lifeline restarted it for memory").doesNotContain("signal");
        await().atMost(TestTimes.SHORT)
                .untilAsserted(() -> assertThat(f.status("app").reason()).contains("Lifeline restarted it for memory"));
    }

    @Test
    void aServiceThatIsReadyAgainAfterACrashSendsRecovered() throws Exception {
        Path once = tmp.resolve("crashed-once");
        LifelineConfig c = f.config("services:\n  app:\n    command: "
                + sh("echo up; if [ -e " + once + " ]; then exec sleep 1000; fi; sleep 0.5; touch " + once + "; exit 1")
                + "\n    ready: { log: up }\n");
        f.sup.apply(c, List.of());

        await().atMost(TestTimes.APP).until(() -> f.events.count("recovered") == 1);
        assertThat(f.events.ofType("recovered").get(0).fields())
                .containsEntry("restarts", 1)
                .containsKey("downSeconds");
        assertThat(f.events.ofType("ready")).hasSize(2);
    }

    @Test
    void twoHungServicesDoNotDelayAThirdServicesChecks() throws Exception {
        // Two services that ignore TERM time out on readiness: ending each takes its stop timeout.
        String hung = "    command: " + sh("trap '' TERM; echo hung; while :; do sleep 1; done")
                + "\n    ready: { log: never printed, timeout: 1s }\n    stop: { timeout: 1m }\n"
                + "    restart: { policy: never }\n";
        LifelineConfig c = f.config("services:\n  hung1:\n" + hung + "  hung2:\n" + hung);
        f.sup.apply(c, List.of());
        readyFailure("hung1");
        readyFailure("hung2");
        long[] pids = {f.status("hung1").pid(), f.status("hung2").pid()};
        try {
            LifelineConfig more =
                    f.config("services:\n  hung1:\n" + hung + "  hung2:\n" + hung + "  fine:\n    command: "
                            + sh("sleep 0.3; echo up; exec sleep 1000") + "\n    ready: { log: up }\n");
            f.sup.apply(more, List.of("fine"));

            ServiceStatus s = f.sup.whenReady("fine").get(TestTimes.SHORT.toMillis(), TimeUnit.MILLISECONDS);
            assertThat(s.state()).isEqualTo(ServiceState.READY);
            assertThat(f.status("hung1").state()).as("still being ended").isEqualTo(ServiceState.UNHEALTHY);
        } finally {
            for (long pid : pids) {
                ProcessTree.terminate(pid, "KILL", Duration.ofSeconds(5), p -> {});
            }
        }
    }
}
