package dev.lifeline.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Each service setting as the supervisor receives it, and the message for each wrong one. */
class ServiceSpecTest {
    private static final Path FILE = Path.of("/srv/app/lifeline.yaml");

    private static LifelineConfig parse(String yaml) {
        return LifelineConfig.parse(yaml, FILE);
    }

    private static ServiceSpec service(String settings) {
        return parse("services:\n  w:\n    command: python app.py\n" + settings).service("w");
    }

    private static void refused(String settings, String... says) {
        assertThatThrownBy(() -> service(settings))
                .isInstanceOf(ConfigException.class)
                .hasMessageContainingAll(says);
    }

    @Test
    void readinessIsAnHttpPathATcpConnectALogLineOrNothing() {
        ServiceSpec http = service("    port: 7860\n    ready: { http: /healthz, timeout: 2m }\n");
        assertThat(http.ready().kind()).isEqualTo(ServiceSpec.Ready.Kind.HTTP);
        assertThat(http.ready().httpPath()).isEqualTo("/healthz");
        assertThat(http.ready().timeout()).isEqualTo(Duration.ofMinutes(2));

        ServiceSpec log = service("    ready: { log: 'Running on local URL' }\n");
        assertThat(log.ready().kind()).isEqualTo(ServiceSpec.Ready.Kind.LOG);
        assertThat(log.ready()
                        .logPattern()
                        .matcher("* Running on local URL:  http://127.0.0.1:7860")
                        .find())
                .isTrue();

        ServiceSpec tcp = service("    port: 7860\n    ready: { tcp: true }\n");
        assertThat(tcp.ready().kind()).isEqualTo(ServiceSpec.Ready.Kind.TCP);
        ServiceSpec off = service("    port: 7860\n    ready: { tcp: false }\n");
        assertThat(off.ready().kind()).isEqualTo(ServiceSpec.Ready.Kind.NONE);
        ServiceSpec justTimeout = service("    ready: { timeout: 30s }\n");
        assertThat(justTimeout.ready().kind()).isEqualTo(ServiceSpec.Ready.Kind.NONE);
        assertThat(justTimeout.ready().timeout()).isEqualTo(Duration.ofSeconds(30));
        ServiceSpec portOnly = service("    port: 7860\n    ready: { timeout: 30s }\n");
        assertThat(portOnly.ready().kind()).isEqualTo(ServiceSpec.Ready.Kind.TCP);
        assertThat(service("").ready().kind()).isEqualTo(ServiceSpec.Ready.Kind.NONE);
    }

    @Test
    void aWrongReadinessCheckIsRefusedWithTheReason() {
        refused("    port: 1\n    ready: { http: /, log: x }\n", "services.w.ready", "give one of http, tcp or log");
        refused("    port: 1\n    ready: { tcp: true, log: x }\n", "give one of http, tcp or log");
        refused("    ready: { tcp: true }\n", "services.w.ready.tcp", "needs the service's port");
        refused("    ready: { http: / }\n", "services.w.ready.http", "needs the service's port");
        refused("    port: 1\n    ready: { http: healthz }\n", "'healthz' is not a URL path");
        refused("    ready: { log: '(' }\n", "services.w.ready.log", "not a valid regular expression");
    }

    @Test
    void healthIsHttpOrTcpOnTheServicesPortAtMostTenTimesASecond() {
        ServiceSpec.Health http = service(
                        "    port: 7860\n    health: { http: /, every: 10s, failures: 5, timeout: 1s }\n")
                .health()
                .orElseThrow();
        assertThat(http.isHttp()).isTrue();
        assertThat(http.httpPath()).isEqualTo("/");
        assertThat(http.every()).isEqualTo(Duration.ofSeconds(10));
        assertThat(http.failures()).isEqualTo(5);
        assertThat(http.timeout()).isEqualTo(Duration.ofSeconds(1));

        ServiceSpec.Health tcp =
                service("    port: 7860\n    health: { tcp: true }\n").health().orElseThrow();
        assertThat(tcp.isHttp()).isFalse();
        assertThat(tcp.every()).isEqualTo(Duration.ofSeconds(30));
        assertThat(tcp.failures()).isEqualTo(3);
        assertThat(tcp.timeout()).isEqualTo(Duration.ofSeconds(5));
        assertThat(service("    port: 7860\n    health: { every: 100ms }\n")
                        .health()
                        .orElseThrow()
                        .every())
                .isEqualTo(Duration.ofMillis(100));
        assertThat(service("    port: 7860\n").health()).isEmpty();

        refused("    port: 7860\n    health: { every: 99ms }\n", "services.w.health.every", "shorter than 100ms");
        refused("    health: { tcp: true }\n", "services.w.health", "needs the service's port");
        refused("    health: { http: / }\n", "services.w.health.http", "needs the service's port");
        refused("    port: 7860\n    health: { failures: 0 }\n", "services.w.health.failures", "out of range");
    }

