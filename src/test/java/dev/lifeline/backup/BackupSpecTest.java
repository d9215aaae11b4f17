package dev.lifeline.backup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lifeline.config.BackupSpec;
import dev.lifeline.config.ConfigException;
import dev.lifeline.config.LifelineConfig;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class BackupSpecTest {
    static final Path FILE = Path.of("/srv/app/lifeline.yaml");

    static BackupSpec parse(String yaml) {
        return LifelineConfig.parse(yaml, FILE).backup().orElseThrow();
    }

    @Test
    void readsTheWholeSectionWithDefaults() {
        BackupSpec s = parse("""
                services:
                  webui: { command: python app.py, outputs: ./outputs }
                backup:
                  repository: /data/backup/webui
                  sources: [./extra, ./outputs]
                  exclude: ["*.tmp"]
                  retention: { hourly: 24, daily: 14, weekly: 8 }
                  remote: { s3: { endpoint: "http://127.0.0.1:9000", bucket: my-bucket, prefix: host-a } }
                  encryption: { passphrase-env: VAULT_PASS }
                  bandwidth: 50M
                  watch: { quiet: 300ms }
                """);
        assertThat(s.repository()).isEqualTo(Path.of("/data/backup/webui"));
        assertThat(s.sources()).containsExactly(Path.of("/srv/app/outputs"), Path.of("/srv/app/extra"));
        assertThat(s.exclude()).containsExactly("*.tmp");
        assertThat(s.retention()).isEqualTo(new BackupSpec.Retention(0, 24, 14, 8, 0));
        assertThat(s.schedule()).isEqualTo(Duration.ofHours(1));
        BackupSpec.S3Spec s3 = s.s3().orElseThrow();
        assertThat(s3.endpoint()).contains(URI.create("http://127.0.0.1:9000"));
        assertThat(s3.prefix()).isEqualTo("host-a/");
        assertThat(s3.pathStyle()).isTrue();
        assertThat(s3.region()).isEqualTo("us-east-1");
        assertThat(s.encryption().orElseThrow().passphraseEnv()).contains("VAULT_PASS");
        assertThat(s.bandwidth()).isEqualTo(50L << 20);
        assertThat(s.watch().quiet()).isEqualTo(Duration.ofMillis(300));
        assertThat(s.watch().reconcile()).isEqualTo(Duration.ofMinutes(10));
    }

    @Test
    void everyErrorNamesTheField() {
        assertThatThrownBy(() -> parse("backup: { sources: [a] }"))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("backup.repository");
        assertThatThrownBy(() -> parse("backup: { repository: /r, retention: { dayly: 3 } }"))
                .hasMessageContaining("backup.retention")
                .hasMessageContaining("did you mean 'daily'");
        assertThatThrownBy(() -> parse("backup: { repository: /r, retention: { daily: -1 } }"))
                .hasMessageContaining("backup.retention.daily");
        assertThatThrownBy(() -> parse("backup: { repository: /r, remote: { s3: { bucket: My_Bucket } } }"))
                .hasMessageContaining("backup.remote.s3.bucket");
        assertThatThrownBy(() ->
                        parse("backup: { repository: /r, remote: { s3: { bucket: b1b, endpoint: 'http://k:s@h' } } }"))
                .hasMessageContaining("backup.remote.s3.endpoint")
                .hasMessageContaining("credentials");
        assertThatThrownBy(() -> parse("backup: { repository: /r, encryption: { passphrase-env: 'hunter2 now' } }"))
                .hasMessageContaining("backup.encryption.passphrase-env");
        assertThatThrownBy(() -> parse("backup: { repository: /r, encryption: {} }"))
                .hasMessageContaining("backup.encryption");
        assertThatThrownBy(() -> parse("backup: { repository: /r, bandwidth: fast }"))
                .hasMessageContaining("backup.bandwidth");
        assertThatThrownBy(() -> parse("backup: { repository: /r, schedule: 10 }"))
                .hasMessageContaining("backup.schedule")
                .hasMessageContaining("no unit");
        assertThatThrownBy(() -> parse("backup: { repository: ./outputs/vault, sources: [./outputs] }"))
                .hasMessageContaining("backup.repository")
                .hasMessageContaining("inside the source");
        assertThatThrownBy(() -> parse("backup: { repository: /r, watch: { quite: 1s } }"))
                .hasMessageContaining("did you mean 'quiet'");
    }
}
