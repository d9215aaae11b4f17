package dev.lifeline.tunnel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.lifeline.config.SshArgs;
import dev.lifeline.config.TunnelSpec;
import dev.lifeline.core.Event;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Lifeline's session against Debian's OpenSSH sshd (package openssh-server): small requests
 * without Nagle stalls, a link check the server does not log, and the fall back to plain
 * {@code -N} where the server refuses a pty or runs a command of its own.
 */
class TunnelSessionTest {
    @TempDir
    Path dir;

    final List<Event> events = new CopyOnWriteArrayList<>();
    final List<AutoCloseable> closeLater = new ArrayList<>();
    TunnelManager manager;
    int app;

    @BeforeEach
    void setUp() throws Exception {
        Assumptions.assumeTrue(DebianSshd.available(), "needs /usr/sbin/sshd (apt-get install openssh-server)");
        manager = new TunnelManager(TunnelManager.Options.defaults(dir.resolve("logs")), events::add);
        app = startApp();
    }

    @AfterEach
    void tearDown() throws Exception {
        if (manager != null) {
            manager.close();
        }
        for (AutoCloseable c : closeLater) {
            c.close();
        }
    }

    /** The app: python's http.server, which writes a reply's headers and body in two writes (as many do). */
    int startApp() throws IOException {
        int port = TestApp.freePort();
        Path root = Files.createDirectories(dir.resolve("www"));
        Files.writeString(root.resolve("index.html"), "ok");
        Process p = new ProcessBuilder("python3", "-m", "http.server", "--bind", "127.0.0.1", Integer.toString(port))
                .directory(root.toFile())
                .redirectErrorStream(true)
                .redirectOutput(dir.resolve("app.log").toFile())
                .start();
        closeLater.add(() -> {
            p.destroy();
            p.waitFor(5, TimeUnit.SECONDS);
        });
        await().atMost(TestTimes.UP).until(() -> dev.lifeline.process.Ports.isListening(port));
        return port;
    }

    DebianSshd sshd(String keyOptions) throws Exception {
        Path d = Files.createDirectories(dir.resolve("sshd"));
        DebianSshd s = DebianSshd.start(d, keyOptions);
        closeLater.add(0, s);
        return s;
    }

    TunnelSpec spec(List<String> sshArgs, int local) {
        return new TunnelSpec(
                "gpu",
                SshArgs.parse(sshArgs),
                List.of(TunnelSpec.Forward.parse(local + ":127.0.0.1:" + app)),
                TunnelSpec.DEFAULT_PROBE,
                TunnelSpec.DEFAULT_KEEPALIVE);
    }

    TunnelStatus upAndSettled(TunnelSpec spec) {
        manager.up(spec);
        return manager.awaitSettled(spec.name(), TestTimes.UP);
    }

