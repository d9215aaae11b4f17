package dev.lifeline.insight;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lifeline.core.Event;
import dev.lifeline.core.Json;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Logs of apps that print no timestamps (uvicorn, Gradio), read with the run records the
 * supervisor keeps in {@code run/<name>.json} (contract C1): each event in its run, and "when"
 * bounded by its run's start and the file's last change.
 */
class RunsInTheLogTest {
    private static final Instant NOW = Instant.parse("2026-11-21T12:30:00Z");
    private final LogInsight insight = new LogInsight(ZoneOffset.UTC, Clock.fixed(NOW, ZoneOffset.UTC));

    @TempDir
    Path dir;

    private final List<String> runs = new ArrayList<>();
    private Path log;

    private static final String UVICORN_CRASH = """
            INFO:     Started server process [4242]
            INFO:     Waiting for application startup.
            Traceback (most recent call last):
              File "/app/main.py", line 3, in <module>
                import xformers
            ModuleNotFoundError: No module named 'xformers'
            """;
    private static final String UVICORN_OK = """
            INFO:     Started server process [4343]
            INFO:     Uvicorn running on http://127.0.0.1:7860 (Press CTRL+C to quit)
            ERROR:    Exception in ASGI application
            Traceback (most recent call last):
              File "/app/main.py", line 9, in predict
            ValueError: bad image
            """;