    @Test
    void restartPolicyBackoffAndGiveUpReadAsWritten() {
        ServiceSpec.Restart r = service(
                        "    restart: { policy: on-failure, backoff: 2s..2s, give-up: 1 in 1m, reset-after: 5m }\n")
                .restart();
        assertThat(r.policy()).isEqualTo(ServiceSpec.Restart.Policy.ON_FAILURE);
        assertThat(r.backoffMin()).isEqualTo(Duration.ofSeconds(2));
        assertThat(r.backoffMax()).isEqualTo(Duration.ofSeconds(2));
        assertThat(r.giveUpCount()).isEqualTo(1);
        assertThat(r.giveUpWindow()).isEqualTo(Duration.ofMinutes(1));
        assertThat(r.resetAfter()).isEqualTo(Duration.ofMinutes(5));
        assertThat(service("    restart: { policy: never }\n").restart().policy())
                .isEqualTo(ServiceSpec.Restart.Policy.NEVER);
        ServiceSpec.Restart d = service("").restart();
        assertThat(List.of(d.backoffMin(), d.backoffMax(), d.resetAfter(), d.giveUpWindow()))
                .containsExactly(
                        Duration.ofSeconds(1), Duration.ofSeconds(60), Duration.ofSeconds(60), Duration.ofMinutes(10));
        assertThat(d.giveUpCount()).isEqualTo(10);

        refused("    restart: { give-up: 0 in 1m }\n", "services.w.restart.give-up", "'0 in 1m' is not a limit");
        refused("    restart: { give-up: ten in 1m }\n", "is not a limit");
        refused("    restart: { give-up: 10 }\n", "is not a limit");
        refused("    restart: { backoff: 1s }\n", "services.w.restart.backoff", "not a backoff range");
        refused("    restart: { backoff: 2s..1s }\n", "maximum is below the minimum");
    }

    @Test
    void limitsEnvUserOutputsAndStopReachTheSupervisor() {
        ServiceSpec s = service("""
                    env: { HF_HOME: /data/hf, EMPTY: }
                    limits: { memory: 1.5G, open-files: 4096, restart-above-memory: 2G, processes: 512, core: 0 }
                    user: nobody
                    outputs: out
                    cwd: sub
                    stop: { signal: SIGINT, timeout: 30s }
                    logs: { max-size: 10M, keep: 0 }
                """);
        assertThat(s.env()).isEqualTo(Map.of("HF_HOME", "/data/hf", "EMPTY", ""));
        assertThat(s.limits().memoryBytes()).isEqualTo(3L << 29);
        assertThat(s.limits().openFiles()).isEqualTo(4096);
        assertThat(s.limits().restartAboveMemoryBytes()).isEqualTo(2L << 30);
        assertThat(s.limits().rlimits()).isEqualTo(Map.of("nproc", 512L, "core", 0L));
        assertThat(s.user()).contains("nobody");
        assertThat(s.cwd()).isEqualTo(Path.of("/srv/app/sub"));
        assertThat(s.outputs()).contains(Path.of("/srv/app/sub/out"));
        assertThat(s.stop()).isEqualTo(new ServiceSpec.Stop("INT", Duration.ofSeconds(30)));
        assertThat(s.logs()).isEqualTo(new ServiceSpec.Logs(10L << 20, 0));

        ServiceSpec d = service("");
        assertThat(d.limits()).isEqualTo(ServiceSpec.Limits.none());
        assertThat(d.user()).isEmpty();
        assertThat(d.outputs()).isEmpty();
        assertThat(d.env()).isEmpty();
        assertThat(d.port()).isEmpty();
        assertThat(d.logs()).isEqualTo(new ServiceSpec.Logs(50L << 20, 5));
        Path home = dev.lifeline.core.Home.userHome(System.getenv());
        assertThat(service("    cwd: ~/models\n").cwd()).isEqualTo(home.resolve("models"));
        assertThat(service("    cwd: '~'\n").cwd()).isEqualTo(home);

        refused("    env: { 1BAD: x }\n", "'1BAD' is not a valid environment variable name");
        refused("    stop: { signal: STOP }\n", "services.w.stop.signal", "not a signal Lifeline sends");
        refused("    limits: { open-files: 0 }\n", "services.w.limits.open-files", "out of range");
        refused("    limits: { memory: lots }\n", "'lots' is not a size");
        refused("    logs: { keep: 101 }\n", "services.w.logs.keep", "out of range");
    }

