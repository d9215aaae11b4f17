package dev.lifeline.notify;

import static dev.lifeline.testing.OpsTimeouts.SOON;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.lifeline.config.NotifySpec;
import dev.lifeline.config.NotifySpec.Format;
import dev.lifeline.core.Event;
import dev.lifeline.testing.WebhookReceiver;
import java.net.Proxy;
import java.net.URI;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ProxyTest {
    @Test
    void postsThroughTheProxyTheEnvironmentNames() throws Exception {
        try (WebhookReceiver proxy = new WebhookReceiver()) {
            String proxyAddress = "http://127.0.0.1:" + proxy.uri("/").getPort();
            NotifySpec far = NotifySpec.of(URI.create("http://hooks.example.invalid/services/T1/B2"), Format.SLACK);
            try (Notifier n = Notifier.builder(List.of(far))
                    .environment(Map.of("http_proxy", proxyAddress))
                    .build()) {
                n.onEvent(Event.of("service/webui", "failed", Event.Level.ERROR, "gave up", Map.of()));
                await().atMost(SOON).until(() -> proxy.uris().size() == 1);
            }
            // A proxy is asked for the absolute URL.
            assertThat(proxy.uris().get(0).toString()).isEqualTo("http://hooks.example.invalid/services/T1/B2");
        }
    }

    @Test
    void honoursNoProxyAndNeverProxiesLoopback() {
        Proxies p = new Proxies(Map.of("HTTPS_PROXY", "proxy.corp:3128", "NO_PROXY", ".qq.com,dingtalk.com"));
        assertThat(p.forUri(URI.create("https://hooks.slack.com/x")).address().toString())
                .isEqualTo("proxy.corp/<unresolved>:3128");
        assertThat(p.forUri(URI.create("https://qyapi.weixin.qq.com/x"))).isEqualTo(Proxy.NO_PROXY);
        assertThat(p.forUri(URI.create("https://oapi.dingtalk.com/x"))).isEqualTo(Proxy.NO_PROXY);
        assertThat(p.forUri(URI.create("https://127.0.0.1:8080/x"))).isEqualTo(Proxy.NO_PROXY);
        assertThat(p.forUri(URI.create("http://hooks.slack.com/x"))).isEqualTo(Proxy.NO_PROXY); // no http_proxy
    }
}
