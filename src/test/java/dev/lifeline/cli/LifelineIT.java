package dev.lifeline.cli;

import static dev.lifeline.testing.Services.freePort;
import static dev.lifeline.testing.Services.sh;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lifeline.process.ProcessTree;
import dev.lifeline.process.Procfs;
import dev.lifeline.testing.Cli;
import dev.lifeline.testing.TestTimes;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** End to end: the real {@code ./lifeline} launcher, the shaded jar, a background daemon. */
class LifelineIT {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    Cli cli;
    final List<Long> pids = new ArrayList<>();

    @BeforeEach
    void setUp() throws IOException {
        cli = new Cli(tmp.resolve("home"), Files.createDirectories(tmp.resolve("project")));
    }

    @AfterEach
    void tearDown() {
        cli.run("down");
        daemonPid().ifPresent(p -> ProcessHandle.of(p).ifPresent(ProcessHandle::destroyForcibly));
        for (long pid : pids) {
            ProcessTree.terminate(pid, "KILL", Duration.ofSeconds(1), p -> {});
        }
    }

    private void writeConfig(String yaml) throws IOException {
        Files.writeString(cli.workDir.resolve("lifeline.yaml"), yaml);
    }

    private JsonNode status() throws IOException {
        Cli.Result r = cli.run("status", "--json");
        assertThat(r.exit()).as(r.toString()).isZero();
        JsonNode n = JSON.readTree(r.out());
        n.forEach(s -> {
            if (s.path("pid").asLong() > 0 && !pids.contains(s.path("pid").asLong())) {
                pids.add(s.path("pid").asLong());
            }
        });
        return n;
    }

    private JsonNode service(String name) throws IOException {
        for (JsonNode s : status()) {
            if (s.path("name").asText().equals(name)) {
                return s;
            }
        }
        throw new AssertionError("no service " + name);
    }

    private java.util.Optional<Long> daemonPid() {
        try {
            return java.util.Optional.of(Long.parseLong(
                    Files.readString(cli.home.resolve("daemon.pid")).trim()));
        } catch (IOException | RuntimeException e) {
            return java.util.Optional.empty();
        }
    }

    @Test
    void upStartsTheDaemonWaitsUntilReadyAndDownEndsEverything() throws IOException {
        int port = freePort();
        writeConfig("services:\n  web:\n    command: "
                + sh("sleep 0.5; exec python3 -m http.server " + port + " --bind 127.0.0.1") + "\n    port: " + port
                + "\n    ready: { http: / }\n");
        Cli.Result up = cli.run("up");
        assertThat(up.exit()).as(up.toString()).isZero();
        assertThat(up.out())
                .contains("daemon started")
                .containsPattern("web\\s+ready\\s+on :" + port + " in \\d+\\.\\ds");

        JsonNode web = service("web");
        assertThat(web.path("state").asText()).isEqualTo("ready");
        for (String field : List.of("name", "state", "pid", "restarts", "uptimeSeconds", "lastExit", "rssBytes")) {
            assertThat(web.has(field)).as(field).isTrue();
        }
        assertThat(web.path("rssBytes").asLong()).isPositive();
        long pid = web.path("pid").asLong();
        assertThat(Files.readString(cli.home.resolve("run/web.pid")).trim()).isEqualTo(Long.toString(pid));

        Cli.Result down = cli.run("down");
        assertThat(down.exit()).as(down.toString()).isZero();
        assertThat(Procfs.session(pid)).isEmpty();
        await().atMost(TestTimes.SHORT).until(() -> daemonPid().isEmpty());
        assertThat(cli.run("status", "--json").out().trim()).isEqualTo("[]");
    }

    @Test
    void afterKill9OfTheDaemonTheNextOneAdoptsTheServiceWithoutRestartingIt() throws IOException {
        writeConfig("services:\n  app:\n    command: " + sh("exec sleep 1000") + "\n");
        assertThat(cli.run("up").exit()).isZero();
        long pid = service("app").path("pid").asLong();
        long daemon = daemonPid().orElseThrow();

        ProcessHandle.of(daemon).orElseThrow().destroyForcibly();
        await().atMost(TestTimes.SHORT).until(() -> ProcessHandle.of(daemon).isEmpty());
        assertThat(ProcessHandle.of(pid)).as("the app outlives the daemon").isPresent();

        JsonNode app = service("app"); // 'status' starts a new daemon, which adopts
        assertThat(app.path("pid").asLong()).isEqualTo(pid);
        assertThat(app.path("restarts").asInt()).isZero();
        assertThat(daemonPid().orElseThrow()).isNotEqualTo(daemon);

        ProcessHandle.of(pid).orElseThrow().destroyForcibly(); // the new daemon supervises it
        await().atMost(TestTimes.APP).untilAsserted(() -> {
            JsonNode now = service("app");
            assertThat(now.path("pid").asLong()).isNotIn(0L, pid);
            assertThat(now.path("restarts").asInt()).isEqualTo(1);
        });
    }

