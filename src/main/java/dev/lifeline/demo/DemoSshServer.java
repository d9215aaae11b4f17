package dev.lifeline.demo;

import dev.lifeline.core.PrivateFiles;
import dev.lifeline.process.Exec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * A private OpenSSH server on 127.0.0.1 for {@code lifeline demo}, so the demo can show the tunnel
 * keeper without a second machine: its own host key, client key, {@code authorized_keys} and
 * {@code known_hosts} (the host key is trusted because the demo made it), and a config that allows
 * only key logins and local forwards. The daemon supervises the server like any other service.
 */
public final class DemoSshServer {
    private static final Path SSHD = Path.of("/usr/sbin/sshd");

    /**
     * @param sshdCommand the server, in the foreground, for the supervisor
     * @param clientArgs what goes under {@code tunnels.demo.ssh}
     */
    public record Setup(List<String> sshdCommand, String clientArgs, int port) {}

    private DemoSshServer() {}

    /** Prepares keys and config in {@code dir}; empty (with the reason told) where it cannot run. */
    public static Optional<Setup> prepare(Path dir, int port, Consumer<String> whyNot) {
        if (!Files.isExecutable(SSHD)) {
            whyNot.accept("OpenSSH's server is not installed here (apt-get install -y openssh-server)");
            return Optional.empty();
        }
        try {
            Files.createDirectories(dir);
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
            Path host = dir.resolve("host_ed25519");
            Path client = dir.resolve("client_ed25519");
            keygen(host);
            keygen(client);
            Files.copy(
                    dir.resolve("client_ed25519.pub"),
                    dir.resolve("authorized_keys"),
                    StandardCopyOption.REPLACE_EXISTING);
            String[] hostPub =
                    Files.readString(dir.resolve("host_ed25519.pub")).trim().split("\\s+");
            Path knownHosts = dir.resolve("known_hosts");
            PrivateFiles.writePrivate(knownHosts, "[127.0.0.1]:" + port + " " + hostPub[0] + " " + hostPub[1] + "\n");
            Path config = dir.resolve("sshd_config");
            PrivateFiles.writePrivate(
                    config,
                    String.join(
                            "\n",
                            List.of(
                                    "Port " + port,
                                    "ListenAddress 127.0.0.1",
                                    "HostKey " + host,
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
                                    "LogLevel ERROR",
                                    "")));
            if ("root".equals(System.getProperty("user.name"))) {
                Files.createDirectories(Path.of("/run/sshd")); // sshd's privilege-separation folder
            }
            String user = System.getProperty("user.name");
            String clientArgs = "-p " + port + " -i " + client + " -o IdentitiesOnly=yes -o UserKnownHostsFile="
                    + knownHosts + " -F /dev/null " + user + "@127.0.0.1";
            return Optional.of(
                    new Setup(List.of(SSHD.toString(), "-D", "-e", "-f", config.toString()), clientArgs, port));
        } catch (IOException | RuntimeException e) {
            whyNot.accept("cannot prepare a demo SSH server: " + e.getMessage());
            return Optional.empty();
        }
    }

    private static void keygen(Path key) throws IOException {
        if (Files.exists(key)) {
            return;
        }
        try {
            Exec.Result r = Exec.of(
                            "ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "lifeline-demo", "-f", key.toString())
                    .timeout(Duration.ofSeconds(30))
                    .run();
            if (!r.ok()) {
                throw new IOException("ssh-keygen failed for " + key + ": " + r.describe());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }
}
