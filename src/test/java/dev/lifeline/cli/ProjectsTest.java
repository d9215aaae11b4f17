package dev.lifeline.cli;

import static dev.lifeline.cli.DaemonCli.service;
import static dev.lifeline.testing.Services.freePort;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lifeline.process.Procfs;
import dev.lifeline.testing.TestTimes;
import dev.lifeline.testing.WebhookReceiver;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Several projects, one daemon: each {@code lifeline.yaml} is a project whose services {@code up},
 * {@code down} and {@code status} act on, as docker compose does; real CLI processes, a real
 * background daemon, real services.
 */
class ProjectsTest {
    @TempDir
    Path tmp;

    @RegisterExtension
    final DaemonCli cli = DaemonCli.in(() -> tmp);

    @Test
    void upInASecondFolderLeavesTheFirstProjectAndItsWebhookRunning() throws Exception {
        try (WebhookReceiver hook = new WebhookReceiver()) {
            Path a = cli.project(
                    "a",
                    "services:\n" + service("alpha", "exec sleep 1000") + "notify:\n  - webhook: " + hook.uri("/a")
                            + "\n    min-interval: 100ms\n");
            Path b = cli.project("b", "services:\n" + service("beta", "exec sleep 1000"));
            DaemonCli.Result upA = cli.run(a, "up");
            assertThat(upA.exit()).as(upA.toString()).isZero();
            long alpha = cli.pid(a, "alpha");

            DaemonCli.Result upB = cli.run(b, "up");

            assertThat(upB.exit()).as(upB.toString()).isZero();
            assertThat(upB.out()).contains("beta").doesNotContain("alpha");
            assertThat(Procfs.read(alpha)).as("alpha's process lives").isPresent();
            Map<String, JsonNode> all = cli.services(b);
            assertThat(all.get("alpha").path("pid").asLong())
                    .as("alpha keeps running, untouched")
                    .isEqualTo(alpha);
            assertThat(all.get("alpha").path("project").asText())
                    .isEqualTo(a.resolve("lifeline.yaml").toString());
            assertThat(all.get("beta").path("state").asText()).isEqualTo("ready");
            assertThat(all.get("beta").path("project").asText())
                    .isEqualTo(b.resolve("lifeline.yaml").toString());

            // status in each folder shows that folder's services, and says others run
            DaemonCli.Result inA = cli.run(a, "status");
            assertThat(inA.out()).contains("alpha").doesNotContain("beta").contains("1 service of 1 other project");
            assertThat(cli.run(a, "status", "--all").out()).contains("alpha").contains("beta");
            DaemonCli.Result inB = cli.run(b, "status", "--json");
            JsonNode rows = new ObjectMapper().readTree(inB.out());
            assertThat(rows).hasSize(1);
            assertThat(rows.get(0).path("name").asText()).isEqualTo("beta");

            // project a's webhook still hears about a's service after b's up
            ProcessHandle.of(alpha).orElseThrow().destroyForcibly();
            await().atMost(TestTimes.APP).until(() -> hook.bodies().stream().anyMatch(x -> x.contains("alpha")));
        }
    }

    @Test
    void aSecondFileWithTheSameServiceNameOrPortIsRefusedWithBothFileNamesAndChangesNothing() throws Exception {
        int port = freePort();
        String ready = "    ready: { log: listening }\n";
        Path a = cli.project(
                "a",
                "services:\n" + service("web", "echo listening; exec sleep 1000") + "    port: " + port + "\n" + ready);
        Path sameName = cli.project("b", "services:\n" + service("web", "exec sleep 999"));
        Path samePort = cli.project(
                "c",
                "services:\n" + service("other", "echo listening; exec sleep 998") + "    port: " + port + "\n" + ready
                        + service("extra", "exec sleep 997"));
        assertThat(cli.run(a, "up").exit()).isZero();
        long web = cli.pid(a, "web");

        DaemonCli.Result name = cli.run(sameName, "up");
        DaemonCli.Result portClash = cli.run(samePort, "up");

        assertThat(name.exit()).as(name.toString()).isEqualTo(1);
        assertThat(name.err())
                .contains("service 'web'")
                .contains(a.resolve("lifeline.yaml").toString())
                .contains(sameName.resolve("lifeline.yaml").toString());
        assertThat(portClash.exit()).as(portClash.toString()).isEqualTo(1);
        assertThat(portClash.err())
                .contains("port " + port)
                .contains(a.resolve("lifeline.yaml").toString())
                .contains(samePort.resolve("lifeline.yaml").toString());
        Map<String, JsonNode> all = cli.services(a);
        assertThat(all.keySet()).as("nothing of the refused files started").containsExactly("web");
        assertThat(all.get("web").path("pid").asLong()).isEqualTo(web);
        assertThat(Procfs.read(web)).isPresent();
    }

