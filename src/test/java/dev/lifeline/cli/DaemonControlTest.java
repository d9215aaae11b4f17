package dev.lifeline.cli;

import static dev.lifeline.cli.DaemonCli.service;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.lifeline.process.Procfs;
import dev.lifeline.testing.TestTimes;
import java.io.ByteArrayOutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The daemon and its socket under stress a user or another process can cause: a second daemon,
 * racing commands, a stopped daemon, an overlong request, slow operations. Real CLI processes,
 * a real background daemon, real services.
 */
class DaemonControlTest {
    @TempDir
    Path tmp;

    @RegisterExtension
    final DaemonCli cli = DaemonCli.in(() -> tmp);

    @Test
    void aSecondDaemonLeavesTheRunningOneAlone() throws Exception {
        Path a = cli.project("a", "services:\n" + service("alpha", "exec sleep 1000"));
        assertThat(cli.run(a, "up").exit()).isZero();
        long daemon = cli.daemonPid().orElseThrow();

        DaemonCli.Result second = cli.run(a, "daemon");

        assertThat(second.exit()).as(second.toString()).isEqualTo(1);
        assertThat(second.err()).contains("already running").contains(Long.toString(daemon));
        assertThat(cli.home.resolve("lifeline.sock")).exists();
        assertThat(Files.readString(cli.home.resolve("daemon.pid")).trim()).isEqualTo(Long.toString(daemon));
        DaemonCli.Result status = cli.run(a, "status");
        assertThat(status.out()).contains("alpha").doesNotContain("started a new one");
        assertThat(cli.daemons()).containsExactly(daemon);
    }

    @Test
    void twoUpsAtOnceOnAFreshHomeBothSucceedWithOneDaemon() throws Exception {
        Path a = cli.project("a", "services:\n" + service("alpha", "exec sleep 1000"));
        Path b = cli.project("b", "services:\n" + service("beta", "exec sleep 1000"));

        DaemonCli.Running upA = cli.start(a, "up");
        DaemonCli.Running upB = cli.start(b, "up");
        DaemonCli.Result ra = upA.await(TestTimes.APP);
        DaemonCli.Result rb = upB.await(TestTimes.APP);

        assertThat(ra.exit()).as(ra.toString()).isZero();
        assertThat(rb.exit()).as(rb.toString()).isZero();
        assertThat(cli.services(a).keySet()).containsExactlyInAnyOrder("alpha", "beta");
        assertThat(cli.daemons()).hasSize(1);
    }

    @Test
    void aStoppedDaemonMakesCommandsFailSoonSayingWhoDoesNotAnswerAndWhatToDo() throws Exception {
        Path a = cli.project("a", "services:\n" + service("alpha", "exec sleep 1000"));
        assertThat(cli.run(a, "up").exit()).isZero();
        long daemon = cli.daemonPid().orElseThrow();
        assertThat(new ProcessBuilder("kill", "-STOP", Long.toString(daemon))
                        .start()
                        .waitFor())
                .isZero();
        cli.env("LIFELINE_DAEMON_TIMEOUT", "2");

        for (String[] command : new String[][] {{"status"}, {"up"}, {"stop", "alpha"}}) {
            DaemonCli.Result r = cli.start(a, command).await(TestTimes.SHORT);

            assertThat(r.exit()).as(Arrays.toString(command) + "\n" + r).isEqualTo(1);
            assertThat(r.err())
                    .contains("the daemon (pid " + daemon + ") does not answer")
                    .contains("stopped")
                    .contains("kill -CONT " + daemon);
        }
    }

