package dev.lifeline.cli;

import static dev.lifeline.testing.Services.sh;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lifeline.core.Home;
import dev.lifeline.daemon.DaemonClient;
import dev.lifeline.metrics.Promtool;
import dev.lifeline.testing.TestTimes;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code /metrics} of a real daemon, read the way users read it: checked by {@code promtool}, and
 * scraped through the dashboard's server (with the token from {@code dashboard.token}) by a real
 * Prometheus server that this test starts (Debian package {@code prometheus}); a crash of the app
 * shows up in Prometheus as a restart.
 */
class MetricsPrometheusTest {
    static final Path PROMETHEUS = Path.of("/usr/bin/prometheus");
    static final HttpClient HTTP =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    static final ObjectMapper JSON = new ObjectMapper();

    /** The Prometheus server of the running test; ended in {@link #stopPrometheus} whatever happened. */
    static Process prometheus;

    @TempDir
    Path tmp;

    @RegisterExtension
    final DaemonCli cli = DaemonCli.in(() -> tmp);

    @BeforeAll
    static void tools() {
        Assumptions.assumeTrue(Files.isExecutable(PROMETHEUS), "needs prometheus (Debian package prometheus)");
        Assumptions.assumeTrue(Files.isExecutable(Promtool.BINARY), "needs promtool (Debian package prometheus)");
    }

    @AfterAll
    static void stopPrometheus() throws InterruptedException {
        Process p = prometheus;
        prometheus = null;
        if (p != null) {
            p.destroy();
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                p.waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    @Test
    void aRealPrometheusScrapesTheServiceUpAndSeesItsRestartsGrowAfterACrash() throws Exception {
        Path outputs = Files.createDirectories(tmp.resolve("outputs"));
        Path app = cli.project(
                "app",
                "services:\n  web:\n    command: " + sh("exec sleep 1000") + "\n    outputs: " + outputs
                        + "\nbackup:\n  repository: " + tmp.resolve("repo")
                        + "\ndashboard: { listen: 127.0.0.1:0 }\n");
        DaemonCli.Result up = cli.run(app, "up");
        assertThat(up.exit()).as(up.toString()).isZero();
        DaemonClient daemon = DaemonClient.of(Home.fromEnvironment(Map.of("LIFELINE_HOME", cli.home.toString())));

        // the daemon's own exposition passes Prometheus's checker, lints included
        String text = daemon.call("metrics", Map.of()).path("text").asText();
        assertThat(text).contains("lifeline_service_up{").contains("lifeline_backup_pending_files{");
        Promtool.Result check = Promtool.checkMetrics(text);
        assertThat(check.exit()).as(check.output() + "\n" + text).isZero();
        assertThat(check.output()).as("no lint remarks").isBlank();

        // served by the dashboard: with the token only
        await().atMost(TestTimes.SHORT)
                .until(() ->
                        daemon.call("dashboard", Map.of()).path("listening").asBoolean());
        URI metrics = URI.create(daemon.call("dashboard", Map.of()).path("url").asText())
                .resolve("/metrics");
        Path tokenFile = cli.home.resolve("dashboard.token");
        String token = Files.readString(tokenFile).trim();
        assertThat(get(metrics, null).statusCode()).isEqualTo(401);
        HttpResponse<String> ok = get(metrics, token);
        assertThat(ok.statusCode()).isEqualTo(200);
        assertThat(ok.headers().firstValue("Content-Type")).hasValue("text/plain; version=0.0.4; charset=utf-8");
        assertThat(ok.body()).contains("lifeline_service_restarts_total{");

        URI api = startPrometheus(metrics.getHost() + ":" + metrics.getPort(), tokenFile);
        await().atMost(TestTimes.APP)
                .pollInterval(Duration.ofMillis(500))
                .until(() -> value(api, "lifeline_service_up{service=\"web\"}"), v -> v.equals(Optional.of(1.0)));
        double before =
                value(api, "lifeline_service_restarts_total{service=\"web\"}").orElseThrow();

        long pid = cli.pid(app, "web");
        new ProcessBuilder("kill", "-KILL", Long.toString(pid)).start().waitFor(10, TimeUnit.SECONDS);
        await().atMost(TestTimes.APP)
                .pollInterval(Duration.ofMillis(500))
                .until(
                        () -> value(api, "lifeline_service_restarts_total{service=\"web\"}"),
                        v -> v.isPresent() && v.get() > before);
        await().atMost(TestTimes.APP)
                .pollInterval(Duration.ofMillis(500))
                .until(() -> value(api, "lifeline_service_up{service=\"web\"}"), v -> v.equals(Optional.of(1.0)));
        assertThat(cli.pid(app, "web")).as("a new process").isNotEqualTo(pid);
    }

    static HttpResponse<String> get(URI uri, String token) throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10));
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** Starts Prometheus scraping {@code target} every second with the token file; returns its API. */
    URI startPrometheus(String target, Path tokenFile) throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("prometheus"));
        Path config = dir.resolve("prometheus.yml");
        Files.writeString(
                config,
                "global: { scrape_interval: 1s, scrape_timeout: 1s, evaluation_interval: 1s }\n"
                        + "scrape_configs:\n"
                        + "  - job_name: lifeline\n"
                        + "    authorization: { type: Bearer, credentials_file: " + tokenFile + " }\n"
                        + "    static_configs: [ { targets: ['" + target + "'] } ]\n");
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        prometheus = new ProcessBuilder(
                        PROMETHEUS.toString(),
                        "--config.file=" + config,
                        "--storage.tsdb.path=" + dir.resolve("data"),
                        "--web.listen-address=127.0.0.1:" + port,
                        "--log.level=warn")
                .redirectErrorStream(true)
                .redirectOutput(dir.resolve("prometheus.log").toFile())
                .start();
        return URI.create("http://127.0.0.1:" + port);
    }

    /** The instant value of a PromQL query with one result; empty when none (or not up yet). */
    static Optional<Double> value(URI api, String query) {
        try {
            HttpResponse<String> r =
                    get(api.resolve("/api/v1/query?query=" + URLEncoder.encode(query, StandardCharsets.UTF_8)), null);
            if (r.statusCode() != 200) {
                return Optional.empty();
            }
            JsonNode result = JSON.readTree(r.body()).path("data").path("result");
            if (result.size() != 1) {
                return Optional.empty();
            }
            return Optional.of(
                    Double.parseDouble(result.get(0).path("value").get(1).asText()));
        } catch (IOException e) {
            return Optional.empty(); // Prometheus still starting
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        }
    }
}