    @Test
    void portsAreOneTo65535() {
        assertThat(service("    port: 1\n").port()).contains(1);
        assertThat(service("    port: 65535\n").port()).contains(65535);
        refused("    port: 0\n", "0 is out of range");
        refused("    port: 65536\n", "65536 is out of range");
        refused("    port: http\n", "'http' is not a whole number");
    }

    @Test
    void theCommandIsAListOrAShellLine() {
        assertThat(service("").command()).containsExactly("/bin/sh", "-c", "exec python app.py");
        assertThat(parse("services:\n  w:\n    command: 'python a.py | tee x'\n")
                        .service("w")
                        .command())
                .containsExactly("/bin/sh", "-c", "python a.py | tee x");
        assertThatThrownBy(() -> parse("services:\n  w:\n    command: []\n"))
                .hasMessageContaining("services.w.command")
                .hasMessageContaining("is an empty list");
        assertThatThrownBy(() -> parse("services:\n  w:\n    command: '  '\n")).hasMessageContaining("is empty");
        assertThatThrownBy(() -> parse("services:\n  w:\n    command: { a: b }\n"))
                .hasMessageContaining("expected a text value, found a mapping");
        assertThatThrownBy(() -> parse("services:\n  w: python app.py\n"))
                .hasMessageContaining("expected the service's settings");
        assertThatThrownBy(() -> parse("services:\n  -bad:\n    command: x\n"))
                .hasMessageContaining("service name '-bad' is not usable");
    }

    @Test
    void booleansAcceptYesNoOnOffTrueFalse() {
        for (String yes : List.of("true", "yes", "on", "True")) {
            assertThat(service("    port: 1\n    ready: { tcp: " + yes + " }\n")
                            .ready()
                            .kind())
                    .isEqualTo(ServiceSpec.Ready.Kind.TCP);
        }
        for (String no : List.of("false", "no", "off", "OFF")) {
            assertThat(service("    port: 1\n    ready: { tcp: " + no + " }\n")
                            .ready()
                            .kind())
                    .isEqualTo(ServiceSpec.Ready.Kind.NONE);
        }
        refused("    port: 1\n    ready: { tcp: maybe }\n", "'maybe' is not true or false");
    }

    @Test
    void theFileMustBeAMappingAndEachSectionItsOwnShape() {
        assertThatThrownBy(() -> parse("- a\n- b\n"))
                .hasMessageContaining("the file must be a mapping")
                .hasMessageContaining("lifeline.yaml:1:1");
        assertThatThrownBy(() -> parse("services: [a, b]\n"))
                .hasMessageContaining("services: expected a mapping of keys to values, found a list");
        assertThatThrownBy(() -> parse("services:\n  w:\n    command: x\n    env: [A]\n"))
                .hasMessageContaining("services.w.env: expected a mapping of keys to values, found a list");
        assertThatThrownBy(() -> parse("services:\n  w:\n    command: x\n    env: A=1\n"))
                .hasMessageContaining("found 'A=1'");
        assertThatThrownBy(() -> parse("services:\n  w:\n    command: [a, {b: c}]\n"))
                .hasMessageContaining("services.w.command[1]: expected a text value");
        assertThat(parse("").services()).isEmpty();
        assertThat(parse("services:\n").services()).isEmpty();
    }

