package dev.lifeline.cli;

import static dev.lifeline.testing.OpsTimeouts.SOON;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code logs}, {@code errors} and {@code doctor} as a real `lifeline` process with its own LIFELINE_HOME. */
class LogCommandsTest {
    record Result(int exit, String out, String err) {}

    @TempDir
    Path tmp;

    private Path home;
    private Path log;
    private final List<Process> running = new ArrayList<>();
    private final List<String> runs = new ArrayList<>();

    @BeforeEach
    void dirs() throws IOException {
        home = Files.createDirectories(tmp.resolve("home"));
        Files.createDirectories(home.resolve("logs"));
        Files.createDirectories(home.resolve("run"));
        log = home.resolve("logs/web.log");
    }

    @AfterEach
    void stop() {
        running.forEach(Process::destroyForcibly);
    }

    private ProcessBuilder lifelineCommand(String... args) {
        List<String> argv = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:TieredStopAtLevel=1",
                "-XX:+UseSerialGC",
                "-cp",
                System.getProperty("java.class.path"),
                "dev.lifeline.cli.Main"));
        argv.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(argv).directory(tmp.toFile());
        pb.environment().put("LIFELINE_HOME", home.toString());
        pb.environment().remove("LIFELINE_LAUNCHER");
        return pb;
    }

    private Result lifeline(String... args) throws Exception {
        Path out = tmp.resolve("out.txt");
        Path err = tmp.resolve("err.txt");
        Process p = lifelineCommand(args)
                .redirectOutput(out.toFile())
                .redirectError(err.toFile())
                .start();
        running.add(p);
        if (!p.waitFor(SOON.toMillis() * 3, TimeUnit.MILLISECONDS)) {
            throw new AssertionError("lifeline " + String.join(" ", args) + " did not finish");
        }
        return new Result(p.exitValue(), Files.readString(out), Files.readString(err));
    }

    private void append(Path file, String text) throws IOException {
        Files.writeString(file, text, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    }

    /** Appends one run's output and records the run as the supervisor does (contract C1). */
    private void run(Instant started, Instant ended, String output) throws IOException {
        long offset = Files.exists(log) ? Files.size(log) : 0;
        append(log, output);
        runs.add("{\"startedAt\":%d,\"offset\":%d,\"pid\":%d,\"endedAt\":%d,\"exitCode\":%s,\"how\":\"%s\"}"
                .formatted(
                        started.toEpochMilli(),
                        offset,
                        100 + runs.size(),
                        ended == null ? 0 : ended.toEpochMilli(),
                        ended == null ? "null" : "1",
                        ended == null ? "" : "crashed"));
    }

    private void state(String state, String reason) throws IOException {
        Files.writeString(
                home.resolve("run/web.json"),
                "{\"pid\":0,\"startTicks\":0,\"command\":\"\",\"wantRunning\":false,\"state\":\"" + state
                        + "\",\"reason\":\"" + reason + "\",\"runs\":[" + String.join(",", runs) + "]}\n");
    }

    private static final String UVICORN_CRASH = """
            INFO:     Started server process [4242]
            Traceback (most recent call last):
              File "/app/main.py", line 3, in <module>
            RuntimeError: CUDA error: out of memory
            """;

    @Test
    void followingLosesNoLineAcrossARotationByRename() throws Exception {
        append(log, "before\n");
        Path out = tmp.resolve("follow.txt");
        Process p = lifelineCommand("logs", "web", "-f", "-n", "1")
                .redirectOutput(out.toFile())
                .redirectError(tmp.resolve("follow-err.txt").toFile())
                .start();
        running.add(p);
        await().atMost(SOON).until(() -> Files.readString(out).contains("before"));

        try (OutputStream app = Files.newOutputStream(log, StandardOpenOption.APPEND)) {
            for (int i = 0; i < 300; i++) {
                app.write(("line " + i + "\n").getBytes(StandardCharsets.UTF_8));
            }
            // the supervisor rotates: renames the file, starts a new one; the app's last writes still land in the old
            Files.move(log, log.resolveSibling("web.log.1"));
            append(log, "");
            for (int i = 300; i < 310; i++) {
                app.write(("line " + i + "\n").getBytes(StandardCharsets.UTF_8));
            }
        }
        // then the app writes to the new file, more than the old one held (a reader by offset would skip it)
        StringBuilder more = new StringBuilder();
        for (int i = 310; i < 700; i++) {
            more.append("line ").append(i).append(" ").append("x".repeat(20)).append('\n');
        }
        append(log, more.toString());

        List<String> expected = IntStream.range(0, 700)
                .mapToObj(i -> "line " + i + (i >= 310 ? " " + "x".repeat(20) : ""))
                .toList();
        await().atMost(SOON)
                .untilAsserted(() -> assertThat(Files.readAllLines(out))
                        .filteredOn(l -> l.startsWith("line "))
                        .containsExactlyElementsOf(expected));
    }

    @Test
    void errorsSinceAnHourFindsTheCrashesOfAnAppWithoutTimestampsAndSaysTheyAreEstimated() throws Exception {
        Instant now = Instant.now();
        run(now.minus(Duration.ofHours(5)), now.minus(Duration.ofHours(5)).plusSeconds(3), UVICORN_CRASH);
        for (int i = 0; i < 4; i++) {
            Instant t = now.minus(Duration.ofMinutes(10 - i));
            run(t, t.plusSeconds(2), UVICORN_CRASH);
        }
        state("failed", "gave up after 4 restarts in 10m; last: exited with code 1");

        Result r = lifeline("errors", "web", "--since", "1h");
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).contains("total: 4 errors").contains("without a timestamp of their own");
        assertThat(r.out()).containsPattern("4×\\s+RuntimeError: CUDA error: out of memory");
        assertThat(r.out())
                .contains("known problems (the last run shows them):")
                .contains("CUDA out of memory");

        JsonNode all =
                new ObjectMapper().readTree(lifeline("errors", "web", "--json").out());
        assertThat(all.get("total").asInt()).isEqualTo(5);
        assertThat(all.get("inLastRun").asInt()).isEqualTo(1);
        assertThat(all.get("lastRun").get("number").asInt()).isEqualTo(5);
    }

    @Test
    void logsMarksWhereEachRunBeganAndCanShowOnlyTheLastOne() throws Exception {
        Instant now = Instant.now();
        run(now.minus(Duration.ofMinutes(9)), now.minus(Duration.ofMinutes(9)).plusSeconds(2), UVICORN_CRASH);
        run(now.minus(Duration.ofMinutes(1)), null, "INFO:     Started server process [5]\nloading 10%\rloading 99%\n");
        state("starting", "");

        Result r = lifeline("logs", "web");
        assertThat(r.exit()).as(r.err()).isZero();
        List<String> lines = r.out().lines().toList();
        assertThat(lines.get(0))
                .startsWith("── run 1: started ")
                .contains("pid 100")
                .contains("(crashed)");
        assertThat(lines)
                .filteredOn(l -> l.startsWith("── run 2: started "))
                .singleElement()
                .satisfies(l -> assertThat(l).contains("running"));
        assertThat(lines).endsWith("INFO:     Started server process [5]", "loading 99%");

        Result current = lifeline("logs", "web", "--run");
        assertThat(current.out().lines().toList())
                .containsExactly(
                        lines.stream()
                                .filter(l -> l.startsWith("── run 2"))
                                .findFirst()
                                .orElseThrow(),
                        "INFO:     Started server process [5]",
                        "loading 99%");
    }

    @Test
    void doctorExitsNonZeroForAServiceThatGaveUp() throws Exception {
        Files.writeString(tmp.resolve("lifeline.yaml"), "services:\n  web:\n    command: python3 app.py\n");
        run(Instant.now().minusSeconds(30), Instant.now().minusSeconds(29), UVICORN_CRASH);
        run(Instant.now().minusSeconds(20), Instant.now().minusSeconds(19), UVICORN_CRASH);
        state("failed", "gave up after 2 restarts in 10m; last: exited with code 1");
        Result r = lifeline("doctor", "web");
        assertThat(r.exit()).as(r.out() + r.err()).isEqualTo(1);
        assertThat(r.out())
                .containsPattern("FAIL\\s+web pid\\s+web failed: gave up after 2 restarts")
                .containsPattern("FAIL\\s+web known-problem\\s+CUDA out of memory")
                .doesNotContain("stopped on purpose");
    }

    @Test
    void followingWithSinceShowsNewLinesOfAnAppWithoutTimestamps() throws Exception {
        var local = java.time.format.DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss")
                .withZone(java.time.ZoneId.systemDefault());
        append(
                log,
                "ERROR:    old, written long ago\n" + local.format(Instant.now().minus(Duration.ofHours(2)))
                        + " INFO stamped two hours ago\n"
                        + local.format(Instant.now().minusSeconds(60))
                        + " ERROR a stamped one, a minute ago\n");
        Path out = tmp.resolve("follow.txt");
        Process p = lifelineCommand("logs", "web", "-f", "--since", "1h", "--level", "error")
                .redirectOutput(out.toFile())
                .redirectError(tmp.resolve("follow-err.txt").toFile())
                .start();
        running.add(p);
        // the history is printed after the follower opened the log: from here on no line is missed
        await().atMost(SOON).until(() -> Files.readString(out).contains("a stamped one"));
        append(log, "INFO:     not an error\nERROR:    Exception in ASGI application\nValueError: new\n");
        await().atMost(SOON)
                .untilAsserted(() -> assertThat(Files.readString(out))
                        .contains("ERROR:    Exception in ASGI application")
                        .doesNotContain("old, written long ago")
                        .doesNotContain("not an error"));
    }
}
