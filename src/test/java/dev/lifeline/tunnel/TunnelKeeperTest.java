package dev.lifeline.tunnel;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lifeline.config.SshArgs;
import dev.lifeline.config.TunnelSpec;
import dev.lifeline.core.Event;
import java.io.IOException;
import java.nio.file.Path;
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
                .startsWith("ssh -N -o BatchMode=yes -o StrictHostKeyChecking=yes -o ExitOnForwardFailure=yes")
                .contains("-L 127.0.0.1:" + local + ":127.0.0.1:" + app.port())
                .endsWith("root@127.0.0.1");
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
}
