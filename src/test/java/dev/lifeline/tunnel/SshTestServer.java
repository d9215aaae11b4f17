package dev.lifeline.tunnel;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lifeline.core.Json;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.apache.sshd.common.config.keys.PublicKeyEntry;
import org.apache.sshd.server.SshServer;
import org.apache.sshd.server.config.keys.AuthorizedKeysAuthenticator;
import org.apache.sshd.server.forward.AcceptAllForwardingFilter;
import org.apache.sshd.server.keyprovider.SimpleGeneratorHostKeyProvider;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A real SSH server in-process (Apache MINA SSHD) on 127.0.0.1: key auth only, TCP forwarding on,
 * host key in a temp file. The client key is made by the real {@code ssh-keygen}.
 */
public final class SshTestServer implements AutoCloseable, BeforeAllCallback, AfterAllCallback {
    private final Supplier<Path> folder;
    private SshServer server;
    private Path dir;
    private Path clientKey;

    private SshTestServer(Supplier<Path> folder) {
        this.folder = folder;
    }

    public static SshTestServer start(Path dir) throws IOException, InterruptedException {
        SshTestServer s = new SshTestServer(() -> dir);
        s.start();
        return s;
    }

    /**
     * For a static {@code @RegisterExtension}: one server for the whole test class, its keys in the
     * folder {@code dir} gives when the class starts (a static {@code @TempDir}), stopped after it.
     */
    public static SshTestServer perClass(Supplier<Path> dir) {
        return new SshTestServer(dir);
    }

    @Override
    public void beforeAll(ExtensionContext context) throws IOException, InterruptedException {
        start();
    }

    @Override
    public void afterAll(ExtensionContext context) throws IOException {
        close();
    }

    private void start() throws IOException, InterruptedException {
        dir = folder.get();
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
        server = sshd;
        clientKey = key;
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

    /**
     * A tunnel as the daemon's {@code TunnelHost} takes it: {@code name}, and the ssh command line
     * forwarding 127.0.0.1:{@code local} to 127.0.0.1:{@code remote} on the server's side.
     */
    public ObjectNode tunnel(String name, Path knownHosts, int local, int remote) {
        List<String> args = new ArrayList<>(List.of("ssh"));
        args.addAll(sshArgs(port(), knownHosts));
        args.add("-L");
        args.add(local + ":127.0.0.1:" + remote);
        ObjectNode source = Json.object().put("name", name);
        source.set("args", Json.strings(args));
        return source;
    }

    @Override
    public void close() throws IOException {
        if (server != null) {
            server.stop(true);
        }
    }

    static void run(String... argv) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IOException(String.join(" ", argv) + " failed: " + out);
        }
    }
}
