package dev.lifeline.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class DashboardSpecTest {
    private static LifelineConfig parse(String yaml) {
        return LifelineConfig.parse(yaml, Path.of("/tmp/p/lifeline.yaml"));
    }

    @Test
    void aNonLoopbackListenIsRefusedWithItsPlaceAndAHintUnlessAllowed() {
        assertThatThrownBy(() -> parse("services: {}\ndashboard:\n  listen: 0.0.0.0:8370\n"))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("lifeline.yaml:3:")
                .hasMessageContaining("dashboard.listen")
                .hasMessageContaining("other machines can reach")
                .satisfies(e -> assertThat(((ConfigException) e).hint()).contains("allow-remote: true"));
        assertThat(parse("dashboard: { listen: 0.0.0.0:8370, allow-remote: true }\n")
                        .dashboard())
                .contains(new DashboardSpec(true, "0.0.0.0", 8370, true));
        assertThat(parse("dashboard: { listen: '127.0.0.2:0' }\n").dashboard())
                .contains(new DashboardSpec(true, "127.0.0.2", 0, false));
        assertThat(parse("dashboard: { listen: '[::1]:9000' }\n").dashboard())
                .contains(new DashboardSpec(true, "::1", 9000, false));
    }

    @Test
    void falseTurnsItOff() {
        assertThat(parse("dashboard: false\n").dashboard()).contains(DashboardSpec.OFF);
        assertThat(parse("dashboard: false\n").dashboard().orElseThrow().enabled())
                .isFalse();
        assertThatThrownBy(() -> parse("dashboard: maybe\n")).hasMessageContaining("not a dashboard setting");
    }

    @Test
    void aTunnelCanCarryTheServersDashboard() {
        TunnelSpec t = parse(
                        "tunnels:\n  gpu: { ssh: 'root@gpu-host', forward: ['7860:127.0.0.1:7860'], dashboard: true }\n")
                .tunnels()
                .get("gpu");
        assertThat(t.forwards())
                .containsExactly(
                        new TunnelSpec.Forward("127.0.0.1", 7860, "127.0.0.1", 7860),
                        new TunnelSpec.Forward("127.0.0.1", 8370, "127.0.0.1", 8370));
        TunnelSpec only = parse("tunnels:\n  gpu: { ssh: 'root@gpu-host', dashboard: '18370:127.0.0.1:8370' }\n")
                .tunnels()
                .get("gpu");
        assertThat(only.forwards()).containsExactly(new TunnelSpec.Forward("127.0.0.1", 18370, "127.0.0.1", 8370));
        assertThatThrownBy(() -> parse("tunnels:\n  gpu: { ssh: 'root@gpu-host', dashboard: 'x' }\n"))
                .hasMessageContaining("tunnels.gpu.dashboard");
    }
}