    @Test
    void aConfigErrorNamesTheSpotAndChangesNothing() throws IOException {
        writeConfig("services:\n  app:\n    command: " + sh("exec sleep 1000") + "\n");
        assertThat(cli.run("up").exit()).isZero();
        long pid = service("app").path("pid").asLong();

        writeConfig("services:\n  app:\n    command: " + sh("exec sleep 999") + "\n    restrat: { policy: never }\n");
        Cli.Result bad = cli.run("up");

        assertThat(bad.exit()).isEqualTo(2);
        assertThat(bad.err())
                .contains("lifeline.yaml:4:")
                .contains("services.app.restrat")
                .contains("did you mean 'restart'?");
        assertThat(bad.err().lines().filter(l -> l.startsWith("lifeline:")).count())
                .isEqualTo(1);
        assertThat(service("app").path("pid").asLong())
                .as("nothing was applied")
                .isEqualTo(pid);
    }

    @Test
    void startOfARunningServiceIsANoOpAndStopLeavesNothing() throws IOException {
        writeConfig("services:\n  app:\n    command: " + sh("sleep 1000 & exec sleep 1000") + "\n");
        assertThat(cli.run("up").exit()).isZero();
        long pid = service("app").path("pid").asLong();

        Cli.Result again = cli.run("start", "app");
        assertThat(again.exit()).isZero();
        assertThat(again.out()).contains("already running");
        assertThat(service("app").path("pid").asLong()).isEqualTo(pid);

        Cli.Result stop = cli.run("stop", "app");
        assertThat(stop.exit()).as(stop.toString()).isZero();
        assertThat(Procfs.session(pid)).isEmpty();
        assertThat(service("app").path("state").asText()).isEqualTo("stopped");
        assertThat(cli.run("start", "app").exit()).isZero();
        assertThat(service("app").path("state").asText()).isEqualTo("ready");
    }

    @Test
    void theControlSocketIsPrivateToItsOwner() throws IOException {
        writeConfig("services:\n  app:\n    command: " + sh("exec sleep 1000") + "\n");
        assertThat(cli.run("up").exit()).isZero();
        service("app");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(cli.home.resolve("lifeline.sock"))))
                .isEqualTo("rw-------");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(cli.home)))
                .isEqualTo("rwx------");
    }

    @Test
    void logsPrintsTheServiceOutput() throws IOException {
        writeConfig("services:\n  app:\n    command: " + sh("echo first line; echo second line; exec sleep 1000")
                + "\n    ready: { log: second }\n");
        assertThat(cli.run("up").exit()).isZero();
        service("app");
        Cli.Result logs = cli.run("logs", "app", "-n", "1");
        assertThat(logs.exit()).isZero();
        assertThat(logs.out()).contains("second line").doesNotContain("first line");
        Cli.Result missing = cli.run("logs", "nope");
        assertThat(missing.exit()).isEqualTo(1);
        assertThat(missing.err()).contains("no log for 'nope'").contains("services with logs: app");
    }

    @Test
    void theDemoRunsUnderSupervisionAndIsReady() throws IOException {
        int port = freePort();
        Cli.Result demo = cli.run("demo", "--port", Integer.toString(port), "--load-seconds", "1");
        assertThat(demo.exit()).as(demo.toString()).isZero();
        assertThat(demo.out()).containsPattern("demo\\s+ready\\s+on :" + port);
        assertThat(service("demo").path("state").asText()).isEqualTo("ready");
        assertThat(Procfs.read(service("demo").path("pid").asLong())).isPresent();
        if (Files.isExecutable(Path.of("/usr/sbin/sshd"))) {
            // The demo's tunnel: through a private sshd, hosted by the daemon, answering HTTP.
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("tunnel\\s+up\\s+127\\.0\\.0\\.1:(\\d+)")
                    .matcher(demo.out());
            assertThat(m.find()).as(demo.out()).isTrue();
            java.net.HttpURLConnection c = (java.net.HttpURLConnection)
                    new java.net.URL("http://127.0.0.1:" + m.group(1) + "/healthz").openConnection();
            assertThat(c.getResponseCode()).isEqualTo(200);
        } else {
            assertThat(demo.out()).contains("tunnel     skipped: OpenSSH's server is not installed");
        }
    }

    @Test
    void aCrashReachesTheConfiguredWebhookThroughTheDaemon() throws Exception {
        try (dev.lifeline.testing.WebhookReceiver hook = new dev.lifeline.testing.WebhookReceiver()) {
            Path marker = tmp.resolve("crashed-once");
            writeConfig("services:\n  app:\n    command: "
                    + sh("if [ -e " + marker + " ]; then exec sleep 1000; fi; touch " + marker + "; sleep 0.5; exit 9")
                    + "\n    ready: { log: never, timeout: 1m }\nnotify:\n  - webhook: " + hook.uri("/hook")
                    + "\n    min-interval: 100ms\n");
            cli.run("up", "--no-wait");
            await().atMost(TestTimes.APP).until(() -> hook.bodies().stream().anyMatch(b -> b.contains("crashed")));
            assertThat(String.join("\n", hook.bodies())).contains("app").contains("exited with code 9");
            service("app");
        }
    }
}