    @Test
    void downStopsOnlyThisFolderAndTheDaemonGoesWithTheLastProject() throws Exception {
        Path a = cli.project("a", "services:\n" + service("alpha", "exec sleep 1000"));
        Path b = cli.project("b", "services:\n" + service("beta", "exec sleep 1000"));
        assertThat(cli.run(a, "up").exit()).isZero();
        assertThat(cli.run(b, "up").exit()).isZero();
        long alpha = cli.pid(a, "alpha");
        long beta = cli.pid(b, "beta");
        long daemon = cli.daemonPid().orElseThrow();

        DaemonCli.Result downB = cli.run(b, "down");

        assertThat(downB.exit()).as(downB.toString()).isZero();
        assertThat(downB.out()).contains("stopped 1 service of").contains("keeps running");
        assertThat(Procfs.session(beta)).as("beta's tree is gone").isEmpty();
        assertThat(Procfs.read(alpha)).as("alpha runs on").isPresent();
        assertThat(cli.services(a).keySet()).containsExactly("alpha");
        assertThat(cli.daemonPid()).contains(daemon);

        // down in a folder whose file is not applied changes nothing
        DaemonCli.Result again = cli.run(b, "down");
        assertThat(again.out()).contains("nothing to do").contains("down --all");
        assertThat(Procfs.read(alpha)).isPresent();

        DaemonCli.Result downA = cli.run(a, "down");
        assertThat(downA.out()).contains("stopped 1 service and the daemon");
        assertThat(Procfs.session(alpha)).isEmpty();
        await().atMost(TestTimes.SHORT).until(() -> ProcessHandle.of(daemon).isEmpty());
    }

    @Test
    void aServiceDroppedFromTheFileIsReportedAtOnceEvenWhenTheRestFailsToStart() throws Exception {
        Path a = cli.project("a", "services:\n" + service("old", "exec sleep 1000"));
        assertThat(cli.run(a, "up").exit()).isZero();
        long old = cli.pid(a, "old");
        java.nio.file.Files.writeString(
                a.resolve("lifeline.yaml"),
                "services:\n" + service("broken", "sleep 1; exit 3")
                        + "    ready: { log: never-printed, timeout: 1m }\n    restart: { policy: never }\n");

        DaemonCli.Result up = cli.run(a, "up");

        assertThat(up.exit()).as(up.toString()).isEqualTo(1);
        assertThat(up.out()).contains("old   stopped: no longer in " + a.resolve("lifeline.yaml"));
        assertThat(Procfs.session(old)).isEmpty();
    }

