package dev.lifeline.supervisor;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Log readiness reads each byte once, whatever the app writes. */
class LogScannerTest {
    @TempDir
    Path tmp;

    private static void append(Path p, String s) throws Exception {
        Files.writeString(p, s, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    }

    @Test
    void aBarOfManyMegabytesWithoutANewlineIsReadOnceAndDoesNotHideTheReadyLine() throws Exception {
        Path log = tmp.resolve("app.log");
        LogScanner sc = new LogScanner(log, Pattern.compile("Running on local URL"), 0);
        String bar = "Loading checkpoint shards:  50%|#####     | 1/2 [00:03<00:03]\r".repeat(100_000); // ~6 MB
        append(log, bar);
        long size = Files.size(log);
        int polls = 0;
        while (sc.bytesRead() < size && polls < 100) {
            assertThat(sc.matches()).isFalse();
            polls++;
        }
        for (int i = 0; i < 20; i++) {
            assertThat(sc.matches()).isFalse(); // nothing new: nothing read
        }
        assertThat(sc.bytesRead()).as("each byte read once").isEqualTo(size);

        append(log, "Running on local URL:  http://127.0.0.1:7860\n");
        assertThat(sc.matches()).isTrue();
    }

    @Test
    void aReadyLineSplitAcrossTwoWritesIsFound() throws Exception {
        Path log = tmp.resolve("app.log");
        LogScanner sc = new LogScanner(log, Pattern.compile("Uvicorn running on"), 0);
        append(log, "INFO: Uvicorn run");
        assertThat(sc.matches()).isFalse();
        append(log, "ning on http://0.0.0.0:8000\n");
        assertThat(sc.matches()).isTrue();
    }

    @Test
    void onlyThisRunsOutputCountsAndARotationKeepsThePlace() throws Exception {
        Path log = tmp.resolve("app.log");
        append(log, "Running on local URL (an earlier run)\n");
        LogScanner sc = new LogScanner(log, Pattern.compile("Running on local URL"), Files.size(log));
        assertThat(sc.matches()).isFalse();
        append(log, "loading\n");
        assertThat(sc.matches()).isFalse();
        long size = Files.size(log);
        Files.writeString(log, ""); // copy-truncate rotation
        sc.rotated(size);
        append(log, "Running on local URL:  http://127.0.0.1:7860\n");
        assertThat(sc.matches()).isTrue();
    }
}
