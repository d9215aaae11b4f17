package dev.lifeline.process;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.lifeline.testing.TestTimes;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Real programs through {@link Exec}: timeouts that fire, trees that die, pipes that never block. */
class ExecTest {
    @TempDir
    Path tmp;

    @Test
    void killsAProgramThatOutlivesItsTimeout() throws Exception {
        long t0 = System.nanoTime();
        Exec.Result r = Exec.of("sleep", "60").timeout(Duration.ofMillis(300)).run();
        Duration took = Duration.ofNanos(System.nanoTime() - t0);

        assertThat(r.timedOut()).isTrue();
        assertThat(r.ok()).isFalse();
        assertThat(took).isLessThan(TestTimes.scaled(Duration.ofSeconds(3)));
        assertThat(r.describe()).startsWith("'sleep 60' did not finish within").endsWith("and was killed");
    }

    @Test
    void killsTheChildrenOfAProgramThatTimesOut() throws Exception {
        Path pidFile = tmp.resolve("child.pid");
        Exec.Result r = Exec.of("sh", "-c", "sleep 60 & echo $! > " + pidFile + "; wait")
                .timeout(Duration.ofMillis(500))
                .run();

        assertThat(r.timedOut()).isTrue();
        long child = Long.parseLong(Files.readString(pidFile).strip());
        await().atMost(TestTimes.SHORT)
                .until(() -> ProcessHandle.of(child).map(h -> !h.isAlive()).orElse(true));
    }

    @Test
    void aChildThatKeepsTheOutputOpenDoesNotHoldTheCaller() throws Exception {
        Path pidFile = tmp.resolve("child.pid");
        long t0 = System.nanoTime();
        Exec.Result r = Exec.of("sh", "-c", "sleep 60 & echo $! > " + pidFile + "; echo parent done")
                .timeout(Duration.ofSeconds(30))
                .run();
        Duration took = Duration.ofNanos(System.nanoTime() - t0);
        try {
            assertThat(r.ok()).isTrue();
            assertThat(r.timedOut()).isFalse();
            assertThat(r.output()).contains("parent done");
            assertThat(took).isLessThan(TestTimes.scaled(Duration.ofSeconds(3)));
        } finally {
            ProcessHandle.of(Long.parseLong(Files.readString(pidFile).strip())).ifPresent(ProcessHandle::destroy);
        }
    }

    @Test
    void tenMegabytesOfOutputDoNotDeadlockAndKeepHeadAndTail() throws Exception {
        Exec.Result r = Exec.of("sh", "-c", "echo first; head -c 10485760 /dev/zero | tr '\\0' x; echo; echo last")
                .timeout(TestTimes.SHORT)
                .run();

        assertThat(r.ok()).as(r.describe()).isTrue();
        assertThat(r.outputBytes()).isEqualTo(6 + 10485760 + 1 + 5);
        assertThat(r.truncated()).isTrue();
        assertThat(r.head()).startsWith("first\nxxx").hasSize(Exec.DEFAULT_KEEP / 2);
        assertThat(r.tail()).endsWith("xxx\nlast\n").hasSize(Exec.DEFAULT_KEEP / 2);
        assertThat(r.output()).contains("[… " + (r.outputBytes() - Exec.DEFAULT_KEEP) + " bytes left out …]");
        assertThat(r.describe())
                .isEqualTo("'sh -c echo first; head -c 10485760 /dev/zero | tr '\\0' x; echo; echo last'"
                        + " exited with 0: last");
    }

    @Test
    void reportsExitCodeAndOutputWithStderrMergedOrDiscarded() throws Exception {
        Exec.Result merged =
                Exec.of("sh", "-c", "echo out; echo err >&2; exit 3").run();
        assertThat(merged.exitCode()).isEqualTo(3);
        assertThat(merged.ok()).isFalse();
        assertThat(merged.lines()).containsExactlyInAnyOrder("out", "err");
        assertThat(merged.truncated()).isFalse();
        assertThat(merged.command()).containsExactly("sh", "-c", "echo out; echo err >&2; exit 3");

        Exec.Result quiet =
                Exec.of("sh", "-c", "echo out; echo err >&2").discardStderr().run();
        assertThat(quiet.output()).isEqualTo("out\n");
        assertThat(quiet.ok()).isTrue();

        Exec.Result none =
                Exec.of("sh", "-c", "echo out; exit 4").discardOutput().run();
        assertThat(none.output()).isEmpty();
        assertThat(none.exitCode()).isEqualTo(4);
    }

