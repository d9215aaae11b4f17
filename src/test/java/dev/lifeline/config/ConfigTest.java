package dev.lifeline.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class ConfigTest {
    private static final Path FILE = Path.of("/srv/app/lifeline.yaml");

    private static LifelineConfig parse(String yaml) {
        return LifelineConfig.parse(yaml, FILE);
    }

    @Test
    void theProductBriefsExampleParsesWithEveryField() {
        LifelineConfig c = parse("""
                services:
                  webui:
                    command: python app.py --server-port 7860
                    cwd: /root/build
                    env: { CUDA_VISIBLE_DEVICES: "0" }
                    port: 7860
                    ready: { http: /, timeout: 5m }
                    health: { http: /, every: 30s, failures: 3 }
                    restart: { policy: always, backoff: 1s..60s, give-up: 10 in 10m }
                    stop: { signal: TERM, timeout: 10s }
                    limits: { memory: 6G, open-files: 65536, restart-above-memory: 7G }
                    outputs: ./outputs
                """);
        ServiceSpec s = c.service("webui");
        assertThat(s.command()).containsExactly("/bin/sh", "-c", "exec python app.py --server-port 7860");
        assertThat(s.cwd()).isEqualTo(Path.of("/root/build"));
        assertThat(s.env()).containsEntry("CUDA_VISIBLE_DEVICES", "0");
        assertThat(s.ready().kind()).isEqualTo(ServiceSpec.Ready.Kind.HTTP);
        assertThat(s.ready().timeout()).isEqualTo(Duration.ofMinutes(5));
        assertThat(s.health().orElseThrow().every()).isEqualTo(Duration.ofSeconds(30));
        assertThat(s.restart().backoffMax()).isEqualTo(Duration.ofSeconds(60));
        assertThat(s.restart().giveUpCount()).isEqualTo(10);
        assertThat(s.limits().memoryBytes()).isEqualTo(6L << 30);
        assertThat(s.limits().openFiles()).isEqualTo(65536);
        assertThat(s.outputs()).contains(Path.of("/root/build/outputs"));
    }

    @Test
    void defaultsSuitAModelThatLoadsForMinutes() {
        ServiceSpec s = parse("services:\n  w:\n    command: [python, app.py]\n    port: 7860\n")
                .service("w");
        assertThat(s.command()).containsExactly("python", "app.py");
        assertThat(s.ready().kind()).as("a port means: ready when it accepts").isEqualTo(ServiceSpec.Ready.Kind.TCP);
        assertThat(s.ready().timeout()).isEqualTo(Duration.ofMinutes(10));
        assertThat(s.restart().policy()).isEqualTo(ServiceSpec.Restart.Policy.ALWAYS);
        assertThat(s.stop().timeout()).isEqualTo(Duration.ofSeconds(10));
        assertThat(s.cwd()).isEqualTo(Path.of("/srv/app"));
    }

    @Test
    void aMisspeltKeyNamesFileLineColumnAndSuggestsTheNearestKey() {
        assertThatThrownBy(() -> parse("services:\n  webui:\n    command: python app.py\n    prot: 7860\n"))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("/srv/app/lifeline.yaml:4:")
                .hasMessageContaining("services.webui.prot")
                .hasMessageContaining("did you mean 'port'?")
                .satisfies(e -> assertThat(((ConfigException) e).hint())
                        .contains("valid keys here:")
                        .contains("ready"));
    }

    @Test
    void aBadValueSaysWhatWouldBeValid() {
        assertThatThrownBy(() -> parse("services:\n  w:\n    command: x\n    restart: { policy: allways }\n"))
                .hasMessageContaining("services.w.restart.policy")
                .hasMessageContaining("did you mean 'always'?")
                .satisfies(e -> assertThat(((ConfigException) e).hint()).contains("always, on-failure, never"));
        assertThatThrownBy(() -> parse("services:\n  w:\n    command: x\n    ready: { timeout: 5 }\n"))
                .hasMessageContaining("services.w.ready.timeout")
                .hasMessageContaining("has no unit");
        assertThatThrownBy(() -> parse("services:\n  w:\n    command: x\n    port: 70000\n"))
                .hasMessageContaining("services.w.port")
                .hasMessageContaining("out of range");
        assertThatThrownBy(() -> parse("services:\n  w:\n    command: x\n    ready: { http: / }\n"))
                .hasMessageContaining("needs the service's port");
        assertThatThrownBy(() -> parse("services:\n  w:\n    command: x\n    restart: { backoff: 60s..1s }\n"))
                .hasMessageContaining("maximum is below the minimum");
        assertThatThrownBy(() -> parse("services:\n  w:\n    command: x\n    stop: { signal: TREM }\n"))
                .hasMessageContaining("did you mean 'TERM'?");
    }

    @Test
    void aMissingCommandAndBrokenYamlArePointedAt() {
        assertThatThrownBy(() -> parse("services:\n  w:\n    port: 7860\n"))
                .hasMessageContaining("services.w.command")
                .hasMessageContaining("required");
        assertThatThrownBy(() -> parse("services:\n  w:\n    command: [a, b\n"))
                .hasMessageContaining("lifeline.yaml:")
                .hasMessageContaining("not valid YAML");
        assertThatThrownBy(() -> parse("servics:\n  w: {}\n")).hasMessageContaining("did you mean 'services'?");
    }

    @Test
    void durationsAndSizesReadTheWayPeopleWriteThem() {
        ServiceSpec s = parse(
                        "services:\n  w:\n    command: x\n    ready: { timeout: 1h30m }\n    stop: { timeout: 500ms }\n"
                                + "    limits: { memory: 512M }\n")
                .service("w");
        assertThat(s.ready().timeout()).isEqualTo(Duration.ofMinutes(90));
        assertThat(s.stop().timeout()).isEqualTo(Duration.ofMillis(500));
        assertThat(s.limits().memoryBytes()).isEqualTo(512L << 20);
    }

    @Test
    void scriptsKeepTheirShellAndBuiltinsAreNotExeced() {
        assertThat(parse("services:\n  w:\n    command: \"echo hi; exec sleep 1\"\n")
                        .service("w")
                        .command())
                .containsExactly("/bin/sh", "-c", "echo hi; exec sleep 1");
        assertThat(parse("services:\n  w:\n    command: exit 0\n").service("w").command())
                .containsExactly("/bin/sh", "-c", "exit 0");
    }

    @Test
    void anUnknownServiceListsTheConfiguredOnes() {
        LifelineConfig c = parse("services:\n  webui:\n    command: x\n  comfy:\n    command: y\n");
        assertThatThrownBy(() -> c.service("webiu"))
                .hasMessageContaining("did you mean 'webui'?")
                .satisfies(e -> assertThat(((ConfigException) e).hint()).contains("webui, comfy"));
        assertThat(List.copyOf(c.services().keySet())).containsExactly("webui", "comfy");
    }
}
