package dev.lifeline.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Values a config may not hold, and the YAML features that must not turn into a wrong value. */
class ConfigBoundsTest {
    private static final Path FILE = Path.of("/srv/app/lifeline.yaml");

    private static LifelineConfig parse(String yaml) {
        return LifelineConfig.parse(yaml, FILE);
    }

    private static String service(String settings) {
        return "services:\n  w:\n    command: x\n" + settings;
    }

    @Test
    void aDurationThatWouldOverflowIsRefusedWithItsLocation() {
        assertThatThrownBy(() -> parse(service("    ready: { timeout: 99999999999h }\n")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("/srv/app/lifeline.yaml:4:")
                .hasMessageContaining("services.w.ready.timeout")
                .hasMessageContaining("'99999999999h' is too long")
                .satisfies(e -> assertThat(((ConfigException) e).hint()).contains("3650d"));
        // a sum of parts, each below the limit, is refused too
        assertThatThrownBy(() -> parse(service("    stop: { timeout: 3000d3000d }\n")))
                .hasMessageContaining("services.w.stop.timeout")
                .hasMessageContaining("too long");
        assertThatThrownBy(() -> parse(service("    restart: { give-up: 3 in 9999999999999999999999d }\n")))
                .hasMessageContaining("services.w.restart.give-up")
                .hasMessageContaining("too long");
        assertThatThrownBy(() -> parse(service("    restart: { backoff: 1s..99999999999h }\n")))
                .hasMessageContaining("services.w.restart.backoff")
                .hasMessageContaining("too long");
    }

    @Test
    void theLongestAllowedDurationStillParsesExactly() {
        ServiceSpec s = parse(service("    ready: { timeout: 3650d }\n    stop: { timeout: 1.5s }\n"))
                .service("w");
        assertThat(s.ready().timeout()).isEqualTo(Duration.ofDays(3650));
        assertThat(s.stop().timeout()).isEqualTo(Duration.ofMillis(1500));
        assertThatThrownBy(() -> parse(service("    ready: { timeout: 3650d1ms }\n")))
                .hasMessageContaining("too long");
    }

    @Test
    void aSizeThatWouldOverflowIsRefusedWithItsLocation() {
        assertThatThrownBy(() -> parse(service("    limits: { memory: 99999999999T }\n")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("/srv/app/lifeline.yaml:4:")
                .hasMessageContaining("services.w.limits.memory")
                .hasMessageContaining("'99999999999T' is too large")
                .satisfies(e -> assertThat(((ConfigException) e).hint()).contains("1024T"));
        assertThatThrownBy(() -> parse(service("    logs: { max-size: 99999999999999999999999 }\n")))
                .hasMessageContaining("services.w.logs.max-size")
                .hasMessageContaining("too large");
        assertThat(parse(service("    limits: { memory: 1024T }\n"))
                        .service("w")
                        .limits()
                        .memoryBytes())
                .isEqualTo(1L << 50);
    }

    @Test
    void aWholeNumberBeyondItsTypeIsOutOfRangeNotAWord() {
        assertThatThrownBy(() -> parse(service("    port: 99999999999\n")))
                .hasMessageContaining("services.w.port")
                .hasMessageContaining("99999999999 is out of range")
                .satisfies(e -> assertThat(((ConfigException) e).hint()).contains("1 to 65535"));
    }

    @Test
    void aLogRotationSizeOfZeroIsRefused() {
        assertThatThrownBy(() -> parse(service("    logs: { max-size: 0 }\n")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("/srv/app/lifeline.yaml:4:")
                .hasMessageContaining("services.w.logs.max-size")
                .hasMessageContaining("too small")
                .satisfies(e -> assertThat(((ConfigException) e).hint()).contains("at least 1K"));
        assertThatThrownBy(() -> parse(service("    logs: { max-size: 1023 }\n")))
                .hasMessageContaining("too small");
        assertThat(parse(service("    logs: { max-size: 1K }\n"))
                        .service("w")
                        .logs()
                        .maxBytes())
                .isEqualTo(1024);
    }

    @Test
    void aServiceNamedDaemonIsRefusedBecauseItWouldShareTheDaemonsLog() {
        assertThatThrownBy(() -> parse("services:\n  daemon:\n    command: python app.py\n"))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("/srv/app/lifeline.yaml:3:")
                .hasMessageContaining("'daemon' is reserved")
                .hasMessageContaining("logs/daemon.log")
                .satisfies(e -> assertThat(((ConfigException) e).hint()).contains("daemon-app"));
        assertThat(parse("services:\n  daemon-app:\n    command: x\n").services())
                .containsKey("daemon-app");
    }

    @Test
    void anAliasStandsForItsAnchorsValueNotItsName() {
        LifelineConfig c = parse("""
                x-common: &common
                  restart: { policy: on-failure }
                  env: &env { CUDA_VISIBLE_DEVICES: "0", HF_HOME: /data/hf }
                services:
                  a:
                    command: &cmd python app.py
                    env: *env
                  b:
                    <<: *common
                    command: *cmd
                    port: 7861
                """);
        ServiceSpec a = c.service("a");
        ServiceSpec b = c.service("b");
        assertThat(a.env()).isEqualTo(Map.of("CUDA_VISIBLE_DEVICES", "0", "HF_HOME", "/data/hf"));
        assertThat(b.command()).containsExactly("/bin/sh", "-c", "exec python app.py");
        assertThat(b.commandText()).isEqualTo("python app.py");
        assertThat(b.env()).isEqualTo(a.env());
        assertThat(b.restart().policy()).isEqualTo(ServiceSpec.Restart.Policy.ON_FAILURE);
        assertThat(b.port()).contains(7861);
    }

    @Test
    void anExplicitKeyOverridesAMergedOneAndAnErrorInAnAliasNamesWhereItIsUsed() {
        LifelineConfig c = parse("""
                x-base: &base { command: python base.py, port: 7860 }
                services:
                  a:
                    <<: *base
                    port: 7870
                """);
        assertThat(c.service("a").port()).contains(7870);
        assertThat(c.service("a").commandText()).isEqualTo("python base.py");
        assertThatThrownBy(() -> parse("""
                        x-bad: &bad { tcp: maybe }
                        services:
                          a:
                            command: x
                            port: 1
                            ready: *bad
                        """))
                .hasMessageContaining("services.a.ready.tcp")
                .hasMessageContaining("'maybe' is not true or false");
    }

    @Test
    void anAliasWithNoAnchorIsRefusedInsteadOfRunAsACommand() {
        assertThatThrownBy(() -> parse("services:\n  w:\n    command: *c\n"))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("/srv/app/lifeline.yaml:3:")
                .hasMessageContaining("services.w.command")
                .hasMessageContaining("the alias *c names no anchor")
                .satisfies(e -> assertThat(((ConfigException) e).hint()).contains("&c"));
    }

    @Test
    void aliasesThatExpandWithoutBoundAreRefused() {
        StringBuilder y = new StringBuilder("x-l0: &l0 [a, a, a, a, a, a, a, a, a, a]\n");
        for (int i = 1; i <= 8; i++) {
            y.append("x-l").append(i).append(": &l").append(i).append(" [");
            for (int j = 0; j < 10; j++) {
                y.append(j == 0 ? "" : ", ").append("*l").append(i - 1);
            }
            y.append("]\n");
        }
        assertThatThrownBy(() -> parse(y + "services: {}\n"))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("more than 100000 values once its aliases are expanded");
    }

    @Test
    void anUnknownTopLevelKeyIsStillRefusedButExtensionKeysAreNot() {
        assertThat(parse("x-anything: { a: 1 }\nservices: {}\n").services()).isEmpty();
        assertThatThrownBy(() -> parse("anything: 1\nservices: {}\n")).hasMessageContaining("unknown key 'anything'");
    }

    @Test
    @Timeout(value = 10, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void aConfigFileOverOneMebibyteIsRefusedWithoutReadingIt(@TempDir Path dir) throws Exception {
        Path huge = dir.resolve("lifeline.yaml");
        try (RandomAccessFile f = new RandomAccessFile(huge.toFile(), "rw")) {
            f.setLength(64L << 30); // sparse: reading it all would take minutes and all memory
        }
        long t0 = System.nanoTime();
        assertThatThrownBy(() -> LifelineConfig.load(huge))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining(huge.toString())
                .hasMessageContaining("larger than 1 MiB");
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(1));

        Path justOver = dir.resolve("over.yaml");
        byte[] body = ("services: {}\n#" + "x".repeat(LifelineConfig.MAX_BYTES)).getBytes(StandardCharsets.UTF_8);
        Files.write(justOver, body);
        assertThatThrownBy(() -> LifelineConfig.load(justOver)).hasMessageContaining("larger than 1 MiB");
        assertThatThrownBy(() -> LifelineConfig.parse(new String(body, StandardCharsets.UTF_8), justOver))
                .as("the daemon parses text the client sent: the same limit")
                .hasMessageContaining("larger than 1 MiB");
    }

    @Test
    @Timeout(value = 10, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void aFifoOrDeviceGivenAsTheConfigIsRefusedWithoutBlocking(@TempDir Path dir) throws Exception {
        Path fifo = dir.resolve("lifeline.yaml");
        Process mk = new ProcessBuilder("mkfifo", fifo.toString()).start();
        assertThat(mk.waitFor(5, TimeUnit.SECONDS)).isTrue();
        assertThat(mk.exitValue()).isZero();
        assertThatThrownBy(() -> LifelineConfig.load(fifo)).hasMessageContaining("is not a regular file");
        assertThatThrownBy(() -> LifelineConfig.load(Path.of("/dev/zero")))
                .hasMessageContaining("is not a regular file");
    }
}