    @Test
    void runsInTheGivenFolderWithTheGivenEnvironmentAndNoInput() throws Exception {
        Exec.Result r = Exec.of("sh", "-c", "pwd; echo $LIFELINE_EXEC_TEST; cat")
                .directory(tmp)
                .env("LIFELINE_EXEC_TEST", "hello")
                .timeout(TestTimes.SHORT)
                .run();

        assertThat(r.ok()).isTrue();
        assertThat(r.lines()).containsExactly(tmp.toRealPath().toString(), "hello");
    }

    @Test
    void keepsOnlyTheAskedForBytes() throws Exception {
        Exec.Result r = Exec.of("sh", "-c", "printf 0123456789").keep(4).run();
        assertThat(r.head()).isEqualTo("01");
        assertThat(r.tail()).isEqualTo("89");
        assertThat(r.omittedBytes()).isEqualTo(6);
    }

    @Test
    void aMissingProgramIsAnIoErrorNamingIt() {
        assertThatThrownBy(
                        () -> Exec.of("/nonexistent/lifeline-no-such-program").run())
                .isInstanceOf(IOException.class)
                .hasMessageContaining("lifeline-no-such-program");
    }

    @Test
    void anInterruptedCallerKillsTheProgram() throws Exception {
        Path pidFile = tmp.resolve("pid");
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        Thread caller = new Thread(() -> {
            try {
                Exec.of("sh", "-c", "echo $$ > " + pidFile + "; exec sleep 60").run();
            } catch (Exception e) {
                thrown.set(e);
            }
        });
        caller.start();
        await().atMost(TestTimes.SHORT).until(() -> Files.size(pidFile) > 0);
        long pid = Long.parseLong(Files.readString(pidFile).strip());
        caller.interrupt();
        caller.join(TestTimes.SHORT.toMillis());

        assertThat(thrown.get()).isInstanceOf(InterruptedException.class);
        await().atMost(TestTimes.SHORT)
                .until(() -> ProcessHandle.of(pid).map(h -> !h.isAlive()).orElse(true));
    }

    @Test
    void lifelineStoppedWhileItWaitsTakesTheProgramAndItsChildrenWithIt() throws Exception {
        Path pids = tmp.resolve("pids");
        Process jvm = new ProcessBuilder(
                        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                        "-cp",
                        System.getProperty("java.class.path"),
                        ExecWaiter.class.getName(),
                        pids.toString())
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .start();
        try {
            await().atMost(TestTimes.APP)
                    .until(() -> Files.exists(pids) && Files.readAllLines(pids).size() == 2);
            List<Long> started =
                    Files.readAllLines(pids).stream().map(Long::parseLong).toList();

            jvm.destroy(); // TERM, as a Ctrl-C or 'kill' of the CLI would

            assertThat(jvm.waitFor(TestTimes.SHORT.toMillis(), TimeUnit.MILLISECONDS))
                    .isTrue();
            await().atMost(TestTimes.SHORT).until(() -> started.stream().noneMatch(ExecTest::running));
        } finally {
            jvm.destroyForcibly();
        }
    }

    /**
     * Whether {@code pid} still runs: a zombie has ended (its parent died, and PID 1 of a container
     * may reap it late), though {@link ProcessHandle#isAlive} still sees it.
     */
    static boolean running(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            char state = stat.charAt(stat.lastIndexOf(')') + 2);
            return state != 'Z' && state != 'X';
        } catch (java.io.IOException | RuntimeException gone) {
            return false;
        }
    }
}
