package dev.lifeline.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** {@code tunnels:} in lifeline.yaml; lives beside the tunnel tests so -Dtest='dev.lifeline.tunnel.**' runs it. */
class TunnelSpecTest {
    static LifelineConfig parse(String yaml) {
        return LifelineConfig.parse(yaml, Path.of("/tmp/lifeline.yaml"));
    }

    @Test
    void readsTheProductBriefsExample() {
        TunnelSpec t = parse("""
                tunnels:
                  gpu-box: { ssh: "root@gpu-host -p 31099", forward: ["7860:127.0.0.1:7860"] }
                """).tunnels().get("gpu-box");
        assertThat(t.ssh().port()).contains(31099);
        assertThat(t.ssh().destination()).isEqualTo("root@gpu-host");
        assertThat(t.forwards()).containsExactly(new TunnelSpec.Forward("127.0.0.1", 7860, "127.0.0.1", 7860));
        assertThat(t.probe()).isEqualTo(TunnelSpec.DEFAULT_PROBE);
    }

    @Test
    void mergesForwardsFromSshAndForwardAndReadsProbeAndKeepalive() {
        TunnelSpec t = parse("""
                tunnels:
                  box:
                    ssh: -p 31099 -i ~/.ssh/id_ed25519 -L 8188:127.0.0.1:8188 root@gpu-host
                    forward:
                      - 7860:127.0.0.1:7860
                    probe: { http: /healthz, interval: 1s, timeout: 3s, failures: 3 }
                    keepalive: { interval: 5s, count: 3 }
                """).tunnels().get("box");
        assertThat(t.forwards()).extracting(TunnelSpec.Forward::localPort).containsExactly(8188, 7860);
        assertThat(t.probe().kind()).isEqualTo(TunnelSpec.Probe.Kind.HTTP);
        assertThat(t.probe().httpPath()).isEqualTo("/healthz");
        assertThat(t.probe().interval()).isEqualTo(Duration.ofSeconds(1));
        assertThat(t.probe().failures()).isEqualTo(3);
        assertThat(t.keepalive()).isEqualTo(new TunnelSpec.Keepalive(Duration.ofSeconds(5), 3));
    }

    @Test
    void namesFileLineAndFieldInErrors() {
        assertThatThrownBy(() -> parse("""
                        tunnels:
                          box:
                            ssh: root@gpu-host
                            forwrd: ["7860:127.0.0.1:7860"]
                        """))
                .hasMessageContaining("lifeline.yaml:4:")
                .hasMessageContaining("tunnels.box")
                .hasMessageContaining("did you mean 'forward'");
        assertThatThrownBy(() -> parse("""
                        tunnels:
                          box: { ssh: root@gpu-host, forward: ["7860:127.0.0.1"] }
                        """))
                .hasMessageContaining("tunnels.box.forward")
                .hasMessageContaining("is not a forward");
        assertThatThrownBy(() -> parse("""
                        tunnels:
                          box: { ssh: "-o StrictHostKeyChecking=no root@gpu-host", forward: ["1:h:2"] }
                        """))
                .hasMessageContaining("tunnels.box.ssh")
                .hasMessageContaining("skip host key verification");
        assertThatThrownBy(() -> parse("""
                        tunnels:
                          box: { ssh: root@gpu-host }
                        """)).hasMessageContaining("has no forward");
        assertThatThrownBy(() -> parse("""
                        tunnels:
                          box: { ssh: root@gpu-host, forward: ["1:h:2"], keepalive: { interval: 1500ms } }
                        """))
                .hasMessageContaining("tunnels.box.keepalive.interval")
                .hasMessageContaining("whole seconds");
    }
}
