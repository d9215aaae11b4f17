package dev.lifeline.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lifeline.core.Event;
import dev.lifeline.core.Home;
import dev.lifeline.metrics.Promtool;
import dev.lifeline.supervisor.Supervisor;
import dev.lifeline.testing.TestTimes;
import dev.lifeline.tunnel.SshTestServer;
import dev.lifeline.tunnel.TestApp;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A tunnel as {@code /metrics} shows it: real ssh against the in-process SSH server, forwarding
 * to a real app; the app going away shows as its forward's remote end down and the tunnel not up.
 */
class MetricsFeedTunnelTest {
    @TempDir
    static Path shared;

    @RegisterExtension
    static final SshTestServer sshd = SshTestServer.perClass(() -> shared);

    @TempDir
    Path dir;

    TestApp app;
    Supervisor supervisor;
    ProjectHost projects;
    TunnelHost tunnels;
    final List<Event> events = new CopyOnWriteArrayList<>();

    @BeforeEach
    void setUp() throws IOException {
        app = new TestApp();
        Home home = new Home(dir.resolve("home")).ensure();
        supervisor = new Supervisor(home, events::add);
        projects = new ProjectHost(home, supervisor, events::add);
        tunnels = new TunnelHost(home, events::add);
    }

    @AfterEach
    void tearDown() {
        tunnels.close(true);
        projects.close();
        supervisor.close();
        app.close();
    }

    @Test
    void theTunnelItsRttAndWhetherTheRemoteAppAnswersAreMetrics() throws Exception {
        int local = TestApp.freePort();
        ObjectNode source = sshd.tunnel("gpu-box", sshd.knownHosts("known_hosts", sshd.port()), local, app.port());
        assertThat(tunnels.up(source, true).path("state").asText()).isEqualTo("up");

        MetricsFeed feed = new MetricsFeed(supervisor, projects, tunnels);
        String forward = "lifeline_tunnel_forward_remote_up{local=\"127.0.0.1:" + local + "\",remote=\"127.0.0.1:"
                + app.port() + "\",tunnel=\"gpu-box\"}";
        await().atMost(TestTimes.SHORT)
                .until(() -> feed.text().contains("lifeline_tunnel_rtt_seconds{tunnel=\"gpu-box\"}"));
        String up = feed.text();
        assertThat(up)
                .contains("lifeline_tunnel_up{tunnel=\"gpu-box\"} 1.0")
                .contains("lifeline_tunnel_state{state=\"up\",tunnel=\"gpu-box\"} 1.0")
                .contains("lifeline_tunnel_reconnects_total{tunnel=\"gpu-box\"} 0.0")
                .contains(forward + " 1.0");
        if (Files.isExecutable(Promtool.BINARY)) {
            Promtool.Result r = Promtool.checkMetrics(up);
            assertThat(r.exit()).as(r.output() + "\n" + up).isZero();
        }

        app.close(); // the app on the server stops: the link works, the forward's remote end does not answer
        await().atMost(TestTimes.APP).until(() -> feed.text().contains(forward + " 0.0"));
        String down = feed.text();
        assertThat(down)
                .contains("lifeline_tunnel_up{tunnel=\"gpu-box\"} 0.0")
                .contains("lifeline_tunnel_state{state=\"degraded\",tunnel=\"gpu-box\"} 1.0");
    }
}