    @Test
    void operationsLongerThanTheReadTimeoutStillWorkWhileTheDaemonWorks() throws Exception {
        Path a = cli.project(
                "a",
                "services:\n" + service("slow", "sleep 5; echo loaded; exec sleep 1000")
                        + "    ready: { log: loaded }\n"
                        + service("stubborn", "trap '' TERM; echo up; while true; do sleep 0.2; done")
                        + "    ready: { log: up }\n    stop: { timeout: 5s }\n");
        cli.env("LIFELINE_DAEMON_TIMEOUT", "2"); // less than either operation takes

        DaemonCli.Result up = cli.run(a, "up");
        assertThat(up.exit()).as(up.toString()).isZero();
        assertThat(up.out()).containsPattern("slow\\s+ready");
        long stubborn = cli.pid(a, "stubborn");
        cli.track(stubborn);

        DaemonCli.Result stop = cli.run(a, "stop", "stubborn");
        assertThat(stop.exit()).as(stop.toString()).isZero();
        assertThat(stop.took()).isGreaterThan(Duration.ofSeconds(5));
        assertThat(Procfs.session(stubborn)).isEmpty();
    }

    @Test
    void aServiceStillLoadingHoldsUpNeitherStatusNorAnotherProjectsUp() throws Exception {
        Path a = cli.project(
                "a",
                "services:\n" + service("loading", "sleep 12; echo loaded; exec sleep 1000")
                        + "    ready: { log: loaded }\n");
        Path b = cli.project("b", "services:\n" + service("beta", "exec sleep 1000"));
        assertThat(cli.run(b, "up").exit()).isZero(); // the daemon runs

        DaemonCli.Running slow = cli.start(a, "up");
        await().atMost(TestTimes.SHORT).until(() -> cli.services(b).containsKey("loading"));

        DaemonCli.Result status = cli.run(b, "status");
        assertThat(status.exit()).isZero();
        assertThat(slow.process().isAlive())
                .as("still loading: 'up' in a waits")
                .isTrue();
        DaemonCli.Result upB = cli.run(b, "up");
        assertThat(upB.exit()).as(upB.toString()).isZero();
        assertThat(upB.out()).contains("unchanged, kept running");
        assertThat(slow.process().isAlive())
                .as("b's up did not wait for a's model")
                .isTrue();
        assertThat(slow.await(TestTimes.APP).exit()).isZero();
    }