    /** Appends one run's output to the log and records the run as the supervisor does. */
    private void run(Instant started, Instant ended, String how, String output) throws IOException {
        long offset = Files.exists(log) ? Files.size(log) : 0;
        Files.writeString(log, output, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        runs.add("{\"startedAt\":%d,\"offset\":%d,\"pid\":%d,\"endedAt\":%d,\"exitCode\":%s,\"how\":\"%s\"}"
                .formatted(
                        started.toEpochMilli(),
                        offset,
                        4000 + runs.size(),
                        ended == null ? 0 : ended.toEpochMilli(),
                        ended == null ? "null" : "1",
                        ended == null ? "" : how));
    }

    private ServiceRuns state(String state) throws IOException {
        Path f = dir.resolve("web.json");
        Files.writeString(
                f,
                "{\"pid\":1,\"startTicks\":1,\"state\":\"" + state + "\",\"reason\":\"r\",\"runs\":["
                        + String.join(",", runs) + "]}");
        return ServiceRuns.read(f);
    }

    private void touch(Path p, Instant t) throws IOException {
        Files.setLastModifiedTime(p, FileTime.from(t));
    }

    private static Instant ago(Duration d) {
        return NOW.minus(d);
    }

    @Test
    void sinceKeepsTheErrorsOfTheLatestRunOfAnAppThatPrintsNoTimestamps() throws IOException {
        log = dir.resolve("web.log");
        run(ago(Duration.ofHours(3)), ago(Duration.ofHours(3)).plusSeconds(4), "crashed", UVICORN_CRASH);
        run(ago(Duration.ofMinutes(20)), null, "", UVICORN_OK);
        touch(log, ago(Duration.ofMinutes(5)));
        ServiceRuns r = state("ready");

        LogFilter lastHour = LogFilter.parse("error", "1h", null, insight.clock(), insight.zone());
        List<LogEvent> got = insight.filter(log, r, lastHour);

        assertThat(got).singleElement().satisfies(e -> {
            assertThat(e.message()).isEqualTo("ValueError: bad image");
            assertThat(e.estimated()).isTrue();
            assertThat(e.time()).isEqualTo(ago(Duration.ofMinutes(20)));
            assertThat(e.notAfter()).isEqualTo(ago(Duration.ofMinutes(5)));
            assertThat(e.run()).map(ServiceRuns.Run::number).contains(2);
        });
        ErrorReport report = insight.errors(log, r, lastHour.since(), 5);
        assertThat(report.total()).isEqualTo(1);
        assertThat(report.estimated()).isEqualTo(1);
    }

    @Test
    void withoutRunRecordsSinceStillKeepsLinesWrittenSinceThen() throws IOException {
        log = dir.resolve("web.log");
        Files.writeString(log, UVICORN_OK);
        touch(log, ago(Duration.ofMinutes(5)));
        List<LogEvent> got = insight.filter(log, LogFilter.parse("error", "1h", null, insight.clock(), insight.zone()));
        assertThat(got).extracting(LogEvent::message).containsExactly("ValueError: bad image");
        assertThat(got.get(0).estimated()).isTrue();
        touch(log, ago(Duration.ofHours(2)));
        assertThat(insight.filter(log, LogFilter.parse("error", "1h", null, insight.clock(), insight.zone())))
                .isEmpty();
    }

    @Test
    void aKnownProblemTheLastRunNoLongerShowsIsHistory() throws IOException {
        log = dir.resolve("web.log");
        run(ago(Duration.ofHours(2)), ago(Duration.ofHours(2)).plusSeconds(3), "crashed", UVICORN_CRASH);
        run(ago(Duration.ofHours(1)), null, "", UVICORN_OK);
        touch(log, ago(Duration.ofMinutes(1)));
        ErrorReport r = insight.errors(log, state("ready"), Optional.empty(), 5);

        assertThat(r.total()).isEqualTo(2);
        assertThat(r.inLastRun()).isEqualTo(1);
        assertThat(r.lastRun()).map(ServiceRuns.Run::number).contains(2);
        assertThat(r.currentProblems()).isEmpty();
        assertThat(r.pastProblems()).singleElement().satisfies(p -> {
            assertThat(p.problem().id()).isEqualTo("missing-module");
            assertThat(p.inLastRun()).isZero();
        });
    }

    @Test
    void aKnownProblemTheLastRunShowsIsCurrent() throws IOException {
        log = dir.resolve("web.log");
        run(ago(Duration.ofHours(1)), null, "", UVICORN_OK);
        run(ago(Duration.ofMinutes(2)), ago(Duration.ofMinutes(2)).plusSeconds(3), "crashed", UVICORN_CRASH);
        ErrorReport r = insight.errors(log, state("failed"), Optional.empty(), 5);
        assertThat(r.currentProblems())
                .singleElement()
                .satisfies(p -> assertThat(p.problem().id()).isEqualTo("missing-module"));
    }

    @Test
    void aCrashLoopOfSixteenIsSixteenErrorsEachInItsRun() throws IOException {
        log = dir.resolve("web.log");
        for (int i = 0; i < 16; i++) {
            Instant t = ago(Duration.ofMinutes(16 - i));
            run(
                    t,
                    t.plusSeconds(2),
                    "crashed",
                    "Traceback (most recent call last):\n  File \"/app.py\", line 1\n"
                            + "RuntimeError: CUDA error: out of memory\n");
        }
        assertThat(insight.errors(log, Optional.empty(), 5).total()).isEqualTo(16); // without run records too
        ErrorReport r = insight.errors(log, state("failed"), Optional.empty(), 5);
        assertThat(r.total()).isEqualTo(16);
        assertThat(r.top()).singleElement().satisfies(m -> assertThat(m.count()).isEqualTo(16));
        assertThat(r.problems()).singleElement().satisfies(p -> {
            assertThat(p.count()).isEqualTo(16);
            assertThat(p.current()).isTrue();
        });
    }

    @Test
    void twoTracebacksInARowAreTwoErrors() throws IOException {
        log = dir.resolve("web.log");
        String one = "Traceback (most recent call last):\n  File \"/app.py\", line 1\nValueError: one\n";
        Files.writeString(log, one + one.replace("one", "two"));
        assertThat(insight.filter(log, LogFilter.all().level(Event.Level.ERROR)))
                .extracting(LogEvent::message)
                .containsExactly("ValueError: one", "ValueError: two");
    }

    @Test
    void aRunThatBeganInTheMiddleOfALineStartsOnItsOwnLine() throws IOException {
        log = dir.resolve("web.log");
        run(ago(Duration.ofMinutes(9)), ago(Duration.ofMinutes(8)), "crashed", "loading  40%|####");
        run(ago(Duration.ofMinutes(7)), null, "", "INFO:     Started server process [7]\n");
        ServiceRuns r = state("ready");
        List<LogLine> tail = insight.tail(log, r, 10);
        assertThat(tail)
                .extracting(LogLine::text)
                .containsExactly("loading  40%|####", "INFO:     Started server process [7]");
        assertThat(tail).extracting(l -> l.run().orElseThrow().number()).containsExactly(1, 2);
        assertThat(insight.filter(log, r, LogFilter.all().from(r.last().orElseThrow())))
                .extracting(LogEvent::message)
                .containsExactly("Started server process [7]");
    }

    @Test
    void aRunThatBeganInARotatedGenerationIsReadFromThere() throws IOException {
        // the supervisor rotated web.log to web.log.1 and subtracted its size from every offset
        log = dir.resolve("web.log");
        Path old = dir.resolve("web.log.1");
        String before = "INFO:     Started server process [1]\nINFO:     Uvicorn running on :7860\n";
        String runTwo = "INFO:     Started server process [2]\nERROR:    model failed to load\n";
        Files.writeString(old, before + runTwo);
        Files.writeString(log, "ERROR:    still failing\n");
        long size = Files.size(old);
        runs.add("{\"startedAt\":%d,\"offset\":%d,\"pid\":1}"
                .formatted(ago(Duration.ofHours(5)).toEpochMilli(), -size));
        runs.add("{\"startedAt\":%d,\"offset\":%d,\"pid\":2}"
                .formatted(ago(Duration.ofHours(1)).toEpochMilli(), before.length() - size));
        ServiceRuns r = state("ready");

        List<LogEvent> current =
                insight.filter(log, r, LogFilter.all().from(r.last().orElseThrow()));
        assertThat(current)
                .extracting(LogEvent::message)
                .containsExactly("Started server process [2]", "model failed to load", "still failing");
        assertThat(current)
                .allSatisfy(e -> assertThat(e.run().orElseThrow().number()).isEqualTo(2));
        assertThat(insight.errors(log, r, Optional.empty(), 5).total()).isEqualTo(1); // current file only
    }

    @Test
    void runRecordsThatDoNotFitTheLogAreIgnored() throws IOException {
        log = dir.resolve("web.log");
        Files.writeString(log, "ERROR: x\n");
        runs.add("{\"startedAt\":%d,\"offset\":%d}"
                .formatted(ago(Duration.ofMinutes(1)).toEpochMilli(), 10_000));
        ServiceRuns r = state("ready");
        assertThat(insight.filter(log, r, LogFilter.all()))
                .singleElement()
                .satisfies(e -> assertThat(e.run()).isEmpty());
    }

    @Test
    void readsDamagedAndOldStateFilesDefensively() throws IOException {
        Path f = dir.resolve("web.json");
        assertThat(ServiceRuns.read(f)).isEqualTo(ServiceRuns.NONE);
        Files.writeString(f, "{\"pid\":12,\"startTicks\":3}");
        assertThat(ServiceRuns.read(f).runs()).isEmpty();
        assertThat(ServiceRuns.read(f).state()).isEmpty();
        Files.writeString(f, "{\"pid\":12,");
        assertThat(ServiceRuns.read(f).damage())
                .hasValueSatisfying(d -> assertThat(d).contains("web.json"));
        Files.writeString(
                f,
                "{\"state\":\"failed\",\"reason\":\"crashed 16 times in 10m: gave up\",\"runs\":[7,{\"offset\":5},"
                        + "{\"startedAt\":2000,\"offset\":9,\"how\":\"crashed\",\"endedAt\":3000,\"exitCode\":1},"
                        + "{\"startedAt\":1000,\"offset\":0,\"how\":\"crashed\",\"endedAt\":1500,\"exitCode\":137}]}");
        ServiceRuns r = ServiceRuns.read(f);
        assertThat(r.state()).contains("failed");
        assertThat(r.reason()).isEqualTo("crashed 16 times in 10m: gave up");
        assertThat(r.runs()).extracting(ServiceRuns.Run::offset).containsExactly(0L, 9L);
        assertThat(r.runs()).extracting(ServiceRuns.Run::number).containsExactly(1, 2);
        assertThat(r.runs().get(0).exitCode()).contains(137);
        assertThat(r.crashesInARow()).isEqualTo(2);
        assertThat(r.runAt(8)).map(ServiceRuns.Run::number).contains(1);
        assertThat(r.runAt(9)).map(ServiceRuns.Run::number).contains(2);
        assertThat(r.runAt(-1)).isEmpty();
        Files.write(f, "\u00ff\u00fe not json".getBytes(StandardCharsets.ISO_8859_1));
        assertThat(ServiceRuns.read(f).damage()).isPresent();
        Files.writeString(f, "{\"reason\":\"" + "x".repeat((int) ServiceRuns.MAX_BYTES) + "\"}");
        assertThat(ServiceRuns.read(f).damage())
                .hasValueSatisfying(d -> assertThat(d).contains("not a state file"));
    }

    @Test
    void aRunsFactsSayWhetherItRunsAndHowItEnded() throws IOException {
        Path f = dir.resolve("web.json");
        Files.writeString(
                f,
                "{\"state\":\"  \",\"runs\":[{\"startedAt\":0,\"offset\":0},{\"startedAt\":10,\"offset\":0,\"endedAt\":20,"
                        + "\"how\":\"stopped\"},{\"startedAt\":30,\"offset\":0,\"endedAt\":40},"
                        + "{\"startedAt\":50,\"offset\":0,\"pid\":\"x\"}]}");
        ServiceRuns r = ServiceRuns.read(f);
        assertThat(r.state()).isEmpty();
        assertThat(r.runs()).hasSize(3); // startedAt 0 is no time: dropped; equal offsets: runs with no output
        assertThat(r.runs().get(0).crashed()).isFalse(); // stopped
        assertThat(r.runs().get(1).crashed()).isFalse(); // ended, but how is not recorded
        assertThat(r.runs().get(1).running()).isFalse();
        assertThat(r.runs().get(2).running()).isTrue();
        assertThat(r.runs().get(2).pid()).isZero();
        assertThat(r.crashesInARow()).isZero();
        assertThat(r.runAt(0)).map(ServiceRuns.Run::number).contains(3);
        assertThat(ServiceRuns.of(Json.parse("[1]")).damage()).isPresent();
    }
}
