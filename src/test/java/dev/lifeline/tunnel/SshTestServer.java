package dev.lifeline.tunnel;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.sshd.common.config.keys.PublicKeyEntry;
import org.apache.sshd.server.SshServer;
import org.apache.sshd.server.config.keys.AuthorizedKeysAuthenticator;
import org.apache.sshd.server.forward.AcceptAllForwardingFilter;
import org.apache.sshd.server.keyprovider.SimpleGeneratorHostKeyProvider;

/**
 * A real SSH server in-process (Apache MINA SSHD) on 127.0.0.1: key auth only, TCP forwarding on,
 * host key in a temp file. The client key is made by the real {@code ssh-keygen}.
 */
public final class SshTestServer implements AutoCloseable {
    private final SshServer server;
    private final Path dir;
    private final Path clientKey;

    private SshTestServer(SshServer server, Path dir, Path clientKey) {
        this.server = server;
        this.dir = dir;
        this.clientKey = clientKey;
    }

    public static SshTestServer start(Path dir) throws IOException, InterruptedException {
        Path key = dir.resolve("client_ed25519");
        run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "lifeline-test", "-f", key.toString());
        Path authorized = dir.resolve("authorized_keys");
        Files.copy(dir.resolve("client_ed25519.pub"), authorized);
        SshServer sshd = SshServer.setUpDefaultServer();
        sshd.setHost("127.0.0.1");
        sshd.setPort(0);
        SimpleGeneratorHostKeyProvider hostKeys = new SimpleGeneratorHostKeyProvider(dir.resolve("host.ser"));
        hostKeys.setAlgorithm("EC");
        sshd.setKeyPairProvider(hostKeys);
        sshd.setPublickeyAuthenticator(new AuthorizedKeysAuthenticator(authorized));
        sshd.setPasswordAuthenticator(null);
        sshd.setKeyboardInteractiveAuthenticator(null);
        sshd.setForwardingFilter(AcceptAllForwardingFilter.INSTANCE);
        // a command runs as a real process, through sh, as OpenSSH's sshd runs it (Lifeline's 'exec cat')
        sshd.setCommandFactory((channel, command) -> new org.apache.sshd.server.shell.ProcessShellFactory(
                        command, "/bin/sh", "-c", command)
                .createShell(channel));
        sshd.start();
        return new SshTestServer(sshd, dir, key);
    }

    public int port() {
        return server.getPort();
    }

    Path clientKey() {
        return clientKey;
    }

    /** A known_hosts file trusting this server's host key as reached on {@code port} (the relay's). */
    public Path knownHosts(String fileName, int port) throws IOException {
        StringBuilder b = new StringBuilder();
        try {
            for (KeyPair kp : server.getKeyPairProvider().loadKeys(null)) {
                b.append("[127.0.0.1]:")
                        .append(port)
                        .append(' ')
                        .append(PublicKeyEntry.toString(kp.getPublic()))
                        .append('\n');
            }
        } catch (java.security.GeneralSecurityException e) {
            throw new IOException(e);
        }
        Path f = dir.resolve(fileName);
        Files.writeString(f, b.toString(), StandardCharsets.UTF_8);
        return f;
    }

    /** ssh arguments (without forwards) reaching this server through {@code port}, isolated from ~/.ssh. */
    public List<String> sshArgs(int port, Path knownHosts) {
        return List.of(
                "-F",
                "/dev/null",
                "-i",
                clientKey.toString(),
                "-o",
                "IdentitiesOnly=yes",
                "-o",
                "UserKnownHostsFile=" + knownHosts,
                "-o",
                "GlobalKnownHostsFile=/dev/null",
                "-p",
                Integer.toString(port),
                "root@127.0.0.1");
    }

    @Override
    public void close() throws IOException {
        server.stop(true);
    }

    static void run(String... argv) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IOException(String.join(" ", argv) + " failed: " + out);
        }
    }
}
