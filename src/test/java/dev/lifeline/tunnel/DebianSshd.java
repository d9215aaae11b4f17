package dev.lifeline.tunnel;

import static org.awaitility.Awaitility.await;

import dev.lifeline.process.Ports;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Debian's OpenSSH server ({@code /usr/sbin/sshd}, package openssh-server) on 127.0.0.1 with its
 * own config, port, host key and authorized_keys in a temp folder (never the system's sshd), at
 * LogLevel VERBOSE into a file of its own, so tests can read what a real server logs.
 */
final class DebianSshd implements AutoCloseable {
    static final Path SSHD = Path.of("/usr/sbin/sshd");

    private final Process process;
    private final Path dir;
    private final int port;

    private DebianSshd(Process process, Path dir, int port) {
        this.process = process;
        this.dir = dir;
        this.port = port;
    }

    /** sshd is installed and its privilege separation folder exists (or can be made: root). */
    static boolean available() {
        if (!Files.isExecutable(SSHD)) {
            return false;
        }
        try {
            Files.createDirectories(Path.of("/run/sshd"));
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** @param keyOptions authorized_keys options for the client key ({@code no-pty}, {@code command="…"}), or "" */
    static DebianSshd start(Path dir, String keyOptions) throws IOException, InterruptedException {
        SshTestServer.run(
                "ssh-keygen",
                "-q",
                "-t",
                "ed25519",
                "-N",
                "",
                "-f",
                dir.resolve("host").toString());
        SshTestServer.run(
                "ssh-keygen",
                "-q",
                "-t",
                "ed25519",
                "-N",
                "",
                "-f",
                dir.resolve("client").toString());
        int port = TestApp.freePort();
        Files.writeString(
                dir.resolve("sshd_config"),
                String.join(
                        "\n",
                        "Port " + port,
                        "ListenAddress 127.0.0.1",
                        "HostKey " + dir.resolve("host"),
                        "PidFile none",
                        "AuthorizedKeysFile " + dir.resolve("authorized_keys"),
                        "PermitRootLogin prohibit-password",
                        "PubkeyAuthentication yes",
                        "PasswordAuthentication no",
                        "KbdInteractiveAuthentication no",
                        "UsePAM no",
                        "StrictModes no",
                        "AllowTcpForwarding local",
                        "X11Forwarding no",
                        "PrintMotd no",
                        "LogLevel VERBOSE",
                        ""));
        DebianSshd d = new DebianSshd(null, dir, port);
        d.authorize(keyOptions);
        Process p = new ProcessBuilder(
                        SSHD.toString(),
                        "-D",
                        "-f",
                        dir.resolve("sshd_config").toString(),
                        "-E",
                        dir.resolve("sshd.log").toString())
                .redirectErrorStream(true)
                .redirectOutput(dir.resolve("sshd.out").toFile())
                .start();
        await().atMost(TestTimes.UP).until(() -> Ports.isListening(port) || !p.isAlive());
        if (!p.isAlive()) {
            throw new IOException("sshd did not start: " + Files.readString(dir.resolve("sshd.out"))
                    + (Files.exists(dir.resolve("sshd.log")) ? Files.readString(dir.resolve("sshd.log")) : ""));
        }
        return new DebianSshd(p, dir, port);
    }

    /** Rewrites authorized_keys (sshd reads it at each login). */
    void authorize(String keyOptions) throws IOException {
        String pub = Files.readString(dir.resolve("client.pub")).trim();
        Files.writeString(dir.resolve("authorized_keys"), (keyOptions.isEmpty() ? "" : keyOptions + " ") + pub + "\n");
    }

    int port() {
        return port;
    }

    /** What the server logged so far. */
    List<String> log() throws IOException {
        Path f = dir.resolve("sshd.log");
        return Files.exists(f) ? Files.readAllLines(f, StandardCharsets.UTF_8) : List.of();
    }

    /** A known_hosts file trusting this server as reached on {@code viaPort} (its own, or a relay's). */
    Path knownHosts(int viaPort) throws IOException {
        String pub = Files.readString(dir.resolve("host.pub")).trim();
        String[] f = pub.split(" ");
        return Files.writeString(
                dir.resolve("known_hosts_" + viaPort), "[127.0.0.1]:" + viaPort + " " + f[0] + " " + f[1] + "\n");
    }

    /** ssh arguments (without forwards) reaching this server through {@code viaPort}, isolated from ~/.ssh. */
    List<String> sshArgs(int viaPort) throws IOException {
        return List.of(
                "-F",
                "/dev/null",
                "-i",
                dir.resolve("client").toString(),
                "-o",
                "IdentitiesOnly=yes",
                "-o",
                "UserKnownHostsFile=" + knownHosts(viaPort),
                "-o",
                "GlobalKnownHostsFile=/dev/null",
                "-p",
                Integer.toString(viaPort),
                System.getProperty("user.name") + "@127.0.0.1");
    }

    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
