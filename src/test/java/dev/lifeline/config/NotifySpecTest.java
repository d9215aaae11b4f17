package dev.lifeline.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lifeline.config.NotifySpec.Format;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class NotifySpecTest {
    private static final Path FILE = Path.of("/srv/app/lifeline.yaml");

    private static NotifySpec one(String yaml, Map<String, String> env) {
        ConfigNode root = YamlReader.read(yaml, FILE);
        return NotifySpec.parse(root.get("notify").asList().get(0), env::get);
    }

    @Test
    void readsAllSettingsOfAWebhook() {
        NotifySpec s = one("""
                notify:
                  - webhook: https://oapi.dingtalk.com/robot/send?access_token=${DING}
                    format: dingtalk
                    events: [crashed, failed]
                    min-interval: 30s
                """, Map.of("DING", "abc123"));
        assertThat(s.webhook().toString()).isEqualTo("https://oapi.dingtalk.com/robot/send?access_token=abc123");
        assertThat(s.format()).isEqualTo(Format.DINGTALK);
        assertThat(s.events()).isEqualTo(Set.of("crashed", "failed"));
        assertThat(s.minInterval()).isEqualTo(Duration.ofSeconds(30));
    }

    @Test
    void defaultsToJsonWarnLevelAndTenSeconds() {
        NotifySpec s = LifelineConfig.parse("notify:\n  - webhook: http://127.0.0.1:9000/hook\n", FILE)
                .notifications()
                .get(0);
        assertThat(s.format()).isEqualTo(Format.JSON);
        assertThat(s.minLevel()).isEqualTo("warn");
        assertThat(s.events()).isEmpty();
        assertThat(s.minInterval()).isEqualTo(NotifySpec.DEFAULT_MIN_INTERVAL);
    }

    @Test
    void namesTheFieldOfAnUnknownFormat() {
        assertThatThrownBy(() ->
                        LifelineConfig.parse("notify:\n  - webhook: https://x.example/h\n    format: wecon\n", FILE))
                .hasMessageContaining(
                        "lifeline.yaml:3:13: notify[0].format: 'wecon' is not valid (did you mean 'wecom'?)");
    }

    @Test
    void namesTheFieldOfAWebhookThatIsNotHttp() {
        assertThatThrownBy(() -> LifelineConfig.parse("notify:\n  - webhook: ftp://x.example/h\n", FILE))
                .hasMessageContaining("notify[0].webhook: is not an http(s) URL");
    }

    @Test
    void namesTheMissingEnvironmentVariableWithoutShowingTheRestOfTheUrl() {
        assertThatThrownBy(() -> one("notify:\n  - webhook: https://h.example/send?key=${NOPE_KEY}\n", Map.of()))
                .hasMessageContaining("notify[0].webhook: uses ${NOPE_KEY} but that environment variable is not set");
    }

    @Test
    void readsASigningSecretFromTheEnvironmentAndNeverPrintsIt() {
        NotifySpec s = one(
                "notify:\n  - webhook: https://open.feishu.cn/open-apis/bot/v2/hook/abc\n    format: feishu\n"
                        + "    secret: ${FS_SECRET}\n",
                Map.of("FS_SECRET", "topsecret"));
        assertThat(s.secret()).contains("topsecret");
        assertThat(s.toString()).doesNotContain("topsecret").doesNotContain("/hook/abc");
    }

    @Test
    void rejectsASecretForAFormatThatCannotUseIt() {
        assertThatThrownBy(
                        () -> LifelineConfig.parse("notify:\n  - webhook: https://h.example/x\n    secret: s\n", FILE))
                .hasMessageContaining("notify[0].secret: is only used by the dingtalk and feishu formats");
    }

    @Test
    void rejectsAMisspelledKey() {
        assertThatThrownBy(() -> LifelineConfig.parse(
                        "notify:\n  - webhook: https://h.example/x\n    min-intervall: 5s\n", FILE))
                .hasMessageContaining(
                        "notify[0].min-intervall: unknown key 'min-intervall' (did you mean 'min-interval'?)");
    }
}
