package dev.lifeline.insight;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lifeline.core.Event;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A log and its rotated generations on one line of offsets, and reading its end. */
class LogFilesTest {
    private static final Instant NOW = Instant.parse("2026-11-21T12:30:00Z");
    private final LogInsight insight = new LogInsight(ZoneOffset.UTC, Clock.fixed(NOW, ZoneOffset.UTC));

    @TempDir
    Path dir;

    private static String numbered(String prefix, int from, int to) {
        return IntStream.range(from, to).mapToObj(i -> prefix + " " + i + "\n").collect(Collectors.joining());
    }

    private static void gzip(Path p, String text) throws IOException {
        try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(p))) {
            out.write(text.getBytes(StandardCharsets.UTF_8));
        }
    }

    private static Path state(Path dir, String runs) throws IOException {
        Path f = dir.resolve("web.json");
        Files.writeString(f, "{\"state\":\"ready\",\"runs\":[" + runs + "]}");
        return f;
    }

    @Test
    void readsGzippedAndPlainGenerationsOldestFirstEachLineInItsRun() throws IOException {
        Path log = dir.resolve("web.log");
        String two = "INFO run one starts\n" + numbered("one", 0, 5000); // > 64 KiB: a multi-byte size
        String one = "INFO run two starts\n" + numbered("two", 0, 10);
        String current = "INFO run three starts\n";
        gzip(dir.resolve("web.log.2.gz"), two);
        Files.writeString(dir.resolve("web.log.1"), one);
        Files.writeString(log, current);
        Files.setLastModifiedTime(dir.resolve("web.log.2.gz"), FileTime.from(NOW.minusSeconds(300)));
        Files.setLastModifiedTime(dir.resolve("web.log.1"), FileTime.from(NOW.minusSeconds(200)));
        long b1 = -one.length();
        long b2 = b1 - two.length();
        ServiceRuns runs = ServiceRuns.read(state(
                dir,
                "{\"startedAt\":%d,\"offset\":%d},{\"startedAt\":%d,\"offset\":%d},{\"startedAt\":%d,\"offset\":0}"
                        .formatted(
                                NOW.minusSeconds(400).toEpochMilli(),
                                b2,
                                NOW.minusSeconds(250).toEpochMilli(),
                                b1,
                                NOW.minusSeconds(100).toEpochMilli())));
        assertThat(LogFiles.gzipSize(dir.resolve("web.log.2.gz"))).isEqualTo(two.length());

        List<LogEvent> all =
                insight.filter(log, runs, LogFilter.all().from(runs.runs().get(0)));
        assertThat(all).hasSize(1 + 5000 + 1 + 10 + 1);
        assertThat(all.get(0).message()).isEqualTo("run one starts");
        assertThat(all.get(0).offset()).isEqualTo(b2);
        assertThat(all.get(5001).message()).isEqualTo("run two starts");
        assertThat(all.get(5001).offset()).isEqualTo(b1);
        assertThat(all.get(all.size() - 1).offset()).isZero();
        assertThat(all.stream().map(e -> e.run().orElseThrow().number()).distinct())
                .containsExactly(1, 2, 3);

        // from the middle of the gzipped generation: its start is skipped
        List<LogEvent> fromTwo =
                insight.filter(log, runs, LogFilter.all().from(runs.runs().get(1)));
        assertThat(fromTwo)
                .hasSize(12)
                .first()
                .satisfies(e -> assertThat(e.message()).isEqualTo("run two starts"));

        // by time: every generation written since then, oldest first
        List<LogEvent> since = insight.filter(log, runs, LogFilter.all().since(NOW.minusSeconds(3600)));
        assertThat(since)
                .extracting(LogEvent::message)
                .startsWith("run one starts")
                .endsWith("run three starts");
        assertThat(insight.filter(log, runs, LogFilter.all().since(NOW.minusSeconds(250))))
                .first()
                .satisfies(e -> assertThat(e.message()).isEqualTo("run two starts"));
    }

    @Test
    void aGapInTheGenerationsEndsTheChain() throws IOException {
        Path log = dir.resolve("web.log");
        Files.writeString(log, "now\n");
        Files.writeString(dir.resolve("web.log.2"), "orphan\n");
        assertThat(LogFiles.chain(log))
                .extracting(g -> g.path().getFileName().toString())
                .containsExactly("web.log");
        Files.writeString(dir.resolve("web.log.1"), "one\n");
        assertThat(LogFiles.chain(log)).extracting(LogFiles.Generation::base).containsExactly(-11L, -4L, 0L);
    }

    @Test
    void aBrokenGzipHasNoSizeSoOlderOffsetsAreUnknown() throws IOException {
        Path log = dir.resolve("web.log");
        Files.writeString(log, "now\n");
        Files.writeString(dir.resolve("web.log.1.gz"), "not gzip");
        Files.writeString(dir.resolve("web.log.2"), "older\n");
        assertThat(LogFiles.gzipSize(dir.resolve("web.log.1.gz"))).isEqualTo(-1);
        List<LogFiles.Generation> chain = LogFiles.chain(log);
        assertThat(chain).extracting(LogFiles.Generation::base).containsExactly(Long.MIN_VALUE, Long.MIN_VALUE, 0L);
        assertThat(chain.get(0).holdsFrom(5)).isTrue();
        assertThat(insight.filter(log, LogFilter.all().since(Instant.EPOCH)))
                .extracting(LogEvent::message)
                .contains("older", "now");
        assertThat(insight.filter(log, LogFilter.all().since(Instant.EPOCH))
                        .get(0)
                        .offset())
                .isEqualTo(Long.MIN_VALUE);
    }

    @Test
    void aGenerationHoldsTheOffsetsBeforeItsEnd() {
        LogFiles.Generation g = new LogFiles.Generation(dir, false, -10, 10, NOW);
        assertThat(g.holdsFrom(-1)).isTrue();
        assertThat(g.holdsFrom(0)).isFalse();
        assertThat(g.holdsFrom(-10)).isTrue();
    }

    @Test
    void runsBeyondTheEndOfTheLogAreNotTrusted() throws IOException {
        Path log = dir.resolve("web.log");
        Files.writeString(log, "0123456789");
        ServiceRuns atEnd = ServiceRuns.read(state(dir, "{\"startedAt\":1,\"offset\":10}"));
        assertThat(LogFiles.consistent(LogFiles.chain(log), atEnd).runs()).hasSize(1); // just started, no output yet
        ServiceRuns beyond = ServiceRuns.read(state(dir, "{\"startedAt\":1,\"offset\":11}"));
        ServiceRuns kept = LogFiles.consistent(LogFiles.chain(log), beyond);
        assertThat(kept.runs()).isEmpty();
        assertThat(kept.state()).contains("ready");
    }

    @Test
    void tailReadsTheLastLinesAcrossChunksWithOrWithoutAFinalNewline() throws IOException {
        Path log = dir.resolve("web.log");
        Files.writeString(log, numbered("line", 0, 30_000)); // ~300 KiB: several chunks
        assertThat(insight.tail(log, ServiceRuns.NONE, 3))
                .extracting(LogLine::text)
                .containsExactly("line 29997", "line 29998", "line 29999");
        List<LogLine> many = insight.tail(log, ServiceRuns.NONE, 20_000);
        assertThat(many).hasSize(20_000);
        assertThat(many.get(0).text()).isEqualTo("line 10000");
        assertThat(many.get(0).offset()).isEqualTo(numbered("line", 0, 10_000).length());
        Files.writeString(log, "a\nb\nc");
        assertThat(insight.tail(log, ServiceRuns.NONE, 2))
                .extracting(LogLine::text)
                .containsExactly("b", "c");
        assertThat(insight.tail(log, ServiceRuns.NONE, 3))
                .extracting(LogLine::text)
                .containsExactly("a", "b", "c");
        assertThat(insight.tail(log, ServiceRuns.NONE, 9))
                .extracting(LogLine::text)
                .containsExactly("a", "b", "c");
        assertThat(insight.tail(log, ServiceRuns.NONE, 0)).isEmpty();
        Files.writeString(log, "\n\n");
        assertThat(insight.tail(log, ServiceRuns.NONE, 1))
                .extracting(LogLine::text)
                .containsExactly("");
        Files.writeString(log, "");
        assertThat(insight.tail(log, ServiceRuns.NONE, 5)).isEmpty();
        assertThat(insight.tail(dir.resolve("none.log"), ServiceRuns.NONE, 5)).isEmpty();
    }

    @Test
    void aTracebackCutShortByACrashEndsWithItsRun() throws IOException {
        Path log = dir.resolve("web.log");
        String one = "Traceback (most recent call last):\n  File \"/app.py\", line 1, in <module>\n";
        Files.writeString(log, one + "INFO:     Started server process [2]\n");
        ServiceRuns runs = ServiceRuns.read(state(
                dir, "{\"startedAt\":1000,\"offset\":0},{\"startedAt\":2000,\"offset\":%d}".formatted(one.length())));
        List<LogEvent> all = insight.filter(log, runs, LogFilter.all());
        assertThat(all).extracting(LogEvent::level).containsExactly(Event.Level.ERROR, Event.Level.INFO);
        assertThat(all.get(1).message()).isEqualTo("Started server process [2]");
        assertThat(all.get(1).run().orElseThrow().number()).isEqualTo(2);
    }

    @Test
    void aTimestampEarlierThanARunStartDoesNotMakeABoundBelowTheEstimate() throws IOException {
        // the app's clock is behind the supervisor's: the later line's timestamp is before the run start
        Path log = dir.resolve("web.log");
        Files.writeString(log, "ERROR: no time\n2026-11-21 09:00:00 INFO behind\n");
        ServiceRuns runs = ServiceRuns.read(state(
                dir,
                "{\"startedAt\":%d,\"offset\":0}"
                        .formatted(Instant.parse("2026-11-21T10:00:00Z").toEpochMilli())));
        LogEvent e = insight.filter(log, runs, LogFilter.all()).get(0);
        assertThat(e.time()).isEqualTo(Instant.parse("2026-11-21T10:00:00Z"));
        assertThat(e.notAfter()).isEqualTo(e.time());
        assertThat(e.latest()).isEqualTo(e.time());
    }

    @Test
    void anEventWithNoTimeAtAllIsDroppedBySince() {
        LogEvent e = new LogEvent(
                1, null, Event.Level.ERROR, "x", List.of("x"), Optional.empty(), 0, Optional.empty(), true, null);
        assertThat(e.latest()).isNull();
        assertThat(e.timeIfKnown()).isEmpty();
        assertThat(LogFilter.all().since(NOW).accepts(e)).isFalse();
        assertThat(LogFilter.all().accepts(e)).isTrue();
        LogEvent unknownOffset = new LogEvent(
                1,
                NOW,
                Event.Level.ERROR,
                "x",
                List.of("x"),
                Optional.empty(),
                Long.MIN_VALUE,
                Optional.empty(),
                false,
                NOW);
        ServiceRuns.Run run = new ServiceRuns.Run(1, NOW, -5, 1, Optional.empty(), Optional.empty(), "");
        assertThat(LogFilter.all().from(run).accepts(unknownOffset)).isFalse();
        assertThat(unknownOffset.timeIfKnown()).contains(NOW);
        assertThat(unknownOffset.isTraceback()).isFalse();
    }

    @Test
    void heldEventsLeaveInOrderWhenManyHaveNoTime() throws IOException {
        Path log = dir.resolve("web.log");
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < 5000; i++) {
            b.append("no time ").append(i).append('\n');
        }
        b.append("2026-11-21 12:00:00 INFO stamped\n");
        Files.writeString(log, b.toString());
        List<LogEvent> all = insight.filter(log, LogFilter.all());
        assertThat(all).hasSize(5001);
        List<String> first = new ArrayList<>();
        all.stream().limit(3).forEach(e -> first.add(e.message()));
        assertThat(first).containsExactly("no time 0", "no time 1", "no time 2");
        // the newest held ones are bounded by the stamped line after them
        assertThat(all.get(4999).notAfter()).isEqualTo(Instant.parse("2026-11-21T12:00:00Z"));
    }

    @Test
    void theEndOfAHugeLogAndALateRunAreReadWithoutReadingWhatComesBefore() throws Exception {
        // 32 GiB of hole (sparse: no disk used) before the last lines; reading it all would take minutes
        long hole = 32L << 30;
        Path log = dir.resolve("web.log");
        try (java.io.RandomAccessFile f = new java.io.RandomAccessFile(log.toFile(), "rw")) {
            f.setLength(hole);
            f.seek(hole);
            f.write("\nINFO: Started\nERROR: boom\n".getBytes(StandardCharsets.UTF_8));
        }
        ServiceRuns runs = ServiceRuns.read(state(
                dir,
                "{\"startedAt\":%d,\"offset\":%d}"
                        .formatted(NOW.minusSeconds(60).toEpochMilli(), hole + 1)));
        org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(
                dev.lifeline.testing.TestTimes.scaled(java.time.Duration.ofSeconds(10)), () -> {
                    assertThat(insight.tail(log, runs, 1))
                            .extracting(LogLine::text)
                            .containsExactly("ERROR: boom");
                    assertThat(insight.filter(
                                    log, runs, LogFilter.all().from(runs.last().orElseThrow())))
                            .extracting(LogEvent::message)
                            .containsExactly("Started", "boom");
                });
    }
}
