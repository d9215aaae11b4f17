package dev.lifeline.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lifeline.core.Event;
import dev.lifeline.core.Home;
import dev.lifeline.process.Ports;
import dev.lifeline.testing.TestTimes;
import dev.lifeline.tunnel.SshTestServer;
import dev.lifeline.tunnel.TestApp;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The daemon's tunnels ({@link TunnelHost}) with real ssh against the in-process SSH server: how
 * fast they stop, and what {@code tunnels.json} says afterwards.
 */
class TunnelHostTest {
    /** "Well under a second": ssh ends on TERM in milliseconds; nothing else should be waited for. */
    static final Duration QUICK = TestTimes.scaled(Duration.ofMillis(800));

    @TempDir
    static Path shared;

    @RegisterExtension
    static final SshTestServer sshd = SshTestServer.perClass(() -> shared);

    @TempDir
    Path dir;

    TestApp app;
    Home home;
    TunnelHost host;
    Path known;
    final List<Event> events = new CopyOnWriteArrayList<>();

    @BeforeEach
    void setUp() throws IOException {
        app = new TestApp();
        home = new Home(dir.resolve("home")).ensure();
        known = sshd.knownHosts("known_hosts", sshd.port());
        host = new TunnelHost(home, events::add);
    }

    @AfterEach
    void tearDown() {
        host.close(true);
        app.close();
    }

    JsonNode up(String name, int local) {
        JsonNode st = host.up(sshd.tunnel(name, known, local, app.port()), true);
        assertThat(st.path("state").asText()).as(st.toString()).isEqualTo("up");
        return st;
    }

    @Test
    void tunnelDownAndDaemonDownWithTwoTunnelsEachTakeWellUnderASecondAndLeaveNoTunnelsJson() {
        int a = TestApp.freePort();
        int b = TestApp.freePort();
        int c = TestApp.freePort();
        up("a", a);
        up("b", b);
        up("c", c);
        assertThat(TestApp.get(a, "/", 5000)).isEqualTo("200 ok");

        long t0 = System.nanoTime();
        assertThat(host.down("a")).isTrue();
        Duration down = Duration.ofNanos(System.nanoTime() - t0);
        assertThat(Ports.isListening(a))
                .as("ssh is gone and the port free on return")
                .isFalse();

        t0 = System.nanoTime();
        host.close(true); // what the daemon's 'down' does
        Duration all = Duration.ofNanos(System.nanoTime() - t0);
        System.out.printf("tunnel down: %d ms; daemon down with two tunnels: %d ms%n", down.toMillis(), all.toMillis());
        assertThat(down).isLessThan(QUICK);
        assertThat(all).isLessThan(QUICK);
        assertThat(Ports.isListening(b) || Ports.isListening(c)).isFalse();
        assertThat(events.stream().filter(e -> e.type().equals("stopped")).count())
                .isEqualTo(3);

        // the tunnels' last events came after the file was dropped: none may write it again, or
        // the next command would start a daemon to bring the stopped tunnels back
        Path file = home.root().resolve("tunnels.json");
        await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(2)).until(() -> !Files.exists(file));
        assertThat(DaemonClient.of(home).hasState()).isFalse();
    }

    @Test
    void downOfTheLastTunnelLeavesNothingToRestore() {
        int a = TestApp.freePort();
        up("a", a);
        Path file = home.root().resolve("tunnels.json");
        assertThat(file).exists();

        assertThat(host.down("a")).isTrue();

        await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(2)).until(() -> !Files.exists(file));
    }
}
