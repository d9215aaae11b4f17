package dev.lifeline.notify;

import static dev.lifeline.testing.OpsTimeouts.SOON;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lifeline.config.NotifySpec;
import dev.lifeline.config.NotifySpec.Format;
import dev.lifeline.core.Event;
import dev.lifeline.testing.WebhookReceiver;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

class SigningTest {
    private static final String SECRET = "SEC0123456789abcdef";

    private static NotifySpec signed(WebhookReceiver r, Format f, String path) {
        return new NotifySpec(r.uri(path), f, Set.of(), "warn", Duration.ZERO, Optional.of(SECRET));
    }

    private static Event failed() {
        return Event.of("service/webui", "failed", Event.Level.ERROR, "gave up after 10 restarts", Map.of());
    }

    @Test
    void signsDingTalkRequestsOnTheUrlAsTheBotChecksThem() throws Exception {
        try (WebhookReceiver r = new WebhookReceiver();
                Notifier n = Notifier.builder(List.of(signed(r, Format.DINGTALK, "/robot/send?access_token=tok")))
                        .build()) {
            n.onEvent(failed());
            await().atMost(SOON).until(() -> r.uris().size() == 1);
            String query = r.uris().get(0).getRawQuery();
            assertThat(query).startsWith("access_token=tok&timestamp=");
            String ts = query.replaceAll(".*timestamp=(\\d+).*", "$1");
            String sign = URLDecoder.decode(query.replaceAll(".*sign=([^&]+).*", "$1"), StandardCharsets.UTF_8);
            assertThat(sign).isEqualTo(Signer.hmac(SECRET, ts + "\n" + SECRET));
            assertThat(Math.abs(System.currentTimeMillis() - Long.parseLong(ts)))
                    .isLessThan(60_000);
        }
    }

    @Test
    void signsFeishuRequestsInTheBody() throws Exception {
        try (WebhookReceiver r = new WebhookReceiver();
                Notifier n = Notifier.builder(List.of(signed(r, Format.FEISHU, "/open-apis/bot/v2/hook/x")))
                        .build()) {
            n.onEvent(failed());
            await().atMost(SOON).until(() -> r.bodies().size() == 1);
            JsonNode body = new ObjectMapper().readTree(r.bodies().get(0));
            String ts = body.get("timestamp").asText();
            assertThat(body.get("sign").asText()).isEqualTo(Signer.hmac(ts + "\n" + SECRET, ""));
            assertThat(body.get("msg_type").asText()).isEqualTo("text");
        }
    }

    @Test
    void cutsLongTextToWhatWeComAcceptsWithoutSplittingACharacter() {
        String chinese = "显存不足".repeat(1000);
        String cut = Formats.fit(chinese, 2000);
        assertThat(cut.getBytes(StandardCharsets.UTF_8).length).isLessThanOrEqualTo(2000);
        assertThat(cut).endsWith("…").startsWith("显存不足");
        assertThat(Formats.fit("short", 2000)).isEqualTo("short");
    }
}
