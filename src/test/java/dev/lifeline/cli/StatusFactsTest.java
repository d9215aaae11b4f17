package dev.lifeline.cli;

import static dev.lifeline.testing.Services.sh;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lifeline.testing.TestTimes;
import java.nio.file.Path;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code status --json} carries what the dashboard and {@code /metrics} show of a service: the
 * CPU time of its whole tree, children that already exited included, and when its run started —
 * a real daemon and a real service.
 */
class StatusFactsTest {
    @TempDir
    Path tmp;

    @RegisterExtension
    final DaemonCli cli = DaemonCli.in(() -> tmp);

    @Test
    void statusCountsTheCpuTimeOfChildrenThatExitedAndSaysWhenTheRunStarted() throws Exception {
        // a child burns about a second of CPU and exits; then only an idle sleep is left
        String work = "i=0; while [ $i -lt 1500000 ]; do i=$((i+1)); done";
        Path app = cli.project(
                "app",
                "services:\n  busy:\n    command: " + sh("sh -c '" + work + "'; touch done; exec sleep 1000") + "\n");
        long before = Instant.now().getEpochSecond();
        cli.ok(app, "up");
        await().atMost(TestTimes.APP).until(() -> java.nio.file.Files.exists(app.resolve("done")));
        JsonNode s = cli.services(app).get("busy");
        assertThat(s.path("cpuSeconds").asDouble())
                .as("the exited child's CPU time counts: " + s)
                .isGreaterThan(0.3);
        assertThat(s.path("startTimeSeconds").asLong())
                .as("when this run started: " + s)
                .isBetween(before - 1, Instant.now().getEpochSecond());
        assertThat(s.path("uptimeSeconds").asLong())
                .isCloseTo(
                        Instant.now().getEpochSecond()
                                - s.path("startTimeSeconds").asLong(),
                        org.assertj.core.data.Offset.offset(2L));

        cli.ok(app, "stop", "busy");
        JsonNode stopped = cli.services(app).get("busy");
        assertThat(stopped.path("cpuSeconds").asDouble()).isZero();
        assertThat(stopped.path("startTimeSeconds").asLong()).as("no run").isZero();
    }

    @Test
    void backupStatusCarriesTheLagTheNewestSnapshotAndTheRetention() throws Exception {
        Path outputs = java.nio.file.Files.createDirectories(tmp.resolve("outputs"));
        Path repo = tmp.resolve("repo");
        Path app = cli.backedUpApp(outputs, repo, "  retention: { hourly: 24, daily: 14 }\n");
        cli.ok(app, "up");
        dev.lifeline.daemon.DaemonClient daemon = cli.client();
        JsonNode before = daemon.call("backup.status", java.util.Map.of()).get(0);
        assertThat(before.path("retention").asText()).isEqualTo("hourly 24, daily 14");
        assertThat(before.path("lagSeconds").isNull())
                .as("nothing stored yet: " + before)
                .isTrue();
        assertThat(before.path("lastSnapshotId").isNull()).isTrue();
        assertThat(before.path("remote").asText()).isEmpty();

        java.nio.file.Files.write(outputs.resolve("a.bin"), new byte[1000]);
        await().atMost(TestTimes.SHORT)
                .until(() -> daemon.call("backup.status", java.util.Map.of())
                        .get(0)
                        .path("lagSeconds")
                        .isNumber());
        JsonNode stored = daemon.call("backup.status", java.util.Map.of()).get(0);
        assertThat(stored.path("lagSeconds").asDouble()).as(stored.toString()).isBetween(0.0, 5.0);
        assertThat(Instant.parse(stored.path("lastStoredAt").asText()))
                .isBetween(Instant.now().minusSeconds(10), Instant.now());

        // 'lifeline backup now' cuts a snapshot without the daemon: status names it at once
        cli.ok(app, "backup", "now");
        JsonNode snap = daemon.call("backup.status", java.util.Map.of()).get(0);
        DaemonCli.Result list = cli.run(app, "backup", "snapshots", "--json");
        JsonNode snapshots = new com.fasterxml.jackson.databind.ObjectMapper().readTree(list.out());
        assertThat(snap.path("lastSnapshotId").asText())
                .as(snap.toString())
                .isEqualTo(snapshots.get(snapshots.size() - 1).path("id").asText());
        assertThat(snap.path("lastSnapshotAt").isTextual()).isTrue();
    }
    /** The cells of a service's row of the plain {@code status} table, by column header. */
    static java.util.Map<String, String> row(String table, String service) {
        String[] lines = table.split("\n");
        for (int i = 0; i < lines.length; i++) {
            if (lines[i].startsWith("NAME ")) {
                String[] header = lines[i].split(" {2,}");
                for (int j = i + 1; j < lines.length; j++) {
                    String[] cells = lines[j].split(" {2,}");
                    if (cells[0].equals(service)) {
                        assertThat(cells).as(lines[j]).hasSameSizeAs(header);
                        java.util.Map<String, String> out = new java.util.HashMap<>();
                        for (int k = 0; k < header.length; k++) {
                            out.put(header[k], cells[k]);
                        }
                        return out;
                    }
                }
            }
        }
        throw new AssertionError("no row for " + service + " in\n" + table);
    }

