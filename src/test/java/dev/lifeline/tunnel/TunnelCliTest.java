package dev.lifeline.tunnel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lifeline.core.Json;
import dev.lifeline.daemon.Protocol;
import dev.lifeline.process.Ports;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code lifeline tunnel …} as a real process (this build's classes, its own LIFELINE_HOME),
 * against the in-process SSH server.
 */
class TunnelCliTest {
    @TempDir
    static Path shared;

    static SshTestServer sshd;

    @TempDir
    Path dir;

    TestApp app;
    final List<Process> started = new ArrayList<>();

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
        app = new TestApp();
    }

    @AfterEach
    void tearDown() throws InterruptedException {
        for (Process p : started) {
            p.destroyForcibly();
            p.waitFor(10, TimeUnit.SECONDS);
        }
        try { // a daemon that 'tunnel up' started
            long daemon = Long.parseLong(
                    Files.readString(dir.resolve("home/daemon.pid")).trim());
            ProcessHandle.of(daemon).ifPresent(ProcessHandle::destroy);
        } catch (IOException | NumberFormatException e) {
            // none was started
        }
        app.close();
    }

    Process lifeline(String... args) throws IOException {
        List<String> argv = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:TieredStopAtLevel=1",
                "-cp",
                System.getProperty("java.class.path"),
                "dev.lifeline.cli.Main"));
        argv.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(argv).redirectErrorStream(false);
        pb.environment().put("LIFELINE_HOME", dir.resolve("home").toString());
        Process p = pb.start();
        started.add(p);
        return p;
    }

    static String[] cat(List<String> a, String... b) {
        List<String> out = new ArrayList<>(a);
        out.addAll(List.of(b));
        return out.toArray(String[]::new);
    }

    List<String> pasted(Path knownHosts, int local) {
        List<String> a = new ArrayList<>(List.of("ssh"));
        a.addAll(sshd.sshArgs(sshd.port(), knownHosts));
        a.add("-L");
        a.add(local + ":127.0.0.1:" + app.port());
        return a;
    }

    @Test
    void unknownHostKeyEndsTheCommandWithTheFingerprintAndHowToTrustIt() throws Exception {
        Path empty = Files.writeString(dir.resolve("known_hosts"), "");
        Process p = lifeline(cat(
                List.of("tunnel", "--foreground", "--"),
                pasted(empty, TestApp.freePort()).toArray(String[]::new)));

        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.exitValue()).isEqualTo(1);
        assertThat(out).contains("starting").contains("ssh -tt -e none -o BatchMode=yes");
        assertThat(err)
                .startsWith("lifeline: host key of [127.0.0.1]:" + sshd.port() + " is not known")
                .contains("SHA256:");
        assertThat(err).contains("→ ").contains("lifeline tunnel trust -- ssh -F /dev/null -i ");
    }

    @Test
    void trustThenForegroundTunnelServesShowsInStatusAndDownFromAnotherTerminalLeavesNoSsh() throws Exception {
        Path known = Files.writeString(dir.resolve("known_hosts"), "");
        int local = TestApp.freePort();
        Process trust = lifeline(cat(
                List.of("tunnel", "trust", "--yes", "--"), pasted(known, local).toArray(String[]::new)));
        assertThat(trust.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(new String(trust.getInputStream().readAllBytes(), StandardCharsets.UTF_8))
                .contains("SHA256:")
                .contains("recorded");
        assertThat(Files.readString(known)).startsWith("[127.0.0.1]:" + sshd.port() + " ");

        Process fg = lifeline(cat(
                List.of("tunnel", "--foreground", "--"), pasted(known, local).toArray(String[]::new)));
        List<String> lines = new CopyOnWriteArrayList<>();
        Thread reader = new Thread(
                () -> {
                    try (BufferedReader r =
                            new BufferedReader(new InputStreamReader(fg.getInputStream(), StandardCharsets.UTF_8))) {
                        for (String l; (l = r.readLine()) != null; ) {
                            lines.add(l);
                        }
                    } catch (IOException e) {
                        // process ended
                    }
                },
                "test-cli-reader");
        reader.setDaemon(true);
        reader.start();
        await().atMost(TestTimes.UP).until(() -> lines.stream().anyMatch(l -> l.contains("  up  ")));
        assertThat(TestApp.get(local, "/", 5000)).isEqualTo("200 ok");

        await().atMost(TestTimes.UP).until(() -> {
            Process st = lifeline("tunnel", "status", "--json");
            st.waitFor(30, TimeUnit.SECONDS);
            String json = new String(st.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            return json.contains("\"name\" : \"127.0.0.1\"") && json.contains("\"state\" : \"up\"");
        });
        // what scripts read is the protocol's TunnelStatus, field for field (no second shape)
        List<TunnelStatus> decoded = statusJson();
        assertThat(decoded).singleElement().satisfies(st -> {
            assertThat(st.name()).isEqualTo("127.0.0.1");
            assertThat(st.state()).isEqualTo(TunnelState.UP);
            assertThat(st.pid()).isPositive();
            assertThat(st.forwards())
                    .singleElement()
                    .satisfies(f -> assertThat(f.local()).endsWith(":" + local));
        });

        Process down = lifeline("tunnel", "down", "127.0.0.1"); // another terminal; TERM, as Ctrl-C would
        assertThat(down.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(down.exitValue()).isZero();
        assertThat(fg.waitFor(15, TimeUnit.SECONDS)).isTrue();
        await().atMost(TestTimes.scaled(Duration.ofSeconds(5))).until(() -> !Ports.isListening(local));
    }

    @Test
    void tunnelUpFromTheConfigRunsItAndAMisspelledNameGetsASuggestion() throws Exception {
        Path empty = Files.writeString(dir.resolve("known_hosts"), "");
        String ssh = String.join(" ", sshd.sshArgs(sshd.port(), empty));
        Path config = Files.writeString(
                dir.resolve("lifeline.yaml"),
                "tunnels:\n  box:\n    ssh: \"" + ssh + "\"\n    forward: [\"" + TestApp.freePort() + ":127.0.0.1:"
                        + app.port() + "\"]\n");

        Process typo = lifeline("-c", config.toString(), "tunnel", "up", "bxo");
        assertThat(typo.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(typo.exitValue()).isEqualTo(2);
        assertThat(new String(typo.getErrorStream().readAllBytes(), StandardCharsets.UTF_8))
                .contains("no tunnel 'bxo'")
                .contains("did you mean 'box'");

        Process up = lifeline("-c", config.toString(), "tunnel", "up", "box");
        assertThat(up.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(up.exitValue()).isEqualTo(1);
        assertThat(new String(up.getInputStream().readAllBytes(), StandardCharsets.UTF_8))
                .contains("box")
                .contains("failed");
        assertThat(new String(up.getErrorStream().readAllBytes(), StandardCharsets.UTF_8))
                .contains("is not known")
                .contains("lifeline tunnel trust box");

        // the daemon keeps the failed tunnel; its hint is a field of the record scripts decode
        assertThat(statusJson()).singleElement().satisfies(st -> {
            assertThat(st.name()).isEqualTo("box");
            assertThat(st.state()).isEqualTo(TunnelState.FAILED);
            assertThat(st.lastError().orElseThrow()).contains("is not known");
            assertThat(st.hint().orElseThrow()).contains("lifeline tunnel trust box");
        });
    }

    /**
     * {@code tunnel status --json} decoded through {@link Protocol#tunnel}; each element must be
     * exactly the codec's shape (re-encoding the record gives the same JSON back).
     */
    private List<TunnelStatus> statusJson() throws Exception {
        Process st = lifeline("tunnel", "status", "--json");
        assertThat(st.waitFor(30, TimeUnit.SECONDS)).isTrue();
        String out = new String(st.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(st.exitValue()).as(out).isZero();
        JsonNode array = Json.parse(out);
        assertThat(array.isArray()).as(out).isTrue();
        List<TunnelStatus> all = new ArrayList<>();
        for (JsonNode n : array) {
            TunnelStatus s = Protocol.tunnel(n);
            assertThat(Json.write(Protocol.tunnel(s))).isEqualTo(Json.write(n));
            all.add(s);
        }
        return all;
    }

    @Test
    void aTunnelHostedByTheDaemonComesBackAfterTheDaemonIsKilled() throws Exception {
        Path known = Files.writeString(dir.resolve("known_hosts"), "");
        int local = TestApp.freePort();
        Process trust = lifeline(cat(
                List.of("tunnel", "trust", "--yes", "--"), pasted(known, local).toArray(String[]::new)));
        assertThat(trust.waitFor(30, TimeUnit.SECONDS)).isTrue();
        Process up = lifeline(cat(
                List.of("tunnel", "--name", "box", "--"), pasted(known, local).toArray(String[]::new)));
        assertThat(up.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(up.exitValue())
                .as(new String(up.getErrorStream().readAllBytes(), StandardCharsets.UTF_8))
                .isZero();
        assertThat(TestApp.get(local, "/", 5000)).isEqualTo("200 ok");
        long daemon =
                Long.parseLong(Files.readString(dir.resolve("home/daemon.pid")).trim());
        long ssh = Long.parseLong(
                Files.readString(dir.resolve("home/tunnels.json")).replaceAll("(?s).*\"pid\" : (\\d+).*", "$1"));

        ProcessHandle.of(daemon).orElseThrow().destroyForcibly();
        await().atMost(TestTimes.UP).until(() -> ProcessHandle.of(daemon).isEmpty());

        // The next command starts a daemon, which ends the orphaned ssh and brings the tunnel back.
        await().atMost(TestTimes.UP).until(() -> {
            Process st = lifeline("tunnel", "status", "--json");
            st.waitFor(30, TimeUnit.SECONDS);
            String json = new String(st.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            return json.contains("\"state\" : \"up\"");
        });
        assertThat(TestApp.get(local, "/", 5000)).isEqualTo("200 ok");
        // The old ssh is ended (a zombie counts as ended: this sandbox's init may reap it late).
        await().atMost(TestTimes.UP)
                .until(() -> dev.lifeline.process.Procfs.read(ssh)
                        .map(dev.lifeline.process.ProcessInfo::isZombie)
                        .orElse(true));
    }

    @Test
    void statusWithoutADaemonIsAnEmptyJsonArray() throws Exception {
        Process p = lifeline("tunnel", "status", "--json");
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim())
                .isEqualTo("[ ]");
        assertThat(p.exitValue()).isZero();
    }

    @Test
    void aPastedCommandThatSkipsVerificationIsOneClearError() throws Exception {
        Process p =
                lifeline("tunnel", "--", "ssh", "-o", "StrictHostKeyChecking=no", "-L", "7860:127.0.0.1:7860", "host");
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.exitValue()).isEqualTo(1);
        assertThat(err)
                .startsWith("lifeline: cannot use 'ssh -o StrictHostKeyChecking=no")
                .contains("would skip host key verification");
    }

    @Test
    void aFailedPastedTunnelInTheDaemonSuggestsRunningThePastedCommandAgain() throws Exception {
        Path empty = Files.writeString(dir.resolve("known_hosts"), "");
        Process p = lifeline(
                cat(List.of("tunnel", "--"), pasted(empty, TestApp.freePort()).toArray(String[]::new)));

        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.exitValue()).as(err).isEqualTo(1);
        assertThat(err)
                .contains("is not known")
                .contains("then run 'lifeline tunnel -- ssh -F /dev/null -i ")
                .doesNotContain("tunnel up");
    }

    @Test
    void aForegroundRunOfATunnelTheDaemonRunsSaysSoInsteadOfBlamingSshForThePort() throws Exception {
        Path known = Files.writeString(dir.resolve("known_hosts"), "");
        int local = TestApp.freePort();
        Process trust = lifeline(cat(
                List.of("tunnel", "trust", "--yes", "--"), pasted(known, local).toArray(String[]::new)));
        assertThat(trust.waitFor(30, TimeUnit.SECONDS)).isTrue();
        Process up = lifeline(cat(
                List.of("tunnel", "--name", "box", "--"), pasted(known, local).toArray(String[]::new)));
        assertThat(up.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(up.exitValue()).isZero();

        Process fg = lifeline(cat(
                List.of("tunnel", "--foreground", "--name", "box", "--"),
                pasted(known, local).toArray(String[]::new)));

        assertThat(fg.waitFor(30, TimeUnit.SECONDS)).isTrue();
        String err = new String(fg.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(fg.exitValue()).as(err).isEqualTo(1);
        assertThat(err)
                .contains("tunnel 'box' already runs in Lifeline's daemon (up)")
                .contains("lifeline tunnel down box")
                .doesNotContain("taken by");
        assertThat(TestApp.get(local, "/", 5000))
                .as("the daemon's tunnel is untouched")
                .isEqualTo("200 ok");
    }

    @Test
    void statusSaysWhenTheServerGaveNoSessionAndSmallRequestsMayWait() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(
                DebianSshd.available(), "needs /usr/sbin/sshd (apt-get install openssh-server)");
        try (DebianSshd real = DebianSshd.start(Files.createDirectories(dir.resolve("sshd")), "no-pty")) {
            int local = TestApp.freePort();
            List<String> args = new ArrayList<>(List.of("tunnel", "--foreground", "--name", "gpu", "--", "ssh"));
            args.addAll(real.sshArgs(real.port()));
            args.addAll(List.of("-L", local + ":127.0.0.1:" + app.port()));
            lifeline(args.toArray(String[]::new));

            await().atMost(TestTimes.UP).until(() -> {
                Process st = lifeline("tunnel", "status");
                st.waitFor(30, TimeUnit.SECONDS);
                String out = new String(st.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                return out.contains("gpu")
                        && out.contains(" up ")
                        && out.contains("plain -N: the server refuses a pty")
                        && out.contains("small requests may wait ~40 ms");
            });
            assertThat(TestApp.get(local, "/", 5000)).isEqualTo("200 ok");
        }
    }
}