    @Test
    void aServiceDroppedFromTheFileIsStoppedAndForgottenWhileAnotherProjectsServiceRunsOn() throws Exception {
        Path a = cli.project(
                "a",
                "services:\n" + service("keep", "exec sleep 1000")
                        + service("old", "echo old-says-hi; exec sleep 1000"));
        Path b = cli.project("b", "services:\n" + service("other", "exec sleep 1000"));
        assertThat(cli.run(a, "up").exit()).isZero();
        assertThat(cli.run(b, "up").exit()).isZero();
        long old = cli.pid(a, "old");
        long other = cli.pid(b, "other");
        long daemon = cli.daemonPid().orElseThrow();
        Path stateFile = cli.home.resolve("run/old.json");
        Path log = cli.home.resolve("logs/old.log");
        assertThat(stateFile).exists();
        assertThat(serviceThreads(daemon)).as("one thread per service").isEqualTo(3);
        Files.writeString(a.resolve("lifeline.yaml"), "services:\n" + service("keep", "exec sleep 1000"));

        DaemonCli.Result up = cli.run(a, "up");

        assertThat(up.exit()).as(up.toString()).isZero();
        assertThat(up.out()).contains("old   stopped: no longer in " + a.resolve("lifeline.yaml"));
        assertThat(Procfs.session(old)).as("old's tree is gone").isEmpty();
        Map<String, JsonNode> all = cli.services(a);
        assertThat(all.keySet()).containsExactlyInAnyOrder("keep", "other");
        assertThat(all.get("other").path("pid").asLong())
                .as("the other project's service is untouched")
                .isEqualTo(other);
        assertThat(cli.run(a, "status").out()).doesNotContain("old");
        assertThat(stateFile).as("its state file is forgotten").doesNotExist();
        assertThat(cli.home.resolve("run/old.pid")).doesNotExist();
        assertThat(log).as("its log is kept").content().contains("old-says-hi");
        // nothing of it is left in the daemon: no thread, and 'down --all' does not count it
        await().atMost(TestTimes.SHORT)
                .untilAsserted(() -> assertThat(serviceThreads(daemon)).isEqualTo(2));
        // nor of a project taken down
        assertThat(cli.run(b, "down").exit()).isZero();
        await().atMost(TestTimes.SHORT)
                .untilAsserted(() -> assertThat(serviceThreads(daemon)).isEqualTo(1));
        DaemonCli.Result down = cli.run(tmp, "down", "--all");
        assertThat(down.out()).contains("stopped 1 service and the daemon");
    }

    /** The daemon's service threads ({@code lifeline-service-<name>}, which Linux shortens to 15 characters). */
    private static long serviceThreads(long pid) throws java.io.IOException {
        try (var tasks = Files.list(Path.of("/proc/" + pid + "/task"))) {
            return tasks.filter(t -> {
                        try {
                            return Files.readString(t.resolve("comm")).strip().equals("lifeline-servic");
                        } catch (java.io.IOException e) {
                            return false; // the thread ended
                        }
                    })
                    .count();
        }
    }

    @Test
    void downAllStopsEveryProject() throws Exception {
        Path a = cli.project("a", "services:\n" + service("alpha", "exec sleep 1000"));
        Path b = cli.project("b", "services:\n" + service("beta", "exec sleep 1000"));
        assertThat(cli.run(a, "up").exit()).isZero();
        assertThat(cli.run(b, "up").exit()).isZero();
        long alpha = cli.pid(a, "alpha");
        long beta = cli.pid(b, "beta");

        DaemonCli.Result down = cli.run(tmp, "down", "--all");

        assertThat(down.exit()).as(down.toString()).isZero();
        assertThat(down.out()).contains("stopped 2 services and the daemon");
        assertThat(Procfs.session(alpha)).isEmpty();
        assertThat(Procfs.session(beta)).isEmpty();
    }

    @Test
    void outsideAProjectFolderStatusAndDownCoverEveryProject() throws Exception {
        Path a = cli.project("a", "services:\n" + service("alpha", "exec sleep 1000"));
        Path b = cli.project("b", "services:\n" + service("beta", "exec sleep 1000"));
        Path elsewhere = java.nio.file.Files.createDirectories(tmp.resolve("elsewhere"));
        assertThat(cli.run(a, "up").exit()).isZero();
        assertThat(cli.run(b, "up").exit()).isZero();
        long alpha = cli.pid(a, "alpha");
        long beta = cli.pid(b, "beta");

        DaemonCli.Result status = cli.run(elsewhere, "status");
        assertThat(status.out())
                .contains("project " + a.resolve("lifeline.yaml"))
                .contains("project " + b.resolve("lifeline.yaml"))
                .contains("alpha")
                .contains("beta");

        DaemonCli.Result down = cli.run(elsewhere, "down");
        assertThat(down.out()).contains("stopped 2 services and the daemon");
        assertThat(Procfs.session(alpha)).isEmpty();
        assertThat(Procfs.session(beta)).isEmpty();
    }

