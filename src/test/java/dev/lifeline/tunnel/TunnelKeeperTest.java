package dev.lifeline.tunnel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.lifeline.config.SshArgs;
import dev.lifeline.config.TunnelSpec;
import dev.lifeline.core.Event;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real OpenSSH client ({@code ssh} on PATH) against an in-process MINA SSHD server, reached
 * through a {@link FaultRelay}. Everything stays on 127.0.0.1; ~/.ssh is never read.
 */
class TunnelKeeperTest {
    @TempDir
    static Path shared;

    static SshTestServer sshd;

    @TempDir
    Path dir;

    final List<Event> events = new CopyOnWriteArrayList<>();
    final List<AutoCloseable> closeLater = new ArrayList<>();
    TunnelManager manager;
    TestApp app;
    FaultRelay relay;
    Path knownHosts;

    @BeforeAll
    static void startServer() throws Exception {
        sshd = SshTestServer.start(shared);
    }

    @AfterAll
    static void stopServer() throws IOException {
        sshd.close();
    }

    @BeforeEach
    void setUp() throws IOException {
        manager = new TunnelManager(TunnelManager.Options.defaults(dir.resolve("logs")), events::add);
        app = new TestApp();
        relay = new FaultRelay(sshd.port());
        knownHosts = sshd.knownHosts("known_hosts", relay.port());
    }

    @AfterEach
    void tearDown() throws Exception {
        manager.close();
        relay.close();
        app.close();
        for (AutoCloseable c : closeLater) {
            c.close();
        }
    }

    TunnelSpec spec(String name, int localPort, int remotePort) {
        return spec(name, localPort, remotePort, TunnelSpec.DEFAULT_PROBE, knownHosts);
    }

    TunnelSpec spec(String name, int localPort, int remotePort, TunnelSpec.Probe probe, Path known) {
        SshArgs args = SshArgs.parse(sshd.sshArgs(relay.port(), known));
        return new TunnelSpec(
                name,
                args,
                List.of(TunnelSpec.Forward.parse(localPort + ":127.0.0.1:" + remotePort)),
                probe,
                TunnelSpec.DEFAULT_KEEPALIVE);
    }

    TunnelStatus upAndSettled(TunnelSpec spec) {
        manager.up(spec);
        return manager.awaitSettled(spec.name(), TestTimes.UP);
    }

    List<String> types() {
        return events.stream().map(Event::type).toList();
    }

    @Test
    void forwardsHttpThroughTheTunnelAndShowsTheSshCommand() {
        int local = TestApp.freePort();
        TunnelStatus st = upAndSettled(spec("box", local, app.port()));

        assertThat(st.state()).as(st.toString()).isEqualTo(TunnelState.UP);
        assertThat(TestApp.get(local, "/", 5000)).isEqualTo("200 ok");
        assertThat(st.command())
                .startsWith("ssh -tt -e none -o BatchMode=yes -o StrictHostKeyChecking=yes -o ExitOnForwardFailure=yes")
                .contains("-L 127.0.0.1:" + local + ":127.0.0.1:" + app.port())
                .endsWith("root@127.0.0.1 'exec cat'");
        assertThat(st.session()).isEqualTo("pty");
        assertThat(st.rttMillis()).isPresent();
        assertThat(st.forwards())
                .singleElement()
                .satisfies(f -> assertThat(f.remoteAnswers()).contains(true));
        assertThat(types()).contains("starting", "up");
    }

