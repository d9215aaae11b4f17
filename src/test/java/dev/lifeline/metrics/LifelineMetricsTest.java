package dev.lifeline.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The exposition itself, checked by Prometheus's own {@code promtool}. */
class LifelineMetricsTest {
    static final List<String> STATES = List.of("starting", "ready", "backoff", "stopped", "failed");

    @BeforeAll
    static void promtool() {
        Assumptions.assumeTrue(
                java.nio.file.Files.isExecutable(Promtool.BINARY), "needs promtool (Debian package prometheus)");
    }

    static Scrape.Service service(String name, String project, String state) {
        return new Scrape.Service(
                name,
                project,
                state,
                state.equals("ready"),
                3,
                1_796_000_000L,
                42,
                12.5,
                100L << 20,
                7.25,
                6L << 30,
                Optional.of(2048L << 20),
                Optional.of(137));
    }

    static String write(Scrape s) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        new LifelineMetrics("1.2.3", STATES, List.of("connecting", "up", "reconnecting")).write(s, out);
        return out.toString(StandardCharsets.UTF_8);
    }

    static Scrape scrape(List<Scrape.Service> services, List<Scrape.Tunnel> tunnels, List<Scrape.Backup> backups) {
        return new Scrape(
                services,
                Optional.of(8192L << 20),
                tunnels,
                backups,
                new Scrape.Daemon(1.5, 60L << 20, 1_796_000_000.5, 12, 65536, 10L << 20, 16L << 20));
    }

    @Test
    void namesWithQuotesNewlinesBackslashesAndUnicodeYieldValidExposition() throws Exception {
        String project = "/home/ann/my \"best\" app\nline2\\x/模型-🚀/lifeline.yaml";
        String tunnel = "gpu\"box\n";
        Scrape s = scrape(
                List.of(service("web.ui", project, "ready")),
                List.of(new Scrape.Tunnel(
                        tunnel,
                        "up",
                        true,
                        Optional.of(0.012),
                        2,
                        1_796_000_100.0,
                        List.of(new Scrape.Forward("127.0.0.1:7860", "127.0.0.1:\"7860\"", Optional.of(true))))),
                List.of(new Scrape.Backup(
                        project,
                        "/data/back\"up\n",
                        0,
                        false,
                        Optional.of(1_796_000_000.0),
                        Optional.of(0.4),
                        Optional.of(1_796_000_050.0),
                        Optional.empty(),
                        1)));
        String text = write(s);

        String escaped = "/home/ann/my \\\"best\\\" app\\nline2\\\\x/模型-🚀/lifeline.yaml";
        assertThat(text)
                .contains("lifeline_service_up{project=\"" + escaped + "\",service=\"web.ui\"} 1.0")
                .contains("lifeline_tunnel_up{tunnel=\"gpu\\\"box\\n\"} 1.0")
                .doesNotContain("my \"best\"");
        Promtool.Result ok = Promtool.checkMetrics(text);
        assertThat(ok.exit()).as(ok.output() + "\n" + text).isZero();

        // the checker has teeth: the same text with the values unescaped is refused
        Promtool.Result raw = Promtool.checkMetrics(text.replace(escaped, project));
        assertThat(raw.exit()).as("unescaped label values must not pass").isNotZero();
    }

    @Test
    void everyFamilyHasHelpAndTypeAndPassesPromtoolsLints() throws Exception {
        String text = write(scrape(
                List.of(service("web", "/p/lifeline.yaml", "ready"), service("worker", "/p/lifeline.yaml", "backoff")),
                List.of(),
                List.of()));
        Promtool.Result r = Promtool.checkMetrics(text);
        assertThat(r.exit()).as(r.output()).isZero();
        assertThat(r.output()).as("no lint remarks").isBlank();
        assertThat(text)
                .contains("# TYPE lifeline_service_restarts_total counter")
                .contains("lifeline_service_restarts_total{project=\"/p/lifeline.yaml\",service=\"web\"} 3.0")
                .contains("# TYPE lifeline_service_cpu_seconds_total counter")
                .contains(
                        "lifeline_service_state{project=\"/p/lifeline.yaml\",service=\"worker\",state=\"backoff\"} 1.0")
                .contains("lifeline_service_state{project=\"/p/lifeline.yaml\",service=\"worker\",state=\"ready\"} 0.0")
                .contains(
                        "lifeline_service_gpu_memory_bytes{project=\"/p/lifeline.yaml\",service=\"web\"} 2.147483648E9")
                .contains("lifeline_build_info{version=\"1.2.3\"} 1")
                .contains("process_resident_memory_bytes 6.291456E7");
    }

    @Test
    void concurrentScrapesEachWriteTheirOwnValuesAndAStalledClientHoldsUpNoOther() throws Exception {
        LifelineMetrics m = new LifelineMetrics("1", STATES, List.of("up"));
        // a client that stops reading mid-scrape: its write blocks, holding nothing
        java.io.PipedInputStream stalledIn = new java.io.PipedInputStream(16);
        java.io.PipedOutputStream stalled = new java.io.PipedOutputStream(stalledIn);
        Thread hung = new Thread(
                () -> {
                    try {
                        m.write(scrape(List.of(service("hung", "/p", "ready")), List.of(), List.of()), stalled);
                    } catch (java.io.IOException e) {
                        // the pipe is closed at the end
                    }
                },
                "stalled-scrape");
        hung.setDaemon(true);
        hung.start();
        org.awaitility.Awaitility.await()
                .atMost(java.time.Duration.ofSeconds(5))
                .until(() -> hung.getState() == Thread.State.TIMED_WAITING);

        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(8);
        try {
            List<java.util.concurrent.Future<String>> results = new java.util.ArrayList<>();
            for (int i = 0; i < 64; i++) {
                String name = "svc" + i;
                results.add(pool.submit(() -> {
                    ByteArrayOutputStream out = new ByteArrayOutputStream();
                    m.write(scrape(List.of(service(name, "/p", "ready")), List.of(), List.of()), out);
                    return out.toString(StandardCharsets.UTF_8);
                }));
            }
            for (int i = 0; i < 64; i++) {
                String text = results.get(i).get(10, java.util.concurrent.TimeUnit.SECONDS);
                assertThat(text)
                        .contains("lifeline_service_up{project=\"/p\",service=\"svc" + i + "\"} 1.0")
                        .doesNotContain("service=\"hung\"");
                assertThat(text.split("lifeline_service_up\\{", -1))
                        .as("one service in each scrape")
                        .hasSize(2);
            }
        } finally {
            pool.shutdownNow();
            stalledIn.close();
            stalled.close();
        }
    }
}
