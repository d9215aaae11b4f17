package dev.lifeline.supervisor;

import static dev.lifeline.testing.Services.demoCommand;
import static dev.lifeline.testing.Services.freePort;
import static dev.lifeline.testing.Services.sh;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lifeline.config.LifelineConfig;
import dev.lifeline.core.Json;
import dev.lifeline.core.LifelineException;
import dev.lifeline.testing.TestTimes;
import java.io.IOException;
import java.net.HttpURLConnection;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A config change restarts a service only when what its process runs changed, never stops a
 * healthy one for a change that cannot start, and the state file tells the truth after a daemon
 * restart.
 */
class ConfigChangeTest {
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

    private static final String SLEEPER = "  app:\n    command: " + sh("exec sleep 1000") + "\n";

    private ServiceStatus upAndReady(LifelineConfig c, String name) throws Exception {
        f.sup.apply(c, List.of());
        ServiceStatus s = f.sup.whenReady(name).get(TestTimes.APP.toMillis(), TimeUnit.MILLISECONDS);
        f.status(name);
        return s;
    }

    @Test
    void aChangeWhoseDirectoryIsMissingIsRefusedAndTheRunningServiceKeepsRunning() throws Exception {
        ServiceStatus before = upAndReady(f.config("services:\n" + SLEEPER), "app");

        LifelineConfig broken = f.config("services:\n" + SLEEPER + "    cwd: /no/such/dir\n");
        assertThatThrownBy(() -> f.sup.apply(broken, List.of()))
                .isInstanceOf(LifelineException.class)
                .hasMessageContaining("working directory /no/such/dir does not exist");

        ServiceStatus after = f.status("app");
        assertThat(after.pid()).isEqualTo(before.pid());
        assertThat(after.state()).isEqualTo(ServiceState.READY);
        assertThat(f.events.count("stopping")).isZero();
    }

    @Test
    void aChangeToAProgramThatDoesNotExistIsRefusedAndTheRunningServiceKeepsRunning() throws Exception {
        ServiceStatus before = upAndReady(f.config("services:\n" + SLEEPER), "app");

        LifelineConfig typo = f.config("services:\n  app:\n    command: [\"pyhton3-no-such-program\", \"app.py\"]\n");
        assertThatThrownBy(() -> f.sup.apply(typo, List.of()))
                .isInstanceOf(LifelineException.class)
                .hasMessageContaining("pyhton3-no-such-program")
                .hasMessageContaining("is not on the PATH");
        assertThat(f.status("app").pid()).isEqualTo(before.pid());
        assertThat(f.status("app").state()).isEqualTo(ServiceState.READY);
    }

    @Test
    void addingHealthLogsRestartAndOutputsSettingsDoesNotRestartTheServiceButApplies() throws Exception {
        int port = freePort();
        String web = "  web:\n    command: " + demoCommand(port, 0, tmp.resolve("out")) + "\n    port: " + port
                + "\n    ready: { http: / }\n    stop: { timeout: 1s }\n";
        ServiceStatus before = upAndReady(f.config("services:\n" + web), "web");

        Supervisor.ApplyResult r = f.sup.apply(
                f.config("services:\n" + web
                        + "    health: { http: /healthz, every: 200ms, failures: 2, timeout: 300ms }\n"
                        + "    logs: { max-size: 10M, keep: 2 }\n    restart: { backoff: 2s..30s }\n"
                        + "    outputs: out\n"),
                List.of());

        assertThat(r.restarted()).isEmpty();
        assertThat(r.updated()).containsExactly("web");
        assertThat(f.status("web").pid()).as("the model was not reloaded").isEqualTo(before.pid());
        // The new health check is live: a hang is noticed and restarts the app.
        httpGet(port, "/hang");
        await().atMost(TestTimes.APP).until(() -> f.events.count("unhealthy") == 1);
    }

