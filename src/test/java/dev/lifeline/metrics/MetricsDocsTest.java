package dev.lifeline.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * docs/metrics.md is what the daemon writes: every metric family written is in its table (and
 * every one in the table is written), and its alert rules load in promtool and fire on the series
 * that should fire them, and only on those.
 */
class MetricsDocsTest {
    static final Path DOC = Path.of("docs/metrics.md");

    @TempDir
    Path tmp;

    @BeforeAll
    static void promtool() {
        Assumptions.assumeTrue(Files.isExecutable(Promtool.BINARY), "needs promtool (Debian package prometheus)");
    }

    static String alertRules() throws Exception {
        String doc = Files.readString(DOC);
        int section = doc.indexOf("## Alert rules");
        assertThat(section).as("docs/metrics.md has an 'Alert rules' section").isPositive();
        int start = doc.indexOf("```yaml\n", section) + "```yaml\n".length();
        return doc.substring(start, doc.indexOf("```", start));
    }

    @Test
    void everyMetricWrittenIsDocumentedAndEveryDocumentedOneIsWritten() throws Exception {
        Scrape s = LifelineMetricsTest.scrape(
                List.of(LifelineMetricsTest.service("web", "/p/lifeline.yaml", "ready")),
                List.of(new Scrape.Tunnel(
                        "t",
                        "up",
                        true,
                        Optional.of(0.01),
                        0,
                        1.0,
                        List.of(new Scrape.Forward("a", "b", Optional.of(true))))),
                List.of(new Scrape.Backup(
                        "/p",
                        "/r",
                        0,
                        false,
                        Optional.of(1.0),
                        Optional.of(1.0),
                        Optional.of(1.0),
                        Optional.of(1.0),
                        0)));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        new LifelineMetrics("1", LifelineMetricsTest.STATES, List.of("up")).write(s, out);
        Set<String> written = new LinkedHashSet<>();
        Matcher m = Pattern.compile("(?m)^# TYPE (\\S+) ").matcher(out.toString(StandardCharsets.UTF_8));
        while (m.find()) {
            written.add(m.group(1));
        }
        Set<String> documented = new LinkedHashSet<>();
        Matcher d = Pattern.compile("(?m)^\\| `([a-z_]+)` \\|").matcher(Files.readString(DOC));
        while (d.find()) {
            documented.add(d.group(1));
        }
        assertThat(documented).containsExactlyInAnyOrderElementsOf(written);
    }

    @Test
    void theDocumentedAlertRulesLoadAndFireOnWhatTheyNameOnly() throws Exception {
        Path rules = tmp.resolve("alerts.yml");
        Files.writeString(rules, alertRules());
        Promtool.Result check = Promtool.checkRules(rules);
        assertThat(check.exit()).as(check.output()).isZero();
        assertThat(check.output()).contains("SUCCESS: 8 rules found");

        Path tests = tmp.resolve("alerts-test.yml");
        Files.writeString(tests, """
                rule_files: [alerts.yml]
                evaluation_interval: 1m
                tests:
                  - interval: 1m
                    input_series:
                      - { series: 'up{job="lifeline",instance="h:8370"}', values: '0x10' }
                      - { series: 'lifeline_service_up{service="web",project="/p"}', values: '0x10' }
                      - { series: 'lifeline_service_state{service="web",project="/p",state="stopped"}', values: '0x10' }
                      - { series: 'lifeline_service_up{service="idle",project="/p"}', values: '0x10' }
                      - { series: 'lifeline_service_state{service="idle",project="/p",state="stopped"}', values: '1x10' }
                      - { series: 'lifeline_service_restarts_total{service="web",project="/p"}', values: '0+1x10' }
                      - { series: 'lifeline_service_restarts_total{service="idle",project="/p"}', values: '0x10' }
                      - { series: 'lifeline_tunnel_up{tunnel="gpu-box"}', values: '0x10' }
                      - { series: 'lifeline_tunnel_up{tunnel="fine"}', values: '1x10' }
                      - { series: 'lifeline_backup_lag_seconds{project="/p",repository="/r"}', values: '120x10' }
                      - { series: 'lifeline_backup_lag_seconds{project="/p",repository="/fast"}', values: '0.5x10' }
                      - { series: 'lifeline_backup_store_failing{project="/p",repository="/r"}', values: '1x10' }
                      - { series: 'lifeline_backup_store_failing{project="/p",repository="/fast"}', values: '0x10' }
                      - { series: 'lifeline_backup_push_failures_total{project="/p",repository="/r"}', values: '0 0 0 1 1 1 1 1 1 1 1' }
                      - { series: 'lifeline_backup_push_failures_total{project="/p",repository="/fast"}', values: '0x10' }
                    alert_rule_test:
                      - eval_time: 10m
                        alertname: LifelineDaemonDown
                        exp_alerts:
                          - exp_labels: { severity: critical, job: lifeline, instance: "h:8370" }
                            exp_annotations: { summary: "the Lifeline daemon on h:8370 does not answer /metrics" }
                      - eval_time: 10m
                        alertname: LifelineServiceDown
                        exp_alerts:
                          - exp_labels: { severity: critical, service: web, project: /p }
                            exp_annotations: { summary: "web has not been ready for 5 minutes" }
                      - eval_time: 10m
                        alertname: LifelineServiceCrashLooping
                        exp_alerts:
                          - exp_labels: { severity: warning, service: web, project: /p }
                            exp_annotations: { summary: "web restarted more than 3 times in 10 minutes" }
                      - eval_time: 10m
                        alertname: LifelineTunnelDown
                        exp_alerts:
                          - exp_labels: { severity: warning, tunnel: gpu-box }
                            exp_annotations: { summary: "tunnel gpu-box has been down for 2 minutes" }
                      - eval_time: 10m
                        alertname: LifelineBackupLagging
                        exp_alerts:
                          - exp_labels: { severity: warning, project: /p, repository: /r }
                            exp_annotations: { summary: "outputs in /r take more than 60 s to be stored" }
                      - eval_time: 10m
                        alertname: LifelineBackupStoreFailing
                        exp_alerts:
                          - exp_labels: { severity: critical, project: /p, repository: /r }
                            exp_annotations: { summary: "new outputs are not being stored in /r (disk full?)" }
                      - eval_time: 10m
                        alertname: LifelineBackupPushFailing
                        exp_alerts:
                          - exp_labels: { severity: warning, project: /p, repository: /r }
                            exp_annotations: { summary: "uploads of /r to the remote mirror failed" }
                  - interval: 10m
                    input_series:
                      - { series: 'lifeline_backup_last_snapshot_timestamp_seconds{project="/p",repository="/r"}', values: '0x20' }
                      - { series: 'lifeline_backup_last_snapshot_timestamp_seconds{project="/p",repository="/hourly"}', values: '0+600x20' }
                    alert_rule_test:
                      - eval_time: 200m
                        alertname: LifelineBackupSnapshotOld
                        exp_alerts:
                          - exp_labels: { severity: warning, project: /p, repository: /r }
                            exp_annotations: { summary: "the newest snapshot of /r is more than 3 hours old" }
                      - eval_time: 100m
                        alertname: LifelineBackupSnapshotOld
                        exp_alerts: []
                """);
        Promtool.Result run = Promtool.testRules(tests);
        assertThat(run.exit()).as(run.output()).isZero();
        assertThat(run.output()).contains("SUCCESS");
    }
}
