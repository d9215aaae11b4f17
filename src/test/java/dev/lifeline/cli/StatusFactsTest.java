package dev.lifeline.cli;

import static dev.lifeline.testing.Services.sh;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lifeline.testing.TestTimes;
import java.nio.file.Path;
import java.time.Instant;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code status --json} carries what the dashboard and {@code /metrics} show of a service: the
 * CPU time of its whole tree, children that already exited included, and when its run started —
 * a real daemon and a real service.
 */
class StatusFactsTest {
    @TempDir
    Path tmp;

    DaemonCli cli;

    @BeforeEach
    void setUp() throws Exception {
        cli = new DaemonCli(tmp);
    }

    @AfterEach
    void tearDown() throws Exception {
        cli.close();
    }

    @Test
    void statusCountsTheCpuTimeOfChildrenThatExitedAndSaysWhenTheRunStarted() throws Exception {
        // a child burns about a second of CPU and exits; then only an idle sleep is left
        String work = "i=0; while [ $i -lt 1500000 ]; do i=$((i+1)); done";
        Path app = cli.project(
                "app",
                "services:\n  busy:\n    command: " + sh("sh -c '" + work + "'; touch done; exec sleep 1000") + "\n");
        long before = Instant.now().getEpochSecond();
        DaemonCli.Result up = cli.run(app, "up");
        assertThat(up.exit()).as(up.toString()).isZero();
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

        DaemonCli.Result stop = cli.run(app, "stop", "busy");
        assertThat(stop.exit()).as(stop.toString()).isZero();
        JsonNode stopped = cli.services(app).get("busy");
        assertThat(stopped.path("cpuSeconds").asDouble()).isZero();
        assertThat(stopped.path("startTimeSeconds").asLong()).as("no run").isZero();
    }
}