    @Test
    void aConfigEditThatRestartsTheServiceStartsAFreshRestartCount() throws Exception {
        Path marker = tmp.resolve("crashes");
        // Crashes three times (counting in a file), then stays up.
        String flaky = "  app:\n    command: "
                + sh("echo x >> " + marker + "; [ $(wc -l < " + marker + ") -gt 3 ] && exec sleep 1000; exit 1")
                + "\n    restart: { backoff: 10ms..20ms }\n    ready: { after: 200ms }\n";
        f.sup.apply(f.config("services:\n" + flaky), List.of());
        await().atMost(TestTimes.APP).until(() -> f.status("app").state() == ServiceState.READY);
        assertThat(f.status("app").restarts()).isEqualTo(3);

        f.sup.apply(f.config("services:\n" + flaky + "    env: { MODEL: large }\n"), List.of());

        await().atMost(TestTimes.APP).until(() -> f.status("app").state() == ServiceState.READY);
        assertThat(f.status("app").restarts()).isZero();
    }

    @Test
    void aFailedServiceStaysFailedWithItsReasonAfterADaemonRestart() throws Exception {
        LifelineConfig c = f.config("services:\n  app:\n    command: " + sh("echo boom; exit 7")
                + "\n    restart: { backoff: 10ms..20ms, give-up: 2 in 1m }\n");
        f.sup.apply(c, List.of());
        await().atMost(TestTimes.APP).until(() -> f.status("app").state() == ServiceState.FAILED);
        f.sup.close();

        Supervisor second = f.newSupervisor();
        f.sup = second;
        second.adopt(c);

        assertThat(f.status("app").state()).isEqualTo(ServiceState.FAILED);
        assertThat(f.status("app").reason()).contains("gave up after 2 restarts");
        JsonNode state = Json.parse(Files.readString(f.home.stateFile("app")));
        assertThat(state.path("state").asText()).isEqualTo("failed");
        assertThat(f.home.pidFile("app")).as("no pid file, never one holding 0").doesNotExist();
    }

    @Test
    void eachRunsOffsetInTheStateFileIsWhereItsOutputBeginsInTheLog() throws Exception {
        LifelineConfig c = f.config("services:\n  app:\n    command: " + sh("echo run $$ begins; exit 7")
                + "\n    restart: { backoff: 10ms..20ms, give-up: 2 in 1m }\n");
        f.sup.apply(c, List.of());
        await().atMost(TestTimes.APP).until(() -> f.status("app").state() == ServiceState.FAILED);

        JsonNode runs = Json.parse(Files.readString(f.home.stateFile("app"))).path("runs");
        byte[] log = Files.readAllBytes(f.home.serviceLog("app"));
        assertThat(runs).hasSize(3);
        for (JsonNode run : runs) {
            int at = (int) run.path("offset").asLong();
            String text = new String(log, at, log.length - at, StandardCharsets.UTF_8);
            assertThat(text).startsWith("run " + run.path("pid").asLong() + " begins\n");
            assertThat(run.path("exitCode").asInt()).isEqualTo(7);
            assertThat(run.path("how").asText()).isEqualTo("crashed");
            assertThat(run.path("endedAt").asLong())
                    .isGreaterThanOrEqualTo(run.path("startedAt").asLong());
        }
        assertThat(new String(log, StandardCharsets.UTF_8))
                .as("nothing of Lifeline's is written into the app's output")
                .isEqualTo(String.join(
                        "",
                        runs.findValues("pid").stream()
                                .map(p -> "run " + p.asLong() + " begins\n")
                                .toList()));
    }

    @Test
    void userNobodyRunsWithThePrimaryGroupOfItsPasswdEntry() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(
                "root".equals(System.getProperty("user.name")), "switching accounts needs root");
        long gid = dev.lifeline.process.Accounts.lookup("nobody").orElseThrow().gid();
        LifelineConfig c = f.config("services:\n  app:\n    command: " + sh("exec sleep 1000")
                + "\n    cwd: /\n    user: nobody\n    ready: { after: 300ms }\n");
        ServiceStatus s = upAndReady(c, "app");

        await().atMost(TestTimes.SHORT)
                .until(() -> dev.lifeline.process.Procfs.cmdline(s.pid()).equals("sleep 1000"));
        String status = Files.readString(Path.of("/proc/" + s.pid() + "/status"));
        assertThat(status).containsPattern("(?m)^Uid:\\s+65534\\b").containsPattern("(?m)^Gid:\\s+" + gid + "\\b");
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
