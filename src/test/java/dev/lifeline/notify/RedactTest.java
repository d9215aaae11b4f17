package dev.lifeline.notify;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import org.junit.jupiter.api.Test;

class RedactTest {
    @Test
    void shortensTokensInQueriesAndPaths() {
        assertThat(Redact.url(URI.create(
                        "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=693axxxx-7aoc-4bc4-97a0-0ec2sifa5aaa")))
                .isEqualTo("https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=693a…");
        assertThat(Redact.url(
                        URI.create("https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX")))
                .isEqualTo("https://hooks.slack.com/services/T000…/B000…/XXXX…");
        assertThat(Redact.url(URI.create(
                        "https://open.feishu.cn/open-apis/bot/v2/hook/2b1d4c1e-8f6a-4e3b-9a55-0c7d1e2f3a4b")))
                .isEqualTo("https://open.feishu.cn/open-apis/bot/v2/hook/2b1d…");
    }
}
