package dev.lifeline.insight;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Logs with progress bars: {@code \r} redraws and lines of many megabytes. */
class ProgressBarLogTest {
    private final LogInsight insight = new LogInsight(ZoneOffset.UTC, Clock.systemUTC());

    @TempDir
    Path dir;

    /** A tqdm bar redrawn {@code steps} times with {@code \r} and no newline, as a model download prints it. */
    private static void tqdm(OutputStream out, int steps) throws IOException {
        for (int i = 1; i <= steps; i++) {
            int pct = (int) (100L * i / steps);
            out.write(("\rDownloading model.safetensors: %3d%%|%-50s| %d/%d [00:%02d<00:10, 412MB/s]"
                            .formatted(pct, "#".repeat(pct / 2), i, steps, i % 60))
                    .getBytes(StandardCharsets.UTF_8));
        }
    }

    @Test
    void aProgressBarOfManyMegabytesIsOneLineInItsLastStateAndHidesNothingAfterIt() throws IOException {
        Path log = dir.resolve("web.log");
        try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(log))) {
            out.write("INFO: loading\n".getBytes(StandardCharsets.UTF_8));
            tqdm(out, 250_000); // ~24 MB without a newline
            out.write("\nRunning on local URL:  http://127.0.0.1:7860\n".getBytes(StandardCharsets.UTF_8));
        }
        assertThat(Files.size(log)).isGreaterThan(20L << 20);

        List<LogEvent> all = insight.filter(log, LogFilter.all());
        assertThat(all)
                .extracting(LogEvent::text)
                .containsExactly(
                        "INFO: loading",
                        "Downloading model.safetensors: 100%|" + "#".repeat(50)
                                + "| 250000/250000 [00:40<00:10, 412MB/s]",
                        "Running on local URL:  http://127.0.0.1:7860");
        assertThat(insight.tail(log, ServiceRuns.NONE, 2))
                .extracting(LogLine::text)
                .containsExactly(all.get(1).text(), all.get(2).text());
    }

    @Test
    void aHugeLineKeepsItsHeadSaysWhatWasCutAndTheNextLineFollows() throws IOException {
        Path log = dir.resolve("web.log");
        try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(log))) {
            byte[] x = "x".repeat(1 << 20).getBytes(StandardCharsets.UTF_8);
            for (int i = 0; i < 8; i++) {
                out.write(x);
            }
            out.write("\nERROR: after the huge line\n".getBytes(StandardCharsets.UTF_8));
        }
        List<LogEvent> all = insight.filter(log, LogFilter.all());
        assertThat(all).hasSize(2);
        String huge = all.get(0).text();
        assertThat(huge)
                .startsWith("xxxx")
                .endsWith(" … [" + ((8L << 20) - LineSplitter.MAX_LINE_BYTES) + " more bytes not shown]");
        assertThat(huge.length()).isLessThan(LineSplitter.MAX_LINE_BYTES + 100);
        assertThat(all.get(1).message()).isEqualTo("after the huge line");
        assertThat(insight.tail(log, ServiceRuns.NONE, 1))
                .extracting(LogLine::text)
                .containsExactly("ERROR: after the huge line");
    }

    @Test
    void carriageReturnOnlyOutputShowsEachLinesLastStateAndCrLfEndsALine() throws IOException {
        List<LineSplitter.Line> lines = new ArrayList<>();
        LineSplitter s = new LineSplitter(100, lines::add);
        byte[] b = "a 10%\ra 50%\ra 100%\nwindows\r\n\r\rlast\r".getBytes(StandardCharsets.UTF_8);
        for (byte c : b) {
            s.feed(new byte[] {c}, 0, 1); // arriving byte by byte, as when following
        }
        s.finish();
        assertThat(lines).extracting(LineSplitter.Line::text).containsExactly("a 100%", "windows", "last");
        assertThat(lines).extracting(LineSplitter.Line::offset).containsExactly(100L, 119L, 128L);
    }

    @Test
    void endsLinesWhereARunBegan() {
        List<LineSplitter.Line> lines = new ArrayList<>();
        LineSplitter s = new LineSplitter(0, lines::add);
        s.breakAt(4, 0, 9);
        byte[] b = "abcdefgh\nij".getBytes(StandardCharsets.UTF_8);
        s.feed(b, 0, b.length);
        s.finish();
        assertThat(lines).extracting(LineSplitter.Line::text).containsExactly("abcd", "efgh", "ij");
        assertThat(lines).extracting(LineSplitter.Line::offset).containsExactly(0L, 4L, 9L);
    }
}
