package dev.lifeline.cli;

import static dev.lifeline.testing.Services.sh;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.lifeline.testing.Services;
import dev.lifeline.testing.TestTimes;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the {@code dashboard:} key does to a real daemon: off, refused, a busy port, a changed listen. */
class DashboardConfigTest {
    @TempDir
    Path tmp;

    DaemonCli cli;

    @BeforeEach
    void setUp() throws IOException {
        cli = new DaemonCli(tmp);
    }

    @AfterEach
    void tearDown() throws IOException {
        cli.close();
    }

    private static String app(String dashboard) {
        return "services:\n  alpha:\n    command: " + sh("exec sleep 1000") + "\n" + dashboard;
    }

    @Test
    void aNonLoopbackListenIsRefusedWithItsPlaceAndNothingStarts() throws Exception {
        Path p = cli.project("p", app("dashboard:\n  listen: 0.0.0.0:0\n"));

        DaemonCli.Result up = cli.run(p, "up");

        assertThat(up.exit()).as(up.toString()).isNotZero();
        assertThat(up.err())
                .contains("lifeline.yaml:5:")
                .contains("dashboard.listen")
                .contains("other machines can reach")
                .contains("allow-remote: true");
        assertThat(cli.daemonPid()).isEmpty();
    }

    @Test
    void dashboardFalseOpensNoPortAndABusyPortIsAWarningAndAChangedListenMovesTheServer() throws Exception {
        Path p = cli.project("p", app("dashboard: false\n"));
        assertThat(cli.run(p, "up").exit()).isZero();
        long daemon = cli.daemonPid().orElseThrow();

        DaemonCli.Result off = cli.run(p, "dashboard", "--url");
        assertThat(off.exit()).as(off.toString()).isEqualTo(1);
        assertThat(off.err()).contains("not listening").contains("dashboard: false");
        assertThat(listeningPorts(daemon))
                .as("the daemon's listening TCP sockets")
                .isEmpty();

        try (ServerSocket busy = new ServerSocket()) {
            busy.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            int port = busy.getLocalPort();
            Files.writeString(p.resolve("lifeline.yaml"), app("dashboard: { listen: 127.0.0.1:" + port + " }\n"));
            DaemonCli.Result up = cli.run(p, "up");
            assertThat(up.exit()).as(up.toString()).isZero();
            Path log = cli.home.resolve("logs").resolve("daemon.log");
            await().atMost(TestTimes.SHORT).until(() -> Files.readString(log).contains("dashboard-unavailable"));
            assertThat(Files.readString(log))
                    .contains("cannot listen on 127.0.0.1:" + port)
                    .contains("in use");
            DaemonCli.Result status = cli.run(p, "status");
            assertThat(status.exit()).as(status.toString()).isZero();
            assertThat(status.out()).contains("alpha");
            DaemonCli.Result url = cli.run(p, "dashboard", "--url");
            assertThat(url.exit()).isEqualTo(1);
            assertThat(url.err()).contains("port " + port).contains("in use");
        }

        int free = Services.freePort();
        Files.writeString(p.resolve("lifeline.yaml"), app("dashboard: { listen: 127.0.0.1:" + free + " }\n"));
        assertThat(cli.run(p, "up").exit()).isZero();
        DaemonCli.Result url = cli.run(p, "dashboard", "--url");
        assertThat(url.exit()).as(url.toString()).isZero();
        assertThat(URI.create(url.out().strip()).getPort()).isEqualTo(free);
        assertThat(listeningPorts(daemon)).containsExactly(free);

        int other = Services.freePort();
        Files.writeString(p.resolve("lifeline.yaml"), app("dashboard: { listen: 127.0.0.1:" + other + " }\n"));
        assertThat(cli.run(p, "up").exit()).isZero();
        await().atMost(TestTimes.SHORT).until(() -> listeningPorts(daemon).equals(Set.of(other)));
        assertThat(daemon).as("the same daemon").isEqualTo(cli.daemonPid().orElseThrow());
    }

    /** The TCP ports a process listens on: its socket fds matched with /proc/net/tcp{,6} LISTEN rows. */
    static Set<Integer> listeningPorts(long pid) throws IOException {
        Set<String> inodes = new HashSet<>();
        try (var fds = Files.list(Path.of("/proc/" + pid + "/fd"))) {
            for (Path fd : fds.toList()) {
                try {
                    String target = Files.readSymbolicLink(fd).toString();
                    if (target.startsWith("socket:[")) {
                        inodes.add(target.substring(8, target.length() - 1));
                    }
                } catch (IOException e) {
                    // closed meanwhile
                }
            }
        }
        Set<Integer> ports = new HashSet<>();
        for (String table : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
            Path t = Path.of(table);
            if (!Files.exists(t)) {
                continue;
            }
            for (String line : Files.readAllLines(t)) {
                String[] f = line.trim().split("\\s+");
                if (f.length > 9 && f[3].equals("0A") && inodes.contains(f[9])) {
                    ports.add(Integer.parseInt(f[1].substring(f[1].indexOf(':') + 1), 16));
                }
            }
        }
        return ports;
    }
}