    @Test
    void theDaemonRefusesAnOverlongRequestWithoutReadingItAllAndKeepsAnswering() throws Exception {
        Path a = cli.project("a", "services:\n" + service("alpha", "exec sleep 1000"));
        assertThat(cli.run(a, "up").exit()).isZero();
        long daemon = cli.daemonPid().orElseThrow();

        AtomicLong sent = new AtomicLong();
        String reply;
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.connect(UnixDomainSocketAddress.of(cli.home.resolve("lifeline.sock")));
            // the channel's own read and write (its stream adapters would block each other)
            CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
                byte[] chunk = new byte[1 << 16];
                Arrays.fill(chunk, (byte) 'a');
                try {
                    ch.write(ByteBuffer.wrap("{\"op\":\"status\",\"pad\":\"".getBytes(StandardCharsets.UTF_8)));
                    for (int i = 0; i < 1024; i++) { // 64 MiB, no newline
                        ByteBuffer b = ByteBuffer.wrap(chunk);
                        while (b.hasRemaining()) {
                            sent.addAndGet(ch.write(b));
                        }
                    }
                } catch (java.io.IOException e) {
                    // the daemon hung up: expected
                }
            });
            reply = CompletableFuture.supplyAsync(() -> {
                        ByteArrayOutputStream got = new ByteArrayOutputStream();
                        ByteBuffer b = ByteBuffer.allocate(4096);
                        try {
                            while (ch.read(b) > 0) {
                                got.write(b.array(), 0, b.position());
                                b.clear();
                            }
                        } catch (java.io.IOException e) {
                            got.writeBytes(("(read failed: " + e + ")").getBytes(StandardCharsets.UTF_8));
                        }
                        return got.toString(StandardCharsets.UTF_8);
                    })
                    .get(TestTimes.SHORT.toMillis(), TimeUnit.MILLISECONDS);
            writer.cancel(true);
        }

        assertThat(reply).contains("\"ok\":false").contains("over 4 MiB");
        assertThat(sent.get()).as("the daemon stopped reading early").isLessThan(16L << 20);
        DaemonCli.Result status = cli.run(a, "status");
        assertThat(status.out()).contains("alpha").doesNotContain("started a new one");
        assertThat(cli.daemonPid()).contains(daemon);
    }

    @Test
    void startOfAServiceOfAFileNotYetAppliedRunsItOnce() throws Exception {
        Path a = cli.project("a", "services:\n" + service("alpha", "exec sleep 1000"));
        Path runs = tmp.resolve("runs.txt");
        Path b = cli.project("b", "services:\n" + service("beta", "echo run >> " + runs + "; exec sleep 1000"));
        assertThat(cli.run(a, "up").exit()).isZero();

        DaemonCli.Result start = cli.run(b, "start", "beta");

        assertThat(start.exit()).as(start.toString()).isZero();
        assertThat(start.out()).containsPattern("beta\\s+ready").doesNotContain("already running");
        long beta = cli.pid(b, "beta");
        assertThat(Files.readAllLines(runs)).hasSize(1);
        DaemonCli.Result again = cli.run(b, "start", "beta");
        assertThat(again.out()).contains("already running (pid " + beta + ")");
        assertThat(Files.readAllLines(runs)).hasSize(1);
    }

    /** {@code up one} applies the file for one service; {@code start other} of the same file runs the other. */
    @Test
    void startOfAServiceLeftOutOfAnEarlierUpOfItsFileRunsIt() throws Exception {
        Path runs = tmp.resolve("runs.txt");
        Path a = cli.project(
                "a",
                "services:\n" + service("alpha", "exec sleep 1000")
                        + service("beta", "echo run >> " + runs + "; exec sleep 1000"));
        assertThat(cli.run(a, "up", "alpha").exit()).isZero();

        DaemonCli.Result start = cli.run(a, "start", "beta");

        assertThat(start.exit()).as(start.toString()).isZero();
        assertThat(start.out()).containsPattern("beta\\s+ready");
        assertThat(Files.readAllLines(runs)).hasSize(1);
        cli.track(cli.pid(a, "beta"));
    }

    @Test
    void upAndStartOfAServiceThatExitsBeforeReadyFailWithItsLastLines() throws Exception {
        Path a = cli.project(
                "a",
                "services:\n" + service("doomed", "echo boom-line-$$; sleep 1; exit 7")
                        + "    ready: { log: never-printed, timeout: 1m }\n    restart: { policy: never }\n");

        DaemonCli.Result up = cli.run(a, "up");
        assertThat(up.exit()).as(up.toString()).isEqualTo(1);
        assertThat(up.err()).contains("lifeline: ").contains("boom-line-");

        DaemonCli.Result start = cli.run(a, "start", "doomed");
        assertThat(start.exit()).as(start.toString()).isEqualTo(1);
        assertThat(start.err()).contains("boom-line-");
    }

    @Test
    void theDaemonsExitLineCountsOnlyServicesStillRunning() throws Exception {
        Path a = cli.project(
                "a", "services:\n" + service("keep", "exec sleep 1000") + service("gone", "exec sleep 1000"));
        assertThat(cli.run(a, "up").exit()).isZero();
        cli.track(cli.pid(a, "keep"));
        assertThat(cli.run(a, "stop", "gone").exit()).isZero();
        long daemon = cli.daemonPid().orElseThrow();

        ProcessHandle.of(daemon).orElseThrow().destroy(); // TERM: the daemon goes, the services stay
        await().atMost(TestTimes.SHORT).until(() -> ProcessHandle.of(daemon).isEmpty());

        assertThat(Files.readString(cli.home.resolve("logs/daemon.log"))).contains("services left running: 1");
    }
}
