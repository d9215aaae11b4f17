package dev.lifeline.insight;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lifeline.core.Event;
import dev.lifeline.core.LifelineException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LogInsightTest {
    private static final ZoneId ZONE = ZoneOffset.UTC;
    private static final Clock NOW = Clock.fixed(Instant.parse("2026-11-21T12:30:00Z"), ZONE);
    private final LogInsight insight = new LogInsight(ZONE, NOW);

    @TempDir
    Path dir;

    /** A Gradio app's log, as `nohup python app.py > app.log 2>&1` would leave it. */
    static final String GRADIO_LOG = """
            2026-11-21 09:58:01,100 - app - INFO - Loading model iic/ofa_visual-entailment_snli-ve_large_en
            2026-11-21 09:58:43,512 - app - INFO - Model loaded in 42s
            Running on local URL:  http://0.0.0.0:7860
            /opt/venv/lib/python3.10/site-packages/torch/functional.py:504: UserWarning: torch.meshgrid: an indexing argument will be required
            2026-11-21 10:15:00,001 - app - ERROR - Inference failed
            Traceback (most recent call last):
              File "/root/build/app.py", line 88, in predict
                out = model(image, text)
              File "/opt/venv/lib/python3.10/site-packages/torch/nn/modules/module.py", line 1501, in _call_impl
                return forward_call(*args, **kwargs)
            torch.cuda.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB (GPU 0; 23.65 GiB total capacity)
            2026-11-21 10:20:00,001 - app - WARNING - image too large, resized to 224x224
            2026-11-21 10:40:12,000 - app - ERROR - Inference failed
            Traceback (most recent call last):
              File "/root/build/app.py", line 88, in predict
                out = model(image, text)
            torch.cuda.OutOfMemoryError: CUDA out of memory. Tried to allocate 1.50 GiB (GPU 0; 23.65 GiB total capacity)
            2026-11-21 11:05:00,000 - app - ERROR - Connection refused to ModelScope: Max retries exceeded
            2026-11-21 11:06:00,000 - app - INFO - request image=cat.jpg text=a cat
            """;

    private Path write(String text) throws IOException {
        Path p = dir.resolve("webui.log");
        Files.writeString(p, text);
        return p;
    }

    @Test
    void groupsATracebackWithItsErrorLineIntoOneErrorEvent() throws IOException {
        List<LogEvent> errors =
                insight.filter(write(GRADIO_LOG), LogFilter.all().level(Event.Level.ERROR));
        assertThat(errors).hasSize(3);
        LogEvent first = errors.get(0);
        assertThat(first.isTraceback()).isTrue();
        assertThat(first.lines()).hasSize(7).first().asString().contains("Inference failed");
        assertThat(first.message()).startsWith("torch.cuda.OutOfMemoryError: CUDA out of memory");
        assertThat(first.lineNumber()).isEqualTo(5);
        assertThat(first.time()).isEqualTo(Instant.parse("2026-11-21T10:15:00.001Z"));
        assertThat(first.problem()).map(KnownProblem::id).contains("cuda-oom");
    }

    @Test
    void classifiesPythonWarningsAndLoggingLevels() throws IOException {
        List<LogEvent> warns = insight.filter(write(GRADIO_LOG), LogFilter.all().level(Event.Level.WARN));
        assertThat(warns)
                .extracting(LogEvent::level)
                .containsExactly(
                        Event.Level.WARN, Event.Level.ERROR, Event.Level.WARN, Event.Level.ERROR, Event.Level.ERROR);
        assertThat(warns.get(0).message()).contains("UserWarning");
        assertThat(warns.get(2).message()).isEqualTo("image too large, resized to 224x224");
    }

    @Test
    void readsUvicornAndPythonLoggingDefaultStyles() throws IOException {
        String log = """
                INFO:     Started server process [4242]
                INFO:     Uvicorn running on http://127.0.0.1:7860 (Press CTRL+C to quit)
                WARNING:root:slow request
                ERROR:    Exception in ASGI application
                Traceback (most recent call last):
                  File "/venv/lib/python3.10/site-packages/uvicorn/protocols/http/h11_impl.py", line 408, in run_asgi
                    result = await app(self.scope, self.receive, self.send)
                ValueError: bad image

                During handling of the above exception, another exception occurred:

                Traceback (most recent call last):
                  File "/app.py", line 3, in <module>
                RuntimeError: handler failed
                INFO:     127.0.0.1:50000 - "GET / HTTP/1.1" 200 OK
                2026-11-21 12:00:00.123 | ERROR    | app:run:12 - loguru says no
                [2026-11-21 12:01:00] [WARNING] bracketed warning
                ModuleNotFoundError: No module named 'xformers'
                """;
        List<LogEvent> all = insight.filter(write(log), LogFilter.all());
        assertThat(all)
                .extracting(LogEvent::level)
                .containsExactly(
                        Event.Level.INFO,
                        Event.Level.INFO,
                        Event.Level.WARN,
                        Event.Level.ERROR,
                        Event.Level.INFO,
                        Event.Level.ERROR,
                        Event.Level.WARN,
                        Event.Level.ERROR);
        assertThat(all.get(2).message()).isEqualTo("slow request");
        LogEvent chained = all.get(3);
        assertThat(chained.lines()).hasSize(11);
        assertThat(chained.message()).isEqualTo("RuntimeError: handler failed");
        assertThat(all.get(5).message()).isEqualTo("app:run:12 - loguru says no");
        assertThat(all.get(5).time()).isEqualTo(Instant.parse("2026-11-21T12:00:00.123Z"));
        assertThat(all.get(6).message()).isEqualTo("bracketed warning");
        assertThat(all.get(7).problem()).hasValueSatisfying(p -> {
            assertThat(p.id()).isEqualTo("missing-module");
            assertThat(p.fix()).contains("pip install xformers");
        });
    }

    @Test
    void keepsEveryLineOfTheLogInOrder() throws IOException {
        String log = "start\nTraceback (most recent call last):\n  File \"a.py\", line 1\nValueError: x\n\n\nnext\n"
                + "Traceback (most recent call last):\nKeyError: 'k'\n\n";
        List<LogEvent> all = insight.filter(write(log), LogFilter.all());
        assertThat(all.stream().flatMap(e -> e.lines().stream()).toList())
                .containsExactlyElementsOf(log.lines().toList());
        assertThat(all).extracting(LogEvent::lineNumber).containsExactly(1L, 2L, 5L, 6L, 7L, 8L, 10L);
    }

    @Test
    void readsBareErrorLinesAsErrors() throws IOException {
        List<LogEvent> all = insight.filter(
                write("Error: model file not found\nKeyboardInterrupt\nErrors are fine here\n"), LogFilter.all());
        assertThat(all)
                .extracting(LogEvent::level)
                .containsExactly(Event.Level.ERROR, Event.Level.ERROR, Event.Level.INFO);
    }

    @Test
    void filtersBySinceAndGrep() throws IOException {
        Path log = write(GRADIO_LOG);
        LogFilter lastHour = LogFilter.parse("error", "2h", null, NOW, ZONE);
        assertThat(insight.filter(log, lastHour))
                .extracting(LogEvent::message)
                .containsExactly(
                        "torch.cuda.OutOfMemoryError: CUDA out of memory. Tried to allocate 1.50 GiB (GPU 0; 23.65 GiB total capacity)",
                        "Connection refused to ModelScope: Max retries exceeded");
        LogFilter grep = LogFilter.parse(null, null, "cat\\.jpg|meshgrid", NOW, ZONE);
        assertThat(insight.filter(log, grep)).hasSize(2);
        LogFilter since = LogFilter.parse(null, "2026-11-21 11:00", null, NOW, ZONE);
        assertThat(insight.filter(log, since)).hasSize(2);
    }

    @Test
    void grepSearchesInsideTracebacks() throws IOException {
        LogFilter f = LogFilter.all().grep(Pattern.compile("app.py\", line 88"));
        assertThat(insight.filter(write(GRADIO_LOG), f)).hasSize(2).allMatch(LogEvent::isTraceback);
    }

    @Test
    void countsErrorsPerHourAndRanksMessagesIgnoringNumbers() throws IOException {
        ErrorReport r = insight.errors(write(GRADIO_LOG), Optional.empty(), 5);
        assertThat(r.total()).isEqualTo(3);
        assertThat(r.perHour())
                .containsExactly(
                        org.assertj.core.api.Assertions.entry(Instant.parse("2026-11-21T10:00:00Z"), 2),
                        org.assertj.core.api.Assertions.entry(Instant.parse("2026-11-21T11:00:00Z"), 1));
        assertThat(r.top().get(0).count()).isEqualTo(2);
        assertThat(r.top().get(0).message()).contains("Tried to allocate 1.50 GiB"); // the latest wording
        assertThat(r.top().get(0).lastSeen()).isEqualTo(Instant.parse("2026-11-21T10:40:12Z"));
        assertThat(r.problems())
                .extracting(p -> p.problem().id() + "×" + p.count())
                .containsExactly("cuda-oom×2", "hub-connection×1");
    }

    @Test
    void countsErrorsOfALogWithoutTimestampsByTheFilesLastChange() throws IOException {
        Path log = write(
                "Traceback (most recent call last):\n  File \"x\"\nOSError: [Errno 98] Address already in use\nKilled\n");
        Files.setLastModifiedTime(log, java.nio.file.attribute.FileTime.from(Instant.parse("2026-11-21T12:10:00Z")));
        ErrorReport r = insight.errors(log, Optional.empty(), 5);
        assertThat(r.total()).isEqualTo(2);
        assertThat(r.withoutTime()).isZero();
        assertThat(r.estimated()).isEqualTo(2);
        assertThat(r.perHour())
                .containsExactly(org.assertj.core.api.Assertions.entry(Instant.parse("2026-11-21T12:00:00Z"), 2));
        assertThat(r.problems()).extracting(p -> p.problem().id()).containsExactly("port-in-use", "oom-killed");
    }

    @Test
    void recognisesEachKnownProblem() {
        assertThat(LogInsight.recognise("RuntimeError: CUDA error: out of memory"))
                .map(KnownProblem::id)
                .contains("cuda-oom");
        assertThat(LogInsight.recognise("OSError: Cannot find empty port in range: 7860-7860"))
                .map(KnownProblem::id)
                .contains("port-in-use");
        assertThat(LogInsight.recognise("OSError: [Errno 24] Too many open files"))
                .map(KnownProblem::id)
                .contains("too-many-open-files");
        assertThat(LogInsight.recognise("OSError: We couldn't connect to 'https://huggingface.co' to load this file"))
                .map(KnownProblem::id)
                .contains("hub-connection");
        assertThat(LogInsight.recognise("ImportError: No module named gradio"))
                .map(KnownProblem::id)
                .contains("missing-module");
        assertThat(LogInsight.recognise("[lifeline] webui exited with code 137"))
                .map(KnownProblem::id)
                .contains("oom-killed");
        assertThat(LogInsight.explainExit(137)).map(KnownProblem::id).contains("oom-killed");
        assertThat(LogInsight.explainExit(1)).isEmpty();
        assertThat(LogInsight.recognise("INFO: model loaded from huggingface.co cache"))
                .isEmpty();
    }

    @Test
    void assemblesLinesFedLiveAndFlushesAHeldErrorLine() {
        List<LogEvent> got = new ArrayList<>();
        EventAssembler a = insight.assembler(LogFilter.all().level(Event.Level.ERROR), got::add);
        a.accept("ERROR:root:first");
        assertThat(got).isEmpty(); // may be the head of a traceback
        a.flush();
        assertThat(got).extracting(LogEvent::message).containsExactly("first");
    }

    @Test
    void sinceAlsoReadsGenerationsRotatedAwayAfterIt() throws IOException {
        Path log = write("2026-11-21 12:10:00 ERROR after rotation\n");
        Path old = dir.resolve("webui.log.1.gz");
        try (var out = new java.util.zip.GZIPOutputStream(Files.newOutputStream(old))) {
            out.write("2026-11-21 11:50:00 ERROR before rotation\n".getBytes(java.nio.charset.StandardCharsets.UTF_8));
        }
        Files.setLastModifiedTime(old, java.nio.file.attribute.FileTime.from(Instant.parse("2026-11-21T12:00:00Z")));
        Path ancient = dir.resolve("webui.log.2.gz");
        Files.write(ancient, new byte[0]);
        Files.setLastModifiedTime(
                ancient, java.nio.file.attribute.FileTime.from(Instant.parse("2026-11-01T00:00:00Z")));

        ErrorReport r = insight.errors(log, Optional.of(Instant.parse("2026-11-21T11:00:00Z")), 5);
        assertThat(r.top())
                .extracting(ErrorReport.MessageCount::message)
                .containsExactlyInAnyOrder("after rotation", "before rotation");
        assertThat(insight.errors(log, Optional.empty(), 5).total()).isEqualTo(1);
    }

    @Test
    void aMissingLogHasNoEvents() {
        assertThat(insight.filter(dir.resolve("none.log"), LogFilter.all())).isEmpty();
    }

    @Test
    void rejectsABadSinceWithAHint() {
        assertThatThrownBy(() -> LogFilter.parse(null, "yesterday", null, NOW, ZONE))
                .isInstanceOf(LifelineException.class)
                .hasMessageContaining("--since 'yesterday'");
        assertThatThrownBy(() -> LogFilter.parse("fatal", null, null, NOW, ZONE))
                .hasMessageContaining("--level 'fatal'");
    }

    @Test
    void parsesEveryFormOfLevelAndSince() {
        assertThat(LogFilter.parseLevel("info")).isEqualTo(Event.Level.INFO);
        assertThat(LogFilter.parseLevel("ALL")).isEqualTo(Event.Level.INFO);
        assertThat(LogFilter.parseLevel("warning")).isEqualTo(Event.Level.WARN);
        assertThat(LogFilter.parseLevel(" warn ")).isEqualTo(Event.Level.WARN);
        assertThat(LogFilter.parseLevel("err")).isEqualTo(Event.Level.ERROR);
        Instant now = NOW.instant();
        assertThat(LogFilter.parseSince("90s", NOW, ZONE)).isEqualTo(now.minusSeconds(90));
        assertThat(LogFilter.parseSince("1h30m", NOW, ZONE)).isEqualTo(now.minusSeconds(5400));
        assertThat(LogFilter.parseSince("2d", NOW, ZONE)).isEqualTo(now.minus(java.time.Duration.ofDays(2)));
        assertThat(LogFilter.parseSince("1w", NOW, ZONE)).isEqualTo(now.minus(java.time.Duration.ofDays(7)));
        assertThat(LogFilter.parseSince("2026-11-21T10:00:05", NOW, ZONE))
                .isEqualTo(Instant.parse("2026-11-21T10:00:05Z"));
        assertThat(LogFilter.parseSince("2026-11-21 10:00", NOW, ZONE))
                .isEqualTo(Instant.parse("2026-11-21T10:00:00Z"));
        assertThat(LogFilter.parseSince("2026-11-21", NOW, ZONE)).isEqualTo(Instant.parse("2026-11-21T00:00:00Z"));
        assertThatThrownBy(() -> LogFilter.parseSince("1h 2x", NOW, ZONE)).isInstanceOf(LifelineException.class);
        assertThatThrownBy(() -> LogFilter.parse(null, null, "(", NOW, ZONE))
                .hasMessageContaining("--grep '(' is not a valid regular expression");
    }

    @Test
    void aFilterKeepsWhatIsAtItsLimits() throws IOException {
        Path log = write("2026-11-21 10:00:00 WARNING at the limit\n2026-11-21 09:59:59 ERROR just before\n");
        assertThat(insight.filter(log, LogFilter.all().since(Instant.parse("2026-11-21T10:00:00Z"))))
                .extracting(LogEvent::message)
                .containsExactly("at the limit");
        assertThat(insight.filter(log, LogFilter.all().level(Event.Level.WARN))).hasSize(2);
        assertThat(insight.filter(log, LogFilter.all().level(Event.Level.ERROR)))
                .extracting(LogEvent::message)
                .containsExactly("just before");
    }

    @Test
    void ranksMessagesByCountThenByLastSeenAndCutsLongOnes() throws IOException {
        String longOne = "x".repeat(300);
        Path log = write("2026-11-21 10:00:00 ERROR older\n2026-11-21 11:00:00 ERROR newer\n"
                + "2026-11-21 11:30:00 ERROR " + longOne + "1\n2026-11-21 11:31:00 ERROR " + longOne + "2\n");
        ErrorReport r = insight.errors(log, Optional.empty(), 2);
        assertThat(r.top()).extracting(ErrorReport.MessageCount::count).containsExactly(2, 1);
        assertThat(r.top().get(1).message()).isEqualTo("newer");
        assertThat(LogInsight.normalise(longOne)).hasSize(160);
        assertThat(LogInsight.normalise("a  b\tc 12 0xff 1.5")).isEqualTo("a b c # # #");
        assertThat(insight.errors(log, Optional.empty(), 0).top()).isEmpty();
        assertThat(insight.zone()).isEqualTo(ZONE);
        assertThat(LogInsight.systemDefault().zone()).isEqualTo(ZoneId.systemDefault());
    }
}
