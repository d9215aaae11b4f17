package dev.lifeline.tunnel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lifeline.config.SshArgs;
import dev.lifeline.config.TunnelSpec;
import java.util.List;
import org.junit.jupiter.api.Test;

class PastedCommandTest {

    static TunnelSpec pasted(String line) {
        return TunnelSpec.fromCommand(null, SshArgs.split(line));
    }

    @Test
    void readsTheSeedArticlesCommand() {
        TunnelSpec t = pasted("ssh -L 7860:127.0.0.1:7860 -p 31099 root@gpu-xxxxx.ssh.gpu.csdn.net");

        assertThat(t.name()).isEqualTo("gpu-xxxxx.ssh.gpu.csdn.net");
        assertThat(t.trustCommand())
                .isEqualTo(
                        "lifeline tunnel trust -- ssh -L 7860:127.0.0.1:7860 -p 31099 root@gpu-xxxxx.ssh.gpu.csdn.net");
        assertThat(t.ssh().host()).isEqualTo("gpu-xxxxx.ssh.gpu.csdn.net");
        assertThat(t.ssh().user()).contains("root");
        assertThat(t.ssh().port()).contains(31099);
        assertThat(t.forwards()).containsExactly(new TunnelSpec.Forward("127.0.0.1", 7860, "127.0.0.1", 7860));
        assertThat(SshCommandLine.argv("ssh", t, Session.PTY))
                .containsSubsequence(
                        "ssh", "-tt", "-e", "none", "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=yes")
                .containsSubsequence(
                        "-p", "31099", "-L", "127.0.0.1:7860:127.0.0.1:7860", "root@gpu-xxxxx.ssh.gpu.csdn.net")
                .endsWith("root@gpu-xxxxx.ssh.gpu.csdn.net", "exec cat");
        // without a session (the server refused one): ssh's keepalives every second are the link check
        assertThat(SshCommandLine.argv("ssh", t, Session.PLAIN))
                .containsSubsequence("ssh", "-N", "-o", "BatchMode=yes")
                .containsSubsequence("-o", "ServerAliveInterval=1", "-o", "ServerAliveCountMax=3")
                .endsWith("root@gpu-xxxxx.ssh.gpu.csdn.net");
    }

    @Test
    void keepsIdentityUserJumpAndOptionsAndTheirOrder() {
        TunnelSpec t = pasted("ssh -i ~/.ssh/id_ed25519 -l ubuntu -J bastion:2200 -o Compression=yes"
                + " -o 'ProxyUseFdpass no' -C -L 8080:localhost:80 -L 0.0.0.0:9000:10.0.0.5:9000 gpu");

        assertThat(t.ssh().identityFiles()).containsExactly("~/.ssh/id_ed25519");
        assertThat(t.ssh().user()).contains("ubuntu");
        assertThat(t.ssh().jump()).contains("bastion:2200");
        assertThat(t.ssh().options()).containsEntry("Compression", "yes").containsEntry("ProxyUseFdpass", "no");
        assertThat(t.ssh().passThrough())
                .containsExactly(
                        "-i",
                        "~/.ssh/id_ed25519",
                        "-l",
                        "ubuntu",
                        "-J",
                        "bastion:2200",
                        "-o",
                        "Compression=yes",
                        "-o",
                        "ProxyUseFdpass=no",
                        "-C");
        assertThat(t.forwards())
                .containsExactly(
                        new TunnelSpec.Forward("127.0.0.1", 8080, "localhost", 80),
                        new TunnelSpec.Forward("0.0.0.0", 9000, "10.0.0.5", 9000));
    }

    @Test
    void acceptsClusteredFlagsAttachedValuesAndTheUriForm() {
        TunnelSpec t = TunnelSpec.fromCommand(
                "gpu", List.of("-fNTL7860:127.0.0.1:7860", "-p2222", "ssh://me@host.example:2200"));

        assertThat(t.name()).isEqualTo("gpu");
        assertThat(t.forwards()).containsExactly(new TunnelSpec.Forward("127.0.0.1", 7860, "127.0.0.1", 7860));
        assertThat(t.ssh().port()).contains(2222); // -p wins over the URI's port, as in ssh
        assertThat(t.ssh().host()).isEqualTo("host.example");
        assertThat(t.ssh().user()).contains("me");
        assertThat(t.ssh().passThrough()).containsExactly("-p", "2222");
    }

    @Test
    void takesKeepaliveFromServerAliveOptions() {
        TunnelSpec t = pasted("ssh -o ServerAliveInterval=7 -o ServerAliveCountMax=4 -L 1:h:2 host");

        assertThat(t.keepalive()).isEqualTo(new TunnelSpec.Keepalive(java.time.Duration.ofSeconds(7), 4));
        assertThat(SshCommandLine.argv("ssh", t, Session.PTY))
                .containsSubsequence("-o", "ServerAliveInterval=7", "-o", "ServerAliveCountMax=4");
    }

    @Test
    void refusesToSkipHostKeyVerification() {
        assertThatThrownBy(() -> pasted("ssh -o StrictHostKeyChecking=no -L 1:h:2 host"))
                .isInstanceOf(SshArgs.Invalid.class)
                .hasMessageContaining("would skip host key verification");
        assertThatThrownBy(() -> pasted("ssh -o UserKnownHostsFile=/dev/null -L 1:h:2 host"))
                .hasMessageContaining("skip verification");
    }

    @Test
    void refusesARemoteCommandAndMissingPieces() {
        assertThatThrownBy(() -> pasted("ssh -L 1:h:2 host uptime")).hasMessageContaining("runs no remote command");
        assertThatThrownBy(() -> pasted("ssh -p 22 host")).hasMessageContaining("no -L forward");
        assertThatThrownBy(() -> pasted("ssh -L 7860:127.0.0.1 host")).hasMessageContaining("is not a forward");
        assertThatThrownBy(() -> pasted("ssh -L 1:h:2 -p 99999 host")).hasMessageContaining("is not a port");
        assertThatThrownBy(() -> pasted("ssh -L 1:h:2")).hasMessageContaining("no destination");
        assertThatThrownBy(() -> pasted("ssh -R 1:h:2 host")).hasMessageContaining("not supported");
    }

    @Test
    void splitsLikeAShell() {
        assertThat(SshArgs.split("a 'b c' \"d \\\"e\\\"\" f\\ g")).containsExactly("a", "b c", "d \"e\"", "f g");
    }

    @Test
    void showsTheCommandQuotedForAShell() {
        assertThat(SshCommandLine.display(List.of("ssh", "-o", "ProxyCommand=nc %h %p", "host")))
                .isEqualTo("ssh -o 'ProxyCommand=nc %h %p' host");
    }
}