    /** One small GET on a new connection, as a browser page's scripts and polls are; milliseconds. */
    static double timedGet(int port) throws IOException {
        long t0 = System.nanoTime();
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 5000);
            s.setSoTimeout(5000);
            s.getOutputStream().write("GET / HTTP/1.0\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            InputStream in = s.getInputStream();
            String reply = new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
            assertThat(reply).startsWith("HTTP/1.0 200").endsWith("ok");
        }
        return (System.nanoTime() - t0) / 1e6;
    }

    static double p90(int port, int n) throws IOException {
        for (int i = 0; i < 5; i++) {
            timedGet(port); // warm up
        }
        double[] t = new double[n];
        for (int i = 0; i < n; i++) {
            t[i] = timedGet(port);
        }
        java.util.Arrays.sort(t);
        return t[(int) Math.ceil(n * 0.9) - 1];
    }

    @Test
    void smallRequestsAreWithinAFewMillisecondsOfDirectAndTheLinkCheckLeavesNoLineInTheServersLog() throws Exception {
        DebianSshd sshd = sshd("");
        int local = TestApp.freePort();
        TunnelStatus st = upAndSettled(spec(sshd.sshArgs(sshd.port()), local));
        assertThat(st.state()).as(st.toString()).isEqualTo(TunnelState.UP);
        assertThat(st.session()).isEqualTo("pty");

        // three turns, interleaved: a busy neighbour on the machine spoils a turn, Nagle spoils every one
        double direct = Double.MAX_VALUE;
        double tunnel = Double.MAX_VALUE;
        for (int turn = 0; turn < 3; turn++) {
            direct = Math.min(direct, p90(app, 60));
            tunnel = Math.min(tunnel, p90(local, 60));
        }
        System.out.printf(
                "60 small GETs, best p90 of 3 turns: direct %.2f ms, through the tunnel %.2f ms%n", direct, tunnel);
        // Nagle and delayed ACKs would add ~40 ms to one request in three
        assertThat(tunnel)
                .isLessThan(direct + TestTimes.scaled(Duration.ofMillis(6)).toMillis());

        // Quiet: a link check every second, yet the server logs nothing after the login and the session
        int before = sshd.log().size();
        long localLog = Files.size(dir.resolve("logs/tunnel-gpu.log"));
        await().during(Duration.ofSeconds(8))
                .atMost(Duration.ofSeconds(9))
                .until(() -> manager.status("gpu").orElseThrow().state() == TunnelState.UP);
        List<String> after = sshd.log().subList(before, sshd.log().size());
        assertThat(after)
                .as("lines the server logged while the tunnel was checked 8 times")
                .isEmpty();
        assertThat(Files.size(dir.resolve("logs/tunnel-gpu.log")))
                .as("ssh's own log on this side")
                .isEqualTo(localLog);
        assertThat(manager.status("gpu").orElseThrow().rttMillis()).isPresent();
    }

    @Test
    void aKeyWithNoPtyFallsBackToPlainSshSaysSoAndADeadLinkIsStillFoundWithinFiveSeconds() throws Exception {
        DebianSshd sshd = sshd("no-pty");
        FaultRelay relay = new FaultRelay(sshd.port());
        closeLater.add(0, relay);
        int local = TestApp.freePort();

        TunnelStatus st = upAndSettled(spec(sshd.sshArgs(relay.port()), local));

        assertThat(st.state()).as(st.toString()).isEqualTo(TunnelState.UP);
        assertThat(st.session())
                .startsWith("plain -N: the server refuses a pty")
                .contains("small requests may wait");
        assertThat(TestApp.get(local, "/", 5000)).isEqualTo("200 ok");
        assertThat(events.stream().map(Event::type))
                .as("the switch is no outage: nothing to notify")
                .contains("session")
                .doesNotContain("failed", "down", "tunnel-up");

        long t0 = System.nanoTime();
        relay.blackhole();
        await().atMost(TestTimes.DEAD_LINK_GOAL)
                .pollInterval(Duration.ofMillis(20))
                .until(() -> events.stream().anyMatch(e -> e.type().equals("down")));
        Duration detected = Duration.ofNanos(System.nanoTime() - t0);
        System.out.printf("no-pty: black hole declared dead after %d ms%n", detected.toMillis());
        assertThat(detected).isLessThan(TestTimes.scaled(Duration.ofMillis(5500)));
        relay.restore();
        await().atMost(TestTimes.UP).until(() -> TestApp.get(local, "/", 1000).equals("200 ok"));
        assertThat(manager.status("gpu").orElseThrow().session()).startsWith("plain -N");
    }

    @Test
    void aForcedCommandThatEndsTheSessionFallsBackToPlainSsh() throws Exception {
        DebianSshd sshd = sshd("command=\"echo this key is for tunnels only\"");
        int local = TestApp.freePort();

        manager.up(spec(sshd.sshArgs(sshd.port()), local));

        // the pty may echo a first check before the command ends: the fallback then follows at once
        await().atMost(TestTimes.UP).until(() -> {
            TunnelStatus st = manager.status("gpu").orElseThrow();
            return st.state() == TunnelState.UP
                    && st.session().contains("the server ended Lifeline's session with status 0")
                    && TestApp.get(local, "/", 1000).equals("200 ok");
        });
        assertThat(TestApp.get(local, "/", 5000)).isEqualTo("200 ok");
        await().during(Duration.ofSeconds(3))
                .atMost(Duration.ofSeconds(4))
                .until(() -> manager.status("gpu").orElseThrow().state() == TunnelState.UP);
        assertThat(events.stream().map(Event::type)).doesNotContain("failed", "down", "tunnel-up");
    }

    @Test
    void aForcedCommandThatDoesNotEchoFallsBackToPlainSshInsteadOfLookingDead() throws Exception {
        DebianSshd sshd = sshd("command=\"stty -echo; exec sleep 600\"");
        int local = TestApp.freePort();

        manager.up(spec(sshd.sshArgs(sshd.port()), local));

        // the first echo may come before the command turns it off: the fallback then follows at once
        await().atMost(TestTimes.UP).until(() -> {
            TunnelStatus st = manager.status("gpu").orElseThrow();
            return st.state() == TunnelState.UP
                    && st.session().contains("does not echo")
                    && TestApp.get(local, "/", 1000).equals("200 ok");
        });
        assertThat(TestApp.get(local, "/", 5000)).isEqualTo("200 ok");
        await().during(Duration.ofSeconds(4))
                .atMost(Duration.ofSeconds(5))
                .until(() -> manager.status("gpu").orElseThrow().state() == TunnelState.UP);
        assertThat(events.stream().map(Event::type)).doesNotContain("failed");
    }
}