    static double percent(String cell) {
        assertThat(cell).endsWith("%");
        return Double.parseDouble(cell.substring(0, cell.length() - 1));
    }

    @Test
    void theStatusTableShowsEachTreesCpuOverTheLastIntervalAndTheBackupLineItsLag() throws Exception {
        Path outputs = java.nio.file.Files.createDirectories(tmp.resolve("outputs"));
        Path repo = tmp.resolve("repo");
        // 'spin' keeps a core busy; 'web' worked a second at its start, then only sleeps
        String work = "i=0; while [ $i -lt 1500000 ]; do i=$((i+1)); done";
        Path app = cli.project(
                "app",
                "services:\n" + DaemonCli.service("spin", "while :; do :; done")
                        + DaemonCli.service("web", "sh -c '" + work + "'; touch done; exec sleep 1000")
                        + "    outputs: " + outputs + "\nbackup:\n  repository: " + repo + "\n");
        cli.ok(app, "up");
        java.nio.file.Files.write(outputs.resolve("a.png"), new byte[1000]);
        await().atMost(TestTimes.APP).until(() -> java.nio.file.Files.exists(app.resolve("done")));

        // looks at least a second apart: the figure is over the last interval, not since the start
        await().atMost(TestTimes.scaled(java.time.Duration.ofSeconds(20)))
                .pollInterval(java.time.Duration.ofMillis(1200))
                .untilAsserted(() -> {
                    String table = cli.ok(app, "status").out();
                    // a whole core alone; a few percent on a machine shared by tens of runnable processes
                    assertThat(percent(row(table, "spin").get("CPU"))).as(table).isGreaterThan(1.0);
                    assertThat(row(table, "web").get("CPU")).as(table).isEqualTo("0.0%");
                    assertThat(table).contains("backup " + repo + ": every file seen is stored, lag ");
                });
        String table = cli.ok(app, "status").out();
        JsonNode web = cli.status(app).get("web");
        assertThat(web.path("cpuSeconds").asDouble())
                .as("its run averages more than the idle interval shows: " + web)
                .isGreaterThan(0.3);
        assertThat(web.path("cpuLoadSeconds").asDouble()).isBetween(1.0, 60.0);
        for (String line : table.split("\n")) {
            if (!line.startsWith("backup ")) {
                assertThat(line.length()).as("fits 80 columns: " + line).isLessThanOrEqualTo(80);
            }
        }
        String lag = table.substring(table.indexOf(", lag ") + 6).split("\n")[0];
        assertThat(lag).as(table).matches("\\d+(\\.\\d)?s");
    }
}