    @Test
    void servesFiftyConcurrentRequestsThroughOneForward() throws Exception {
        int local = TestApp.freePort();
        assertThat(upAndSettled(spec("box", local, app.port())).state()).isEqualTo(TunnelState.UP);

        ExecutorService pool = Executors.newFixedThreadPool(50);
        try {
            List<Future<String>> results = new ArrayList<>();
            for (int i = 0; i < 50; i++) {
                results.add(pool.submit(() -> TestApp.get(local, "/", 10_000)));
            }
            for (Future<String> f : results) {
                assertThat(f.get()).isEqualTo("200 ok");
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void blackHoleIsDeclaredDeadWithinSecondsAndRebuiltSoonAfterRestore() {
        int local = TestApp.freePort();
        assertThat(upAndSettled(spec("box", local, app.port())).state()).isEqualTo(TunnelState.UP);

        long t0 = System.nanoTime();
        relay.blackhole();
        await().atMost(TestTimes.DEAD_LINK_GOAL)
                .pollInterval(Duration.ofMillis(20))
                .until(() -> types().contains("down"));
        Duration detected = Duration.ofNanos(System.nanoTime() - t0);
        assertThat(detected).isLessThan(TestTimes.DEAD_LINK_PROMISE);
        Event down =
                events.stream().filter(e -> e.type().equals("down")).findFirst().orElseThrow();
        assertThat(down.message()).contains("no answer through the link");
        // still out: the keeper keeps trying, it does not give up
        await().atMost(TestTimes.UP)
                .until(() -> manager.status("box").orElseThrow().state() == TunnelState.RECONNECTING);

        long t1 = System.nanoTime();
        relay.restore();
        await().atMost(TestTimes.RECOVERY)
                .pollInterval(Duration.ofMillis(20))
                .until(() -> TestApp.get(local, "/", 1000).equals("200 ok"));
        Duration recovered = Duration.ofNanos(System.nanoTime() - t1);
        System.out.printf(
                "black hole: declared dead after %d ms, HTTP back %d ms after restore%n",
                detected.toMillis(), recovered.toMillis());
        await().atMost(TestTimes.RECOVERY).until(() -> types().contains("tunnel-up"));
        TunnelStatus st = manager.status("box").orElseThrow();
        assertThat(st.state()).isEqualTo(TunnelState.UP);
        assertThat(st.reconnects()).isEqualTo(1);
        assertThat(events.stream()
                        .filter(e -> e.type().equals("tunnel-up"))
                        .findFirst()
                        .orElseThrow()
                        .fields())
                .containsKey("downSeconds")
                .containsEntry("reconnects", 1);
    }

    @Test
    void slowLinkIsNotMistakenForADeadOne() {
        int local = TestApp.freePort();
        assertThat(upAndSettled(spec("box", local, app.port())).state()).isEqualTo(TunnelState.UP);

        relay.delay(Duration.ofMillis(300)); // every chunk, both ways: a round trip of 600 ms or more

        await().during(Duration.ofSeconds(6)).atMost(Duration.ofSeconds(7)).until(() -> !types().contains("down"));
        assertThat(TestApp.get(local, "/", 5000)).isEqualTo("200 ok");
        assertThat(manager.status("box").orElseThrow().rttMillis().orElseThrow())
                .isGreaterThanOrEqualTo(500L);
    }

    @Test
    void linkBusyWithABulkDownloadIsNotDeclaredDeadWhenProbesQueueBehindIt() throws Exception {
        int local = TestApp.freePort();
        assertThat(upAndSettled(spec("box", local, app.port())).state()).isEqualTo(TunnelState.UP);
        java.util.concurrent.atomic.AtomicLong received = new java.util.concurrent.atomic.AtomicLong();
        Thread download = new Thread(
                () -> {
                    try (java.net.Socket s = new java.net.Socket("127.0.0.1", local)) {
                        s.getOutputStream()
                                .write("GET /blob?mb=64 HTTP/1.0\r\n\r\n"
                                        .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
                        byte[] buf = new byte[65536];
                        for (int n; (n = s.getInputStream().read(buf)) >= 0; ) {
                            received.addAndGet(n);
                        }
                    } catch (IOException e) {
                        // ended
                    }
                },
                "test-download");
        download.setDaemon(true);
        download.start();
        closeLater.add(download::interrupt);
        await().atMost(TestTimes.UP).until(() -> received.get() > (1 << 20));

        relay.delay(
                Duration.ofMillis(250)); // a slow, saturated link: each 64 KiB chunk waits, probes queue behind data

        long before = received.get();
        await().during(Duration.ofSeconds(8)).atMost(Duration.ofSeconds(9)).until(() -> !types().contains("down"));
        assertThat(received.get()).as("the download kept moving").isGreaterThan(before + (256 << 10));
        relay.delay(Duration.ZERO);
    }

    @Test
    void unknownHostKeyFailsWithItsFingerprintAndTheTrustCommandWithoutRetrying() throws Exception {
        Path empty = java.nio.file.Files.writeString(dir.resolve("empty_known_hosts"), "");
        String line = java.nio.file.Files.readString(knownHosts).trim();
        String expected = new HostKeys.Key(line.split(" ")[1], line.split(" ")[2]).fingerprint();
        TunnelSpec spec = spec("box", TestApp.freePort(), app.port(), TunnelSpec.DEFAULT_PROBE, empty);

        TunnelStatus st = upAndSettled(spec);

        assertThat(st.state()).isEqualTo(TunnelState.FAILED);
        assertThat(st.lastError().orElseThrow())
                .contains("not known")
                .contains(expected)
                .contains("lifeline tunnel trust box");
        await().during(Duration.ofSeconds(2))
                .atMost(Duration.ofSeconds(3))
                .until(() ->
                        events.stream().filter(e -> e.type().equals("starting")).count() == 1);
    }

    @Test
    void changedHostKeyIsRefusedLoudlyAndNotRetried() throws Exception {
        Path impostor = dir.resolve("impostor");
        SshTestServer.run("ssh-keygen", "-q", "-t", "ecdsa", "-b", "521", "-N", "", "-f", impostor.toString());
        String pub = java.nio.file.Files.readString(Path.of(impostor + ".pub")).trim();
        Path known = java.nio.file.Files.writeString(
                dir.resolve("old_known_hosts"),
                "[127.0.0.1]:" + relay.port() + " " + pub.split(" ")[0] + " " + pub.split(" ")[1] + "\n");

        TunnelStatus st = upAndSettled(spec("box", TestApp.freePort(), app.port(), TunnelSpec.DEFAULT_PROBE, known));

        assertThat(st.state()).isEqualTo(TunnelState.FAILED);
        assertThat(st.lastError().orElseThrow())
                .contains("REFUSED")
                .contains("CHANGED")
                .contains("SHA256:")
                .contains(known + " line 1");
        assertThat(events.stream().filter(e -> e.type().equals("starting")).count())
                .isEqualTo(1);
        HostKeys.Scanned scanned =
                HostKeys.scan(spec("box", 1, 2, TunnelSpec.DEFAULT_PROBE, known), Duration.ofSeconds(5));
        assertThat(HostKeys.known(scanned)).isEqualTo(HostKeys.Known.OTHER_KEY);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> HostKeys.record(scanned))
                .hasMessageContaining("already holds a different key");
    }

    @Test
    void trustRecordsTheHostKeySoTheNextStartSucceeds() throws Exception {
        Path known = java.nio.file.Files.writeString(dir.resolve("trust_known_hosts"), "");
        TunnelSpec spec = spec("box", TestApp.freePort(), app.port(), TunnelSpec.DEFAULT_PROBE, known);
        HostKeys.Scanned scanned = HostKeys.scan(spec, Duration.ofSeconds(5));
        assertThat(scanned.hostName()).isEqualTo("[127.0.0.1]:" + relay.port());
        assertThat(scanned.knownHosts()).isEqualTo(known);
        assertThat(scanned.describe()).contains("SHA256:");

        assertThat(HostKeys.known(scanned)).isEqualTo(HostKeys.Known.NOTHING);
        HostKeys.record(scanned);

        assertThat(HostKeys.known(scanned)).isEqualTo(HostKeys.Known.SAME_KEY);
        assertThat(upAndSettled(spec).state()).isEqualTo(TunnelState.UP);
    }

    @Test
    void refusedLoginIsAPermanentFailureThatSaysSo() throws Exception {
        SshTestServer.run(
                "ssh-keygen",
                "-q",
                "-t",
                "ed25519",
                "-N",
                "",
                "-f",
                dir.resolve("stranger").toString());
        List<String> args = new ArrayList<>(sshd.sshArgs(relay.port(), knownHosts));
        args.set(
                args.indexOf(sshd.clientKey().toString()),
                dir.resolve("stranger").toString());
        TunnelSpec spec = new TunnelSpec(
                "box",
                SshArgs.parse(args),
                List.of(TunnelSpec.Forward.parse(TestApp.freePort() + ":127.0.0.1:" + app.port())),
                TunnelSpec.DEFAULT_PROBE,
                TunnelSpec.DEFAULT_KEEPALIVE);

        TunnelStatus st = upAndSettled(spec);

        assertThat(st.state()).isEqualTo(TunnelState.FAILED);
        assertThat(st.lastError().orElseThrow()).contains("refused the login").contains("Permission denied");
        assertThat(events.stream().filter(e -> e.type().equals("starting")).count())
                .isEqualTo(1);
    }

    @Test
    void keyWithAPassphraseAndNoAgentSaysHowToLoadItInsteadOfHanging() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(
                System.getenv("SSH_AUTH_SOCK") == null, "an agent is running here");
        Path locked = dir.resolve("locked_ed25519");
        SshTestServer.run("ssh-keygen", "-q", "-t", "ed25519", "-N", "secret words", "-f", locked.toString());
        List<String> args = new ArrayList<>(sshd.sshArgs(relay.port(), knownHosts));
        args.set(args.indexOf(sshd.clientKey().toString()), locked.toString());
        TunnelSpec spec = new TunnelSpec(
                "box",
                SshArgs.parse(args),
                List.of(TunnelSpec.Forward.parse(TestApp.freePort() + ":127.0.0.1:" + app.port())),
                TunnelSpec.DEFAULT_PROBE,
                TunnelSpec.DEFAULT_KEEPALIVE);

        TunnelStatus st = upAndSettled(spec);

        assertThat(st.state()).isEqualTo(TunnelState.FAILED);
        assertThat(st.lastError().orElseThrow())
                .contains("needs its passphrase")
                .contains("ssh-add " + locked);
    }

    @Test
    void localPortTakenFailsFastNamingTheProcessThatHoldsIt() throws Exception {
        int local = TestApp.freePort();
        Process holder = new ProcessBuilder(
                        "python3",
                        "-c",
                        "import socket,time; s=socket.socket(); s.bind(('127.0.0.1'," + local
                                + ")); s.listen(1); time.sleep(60)")
                .start();
        closeLater.add(() -> {
            holder.destroyForcibly();
            holder.waitFor();
        });
        await().atMost(TestTimes.UP).until(() -> dev.lifeline.process.Ports.isListening(local));

        TunnelStatus st = upAndSettled(spec("box", local, app.port()));

        assertThat(st.state()).isEqualTo(TunnelState.FAILED);
        assertThat(st.lastError().orElseThrow())
                .contains("local port " + local + " is taken by pid " + holder.pid())
                .contains("python3");
    }

    @Test
    void remoteAppDownIsDegradedWithoutReconnectingAndRecoversWhenItStarts() throws Exception {
        int local = TestApp.freePort();
        int remote = TestApp.freePort(); // nothing listens there yet

        TunnelStatus st = upAndSettled(spec("box", local, remote));

        assertThat(st.state()).isEqualTo(TunnelState.DEGRADED);
        assertThat(st.lastError().orElseThrow()).contains("nothing listens on 127.0.0.1:" + remote);
        assertThat(st.forwards())
                .singleElement()
                .satisfies(f -> assertThat(f.remoteAnswers()).contains(false));
        await().during(Duration.ofSeconds(3))
                .atMost(Duration.ofSeconds(4))
                .until(() ->
                        events.stream().filter(e -> e.type().equals("starting")).count() == 1
                                && manager.status("box").orElseThrow().state() == TunnelState.DEGRADED);

        TestApp late = new TestApp(remote);
        closeLater.add(late);
        await().atMost(TestTimes.UP)
                .until(() -> manager.status("box").orElseThrow().state() == TunnelState.UP);
        assertThat(TestApp.get(local, "/", 5000)).isEqualTo("200 ok");
        assertThat(manager.status("box").orElseThrow().reconnects()).isZero();
    }

    @Test
    void transientFailureAtStartIsRetriedUntilTheServerAppears() throws Exception {
        int serverPort = TestApp.freePort(); // nothing there yet: connection refused
        Path known = sshd.knownHosts("late_known_hosts", serverPort);
        TunnelSpec spec = new TunnelSpec(
                "box",
                SshArgs.parse(sshd.sshArgs(serverPort, known)),
                List.of(TunnelSpec.Forward.parse(TestApp.freePort() + ":127.0.0.1:" + app.port())),
                TunnelSpec.DEFAULT_PROBE,
                TunnelSpec.DEFAULT_KEEPALIVE);
        manager.up(spec);
        await().atMost(TestTimes.UP)
                .until(() ->
                        events.stream().filter(e -> e.type().equals("retrying")).count() >= 3);
        TunnelStatus waiting = manager.status("box").orElseThrow();
        assertThat(waiting.state()).isIn(TunnelState.CONNECTING, TunnelState.RECONNECTING);
        assertThat(waiting.lastError().orElseThrow()).contains("cannot reach 127.0.0.1 port " + serverPort);

        FaultRelay late = new FaultRelay(sshd.port(), serverPort);
        closeLater.add(late);

        await().atMost(TestTimes.scaled(Duration.ofSeconds(20)))
                .until(() -> manager.status("box").orElseThrow().state() == TunnelState.UP);
    }

    @Test
    void wallClockJumpRebuildsTheLinkAtOnce() {
        MutableClock clock = new MutableClock();
        manager.close();
        manager = new TunnelManager(
                TunnelManager.Options.defaults(dir.resolve("logs")), events::add, clock, System::nanoTime);
        int local = TestApp.freePort();
        assertThat(upAndSettled(spec("box", local, app.port())).state()).isEqualTo(TunnelState.UP);

        clock.jump(Duration.ofMinutes(30)); // the laptop slept

        await().atMost(TestTimes.scaled(Duration.ofSeconds(3))).until(() -> types().contains("tunnel-up"));
        assertThat(events.stream()
                        .filter(e -> e.type().equals("down"))
                        .findFirst()
                        .orElseThrow()
                        .message())
                .contains("clock jumped");
        assertThat(TestApp.get(local, "/", 5000)).isEqualTo("200 ok");
    }

    @Test
    void twentyForcedReconnectsLeaveThreadsAndOpenFilesAtTheirFormerLevel() {
        int local = TestApp.freePort();
        assertThat(upAndSettled(spec("box", local, app.port())).state()).isEqualTo(TunnelState.UP);
        forceReconnect(1); // warm up the JDK's process reaper and the relay
        long pid = ProcessHandle.current().pid();
        long threadsBefore = clientSideThreads();
        long fdsBefore = dev.lifeline.process.Procfs.openFds(pid);

        for (int i = 2; i <= 21; i++) {
            forceReconnect(i);
        }

        assertThat(TestApp.get(local, "/", 5000)).isEqualTo("200 ok");
        await().atMost(TestTimes.scaled(Duration.ofSeconds(20)))
                .pollInSameThread()
                .untilAsserted(() -> {
                    assertThat(clientSideThreads())
                            .as(() -> "threads now: "
                                    + Thread.getAllStackTraces().keySet().stream()
                                            .map(Thread::getName)
                                            .sorted()
                                            .toList())
                            .isLessThanOrEqualTo(threadsBefore);
                    assertThat(dev.lifeline.process.Procfs.openFds(pid)).isLessThanOrEqualTo(fdsBefore);
                });
    }

    /** Threads of this JVM minus the test's own server side (MINA's workers, the relay, the app), which grow on demand. */
    private static long clientSideThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(Thread::isAlive)
                .map(Thread::getName)
                .filter(n -> !n.startsWith("sshd-") && !n.startsWith("test-") && !n.startsWith("HTTP-Dispatcher"))
                .count();
    }

    private void forceReconnect(int n) {
        relay.resetAll();
        await().atMost(TestTimes.UP).until(() -> {
            TunnelStatus s = manager.status("box").orElseThrow();
            return s.reconnects() == n && s.state() == TunnelState.UP;
        });
    }

    /** A wall clock that can jump, as it does across sleep/wake; the monotonic clock keeps running. */
    static final class MutableClock extends java.time.Clock {
        private final java.util.concurrent.atomic.AtomicLong offset = new java.util.concurrent.atomic.AtomicLong();

        void jump(Duration d) {
            offset.addAndGet(d.toMillis());
        }

        @Override
        public java.time.ZoneId getZone() {
            return java.time.ZoneOffset.UTC;
        }

        @Override
        public java.time.Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public java.time.Instant instant() {
            return java.time.Instant.ofEpochMilli(millis());
        }

        @Override
        public long millis() {
            return System.currentTimeMillis() + offset.get();
        }
    }
}
