package dev.lifeline.tunnel;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** ssh's own messages (OpenSSH 9.2), as it prints them, and what Lifeline makes of them. */
class SshDiagnosisTest {

    @Test
    void changedHostKeyIsRefusedLoudlyWithTheNewFingerprintAndTheOffendingLine() {
        String stderr = """
                @@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@
                @    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @
                @@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@
                IT IS POSSIBLE THAT SOMEONE IS DOING SOMETHING NASTY!
                The fingerprint for the ED25519 key sent by the remote host is
                SHA256:4mJ0Vq3bq5m1Cq6b0n0zV8m3yQ3fJb7pQp0aXc1d2e4.
                Please contact your system administrator.
                Add correct host key in /home/u/.ssh/known_hosts to get rid of this message.
                Offending ED25519 key in /home/u/.ssh/known_hosts:7
                Host key for [gpu-host]:31099 has changed and you have requested strict checking.
                Host key verification failed.
                """;
        Problem p = SshDiagnosis.diagnose("gpu-box", stderr, 255);

        assertThat(p.kind()).isEqualTo(Problem.Kind.HOST_KEY_CHANGED);
        assertThat(p.permanent()).isTrue();
        assertThat(p.text())
                .contains("CHANGED")
                .contains("SHA256:4mJ0Vq3bq5m1Cq6b0n0zV8m3yQ3fJb7pQp0aXc1d2e4")
                .contains("/home/u/.ssh/known_hosts line 7")
                .contains("lifeline tunnel trust gpu-box");
    }

    @Test
    void unknownHostKeyIsPermanent() {
        Problem p = SshDiagnosis.diagnose(
                "gpu-box",
                "No ED25519 host key is known for [127.0.0.1]:2223 and you have requested strict checking.\r\n"
                        + "Host key verification failed.\r\n",
                255);
        assertThat(p.kind()).isEqualTo(Problem.Kind.HOST_KEY_UNKNOWN);
        assertThat(p.permanent()).isTrue();
    }

    @Test
    void refusedLoginIsPermanentAndMentionsTheAgent() {
        Problem p = SshDiagnosis.diagnose("b", "root@127.0.0.1: Permission denied (publickey).\n", 255);
        assertThat(p.kind()).isEqualTo(Problem.Kind.AUTH);
        assertThat(p.permanent()).isTrue();
        assertThat(p.text()).contains("Permission denied (publickey)").contains("ssh-add");
    }

    @Test
    void unreachableAndUnresolvableHostsAreTransient() {
        Problem refused =
                SshDiagnosis.diagnose("b", "ssh: connect to host 10.1.2.3 port 31099: Connection refused\n", 255);
        assertThat(refused.kind()).isEqualTo(Problem.Kind.UNREACHABLE);
        assertThat(refused.permanent()).isFalse();
        assertThat(refused.message()).isEqualTo("cannot reach 10.1.2.3 port 31099: Connection refused");

        Problem dns = SshDiagnosis.diagnose(
                "b", "ssh: Could not resolve hostname gpu-host: Temporary failure in name resolution\n", 255);
        assertThat(dns.kind()).isEqualTo(Problem.Kind.UNREACHABLE);
        assertThat(dns.permanent()).isFalse();
    }

    @Test
    void localPortInUseIsPermanent() {
        Problem p = SshDiagnosis.diagnose(
                "b",
                "bind [127.0.0.1]:7860: Address already in use\r\n"
                        + "channel_setup_fwd_listener_tcpip: cannot listen to port: 7860\r\n"
                        + "Could not request local forwarding.\r\n",
                255);
        assertThat(p.kind()).isEqualTo(Problem.Kind.PORT_TAKEN);
        assertThat(p.message()).contains("7860");
    }

    @Test
    void keepaliveTimeoutIsADeadLinkAndUnknownExitsAreTransient() {
        assertThat(SshDiagnosis.diagnose("b", "Timeout, server 1.2.3.4 not responding.\r\n", 255)
                        .kind())
                .isEqualTo(Problem.Kind.DEAD_LINK);
        Problem odd = SshDiagnosis.diagnose("b", "something new\n", 255);
        assertThat(odd.permanent()).isFalse();
        assertThat(odd.message()).isEqualTo("ssh exited with status 255: something new");
    }

    @Test
    void backoffStartsAtOnceDoublesAndStaysUnderTheCap() {
        Backoff b = new Backoff(Duration.ofMillis(500), Duration.ofSeconds(15), new Random(1));
        assertThat(b.delay(0)).isZero();
        assertThat(b.delay(1)).isBetween(Duration.ofMillis(400), Duration.ofMillis(600));
        assertThat(b.delay(3)).isBetween(Duration.ofMillis(1600), Duration.ofMillis(2400));
        for (int i = 5; i < 40; i++) {
            assertThat(b.delay(i))
                    .isLessThanOrEqualTo(Duration.ofSeconds(15))
                    .isGreaterThanOrEqualTo(Duration.ofSeconds(6));
        }
    }

    @Test
    void resolvesJumpHostsAndKnownHostsFromSshG() {
        SshTarget t = SshTarget.parse("""
                user root
                hostname 10.0.0.9
                port 31099
                proxyjump me@bastion.example:2200
                userknownhostsfile ~/.ssh/known_hosts ~/.ssh/known_hosts2
                """);
        assertThat(t.knownHostsName()).isEqualTo("[10.0.0.9]:31099");
        assertThat(t.directHost()).contains("bastion.example");
        assertThat(t.directPort()).isEqualTo(2200);
        assertThat(t.knownHostsFiles().get(0).toString()).endsWith(".ssh/known_hosts");
    }

    @Test
    void notesAboutSingleChannelsAreNotGivenAsTheReasonSshExited() {
        // a probe (or a user's request) to a remote port where nothing listens leaves such notes,
        // then the link breaks for another reason: that reason is the one to show
        String stderr = """
                channel 3: open failed: connect failed: Connection refused
                client_loop: send disconnect: Broken pipe
                channel 4: open failed: connect failed: Connection refused
                channel 5: open failed: administratively prohibited: open failed
                Connection to 10.0.0.9 closed.
                """;
        Problem p = SshDiagnosis.diagnose("gpu-box", stderr, 255);

        assertThat(p.permanent()).isFalse();
        assertThat(p.message())
                .isEqualTo("ssh exited with status 255: client_loop: send disconnect: Broken pipe")
                .doesNotContain("open failed");
    }
}