    @Test
    void aRestartedDaemonAdoptsEveryProject() throws Exception {
        Path a = cli.project("a", "services:\n" + service("alpha", "exec sleep 1000"));
        Path b = cli.project("b", "services:\n" + service("beta", "exec sleep 1000"));
        assertThat(cli.run(a, "up").exit()).isZero();
        assertThat(cli.run(b, "up").exit()).isZero();
        long alpha = cli.pid(a, "alpha");
        long beta = cli.pid(b, "beta");
        long daemon = cli.daemonPid().orElseThrow();
        ProcessHandle.of(daemon).orElseThrow().destroyForcibly();
        await().atMost(TestTimes.SHORT).until(() -> ProcessHandle.of(daemon).isEmpty());

        Map<String, JsonNode> all = cli.services(a); // starts a new daemon, which adopts both projects

        assertThat(all.get("alpha").path("pid").asLong()).isEqualTo(alpha);
        assertThat(all.get("beta").path("pid").asLong()).isEqualTo(beta);
        assertThat(all.get("beta").path("restarts").asInt()).isZero();
    }

    @Test
    void anAppliedJsonOfTheSingleProjectShapeIsAdoptedAfterAnUpgrade() throws Exception {
        Path a = cli.project("a", "services:\n" + service("alpha", "exec sleep 1000"));
        assertThat(cli.run(a, "up").exit()).isZero();
        long alpha = cli.pid(a, "alpha");
        long daemon = cli.daemonPid().orElseThrow();
        ProcessHandle.of(daemon).orElseThrow().destroyForcibly();
        await().atMost(TestTimes.SHORT).until(() -> ProcessHandle.of(daemon).isEmpty());
        // what earlier versions wrote: one config, no "projects"
        Path file = a.resolve("lifeline.yaml");
        Files.writeString(
                cli.home.resolve("applied.json"),
                new ObjectMapper()
                        .createObjectNode()
                        .put("path", file.toString())
                        .put("text", Files.readString(file))
                        .toString());

        assertThat(cli.pid(a, "alpha")).isEqualTo(alpha);
    }

    @Test
    void statusShowsTheLoadingProgressLineWhileAServiceStarts() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(
                java.util.Arrays.stream(dev.lifeline.supervisor.ServiceStatus.class.getRecordComponents())
                        .anyMatch(c -> c.getName().equals("progress")),
                "ServiceStatus has no progress component yet (contract C3, from the supervisor)");
        Path a = cli.project(
                "a",
                "services:\n" + service("model", "echo loading weights 42%; exec sleep 1000")
                        + "    ready: { log: never-printed, timeout: 5m }\n");
        assertThat(cli.run(a, "up", "--no-wait").exit()).isZero();
        cli.pid(a, "model");

        await().atMost(TestTimes.SHORT)
                .untilAsserted(() -> assertThat(cli.run(a, "status").out())
                        .containsPattern("model\\s+starting")
                        .contains("└ loading weights 42%"));
    }

    @Test
    void afterDownStatusSaysNothingRunsAndStartsNoDaemon() throws Exception {
        Path a = cli.project("a", "services:\n" + service("alpha", "exec sleep 1000"));
        assertThat(cli.run(a, "up").exit()).isZero();
        int closed = freePort();
        // a tunnel the daemon hosts (to a closed port: it keeps retrying); ending it at 'down' used to
        // leave an empty tunnels.json behind, which made the next 'status' start a daemon
        DaemonCli.Result tunnel = cli.run(
                a,
                "tunnel",
                "--",
                "ssh",
                "-N",
                "-L",
                "127.0.0.1:" + freePort() + ":127.0.0.1:1",
                "-p",
                Integer.toString(closed),
                "nobody@127.0.0.1");
        assertThat(tunnel.err()).doesNotContain("unexpected");
        long daemon = cli.daemonPid().orElseThrow();
        assertThat(cli.run(a, "down").exit()).isZero();
        await().atMost(TestTimes.SHORT).until(() -> ProcessHandle.of(daemon).isEmpty());

        DaemonCli.Result status = cli.run(a, "status");

        assertThat(status.exit()).isZero();
        assertThat(status.out()).contains("nothing runs").doesNotContain("started a new one");
        assertThat(cli.daemons()).as("no daemon was started").isEmpty();
        assertThat(cli.run(a, "status", "--json").out().trim()).isEqualTo("[]");
    }
}