    @Test
    void aKeyGivenTwiceIsRefusedButAMergedKeyMayBeOverriddenOnce() {
        assertThatThrownBy(() -> parse("services:\n  w:\n    command: x\n    command: y\n"))
                .hasMessageContaining("lifeline.yaml:4:5")
                .hasMessageContaining("services.w.command: key appears twice");
        assertThatThrownBy(() ->
                        parse("x-b: &b { command: x }\nservices:\n  w:\n    <<: *b\n    command: y\n    command: z\n"))
                .hasMessageContaining("services.w.command: key appears twice");
        assertThatThrownBy(() -> parse("x-b: &b [a]\nservices:\n  w:\n    <<: *b\n"))
                .hasMessageContaining("'<<' merges a mapping");
        assertThat(parse("x-a: &a { port: 1 }\nx-b: &b { command: x, port: 2 }\nservices:\n  w:\n    <<: [*a, *b]\n")
                        .service("w")
                        .port())
                .as("the first mapping listed wins, as in YAML's merge key")
                .contains(1);
    }

    @Test
    void aDashboardListensOnHostAndPort() {
        assertThat(parse("dashboard: { listen: 0.0.0.0:9000, allow-remote: true }\n")
                        .dashboard())
                .contains(new DashboardSpec(true, "0.0.0.0", 9000, true));
        assertThat(parse("dashboard: {}\n").dashboard()).contains(new DashboardSpec("127.0.0.1", 8370));
        assertThat(parse("services: {}\n").dashboard()).isEmpty();
        assertThatThrownBy(() -> parse("dashboard: { listen: localhost }\n")).hasMessageContaining("has no port");
        assertThatThrownBy(() -> parse("dashboard: { listen: 'localhost:x' }\n"))
                .hasMessageContaining("has no valid port");
    }

    @Test
    void didYouMeanSuggestsOnlyNearWords() {
        assertThat(Suggest.nearest("prot", List.of("port", "ready"))).isEqualTo("port");
        assertThat(Suggest.nearest("raedy", List.of("port", "ready")))
                .as("a transposition is one edit")
                .isEqualTo("ready");
        assertThat(Suggest.nearest("xyzzy", List.of("port", "ready"))).isNull();
        assertThat(Suggest.nearest("Port", List.of("port"))).isEqualTo("port");
        assertThat(Suggest.distance("", "abc")).isEqualTo(3);
        assertThat(Suggest.distance("abc", "")).isEqualTo(3);
        assertThat(Suggest.distance("kitten", "sitting")).isEqualTo(3);
        assertThat(Suggest.distance("ab", "ba")).isEqualTo(1);
        assertThat(Suggest.distance("abc", "abc")).isZero();
        // within max(2, length/3) edits: 2 for short words, 3 for a word of nine letters
        assertThat(Suggest.nearest("ab", List.of("abcd"))).isEqualTo("abcd");
        assertThat(Suggest.nearest("ab", List.of("abcde"))).isNull();
        assertThat(Suggest.nearest("abcdefghi", List.of("abcdefxyz"))).isEqualTo("abcdefxyz");
        assertThat(Suggest.nearest("abcdefghi", List.of("abcdewxyz"))).isNull();
    }

    @Test
    void aConfigOfExactlyOneMebibyteIsStillRead(@TempDir Path dir) throws Exception {
        String head = "services: {}\n#";
        String text = head + "x".repeat(LifelineConfig.MAX_BYTES - head.length());
        Path f = Files.writeString(dir.resolve("lifeline.yaml"), text, StandardCharsets.UTF_8);
        assertThat(Files.size(f)).isEqualTo(LifelineConfig.MAX_BYTES);
        LifelineConfig c = LifelineConfig.load(f);
        assertThat(c.text()).isEqualTo(text);
        assertThat(c.file()).isEqualTo(f.toAbsolutePath());
        assertThatThrownBy(() -> LifelineConfig.load(dir.resolve("none.yaml")))
                .hasMessageContaining("no config file at " + dir.resolve("none.yaml"));
    }
}
