package dev.lifeline.notify;

import static dev.lifeline.testing.OpsTimeouts.SOON;
import static dev.lifeline.testing.OpsTimeouts.scaled;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lifeline.config.NotifySpec;
import dev.lifeline.config.NotifySpec.Format;
import dev.lifeline.core.Event;
import dev.lifeline.testing.WebhookReceiver;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class NotifierTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Notifier.Retry FAST = new Notifier.Retry(4, Duration.ofMillis(50), Duration.ofMillis(200));

    private WebhookReceiver receiver;
    private final List<Event> reports = new CopyOnWriteArrayList<>();

    @BeforeEach
    void start() throws Exception {
        receiver = new WebhookReceiver();
    }

    @AfterEach
    void stop() {
        receiver.close();
    }

    private static Event crashed() {
        return new Event(
                Instant.parse("2026-11-21T10:15:30Z"),
                "service/webui",
                "crashed",
                Event.Level.ERROR,
                "exited with code 137 (killed)",
                Map.of("pid", 12487, "exitCode", 137));
    }

    private Notifier notifier(NotifySpec... specs) {
        return Notifier.builder(List.of(specs))
                .host("gpu-host")
                .zone(ZoneOffset.UTC)
                .retry(FAST)
                .timeout(Duration.ofSeconds(2))
                .reports(reports::add)
                .build();
    }

    private NotifySpec spec(Format format, Duration minInterval) {
        return new NotifySpec(receiver.uri("/hook?key=secret-token-123456"), format, Set.of(), "warn", minInterval);
    }

    @Test
    void postsAnEventAsGenericJson() throws Exception {
        try (Notifier n = notifier(spec(Format.JSON, Duration.ZERO))) {
            n.onEvent(crashed());
            await().atMost(SOON).until(() -> receiver.bodies().size() == 1);
        }
        JsonNode body = JSON.readTree(receiver.bodies().get(0));
        assertThat(body.get("source").asText()).isEqualTo("service/webui");
        assertThat(body.get("type").asText()).isEqualTo("crashed");
        assertThat(body.get("level").asText()).isEqualTo("ERROR");
        assertThat(body.get("host").asText()).isEqualTo("gpu-host");
        assertThat(body.get("count").asInt()).isEqualTo(1);
        assertThat(body.get("fields").get("exitCode").asInt()).isEqualTo(137);
        assertThat(body.get("time").asText()).isEqualTo("2026-11-21T10:15:30Z");
    }

    @Test
    void postsInTheShapeEachChatBotExpects() throws Exception {
        try (Notifier n = notifier(
                spec(Format.WECOM, Duration.ZERO),
                spec(Format.DINGTALK, Duration.ZERO),
                spec(Format.FEISHU, Duration.ZERO),
                spec(Format.SLACK, Duration.ZERO))) {
            n.onEvent(crashed());
            await().atMost(SOON).until(() -> receiver.bodies().size() == 4);
        }
        List<JsonNode> bodies =
                receiver.bodies().stream().map(NotifierTest::parse).toList();
        JsonNode wecomOrDing =
                bodies.stream().filter(b -> b.has("msgtype")).findFirst().orElseThrow();
        assertThat(wecomOrDing.get("msgtype").asText()).isEqualTo("text");
        assertThat(wecomOrDing.get("text").get("content").asText())
                .startsWith("[Lifeline] ERROR service/webui crashed on gpu-host")
                .contains("exited with code 137")
                .contains("exitCode: 137");
        assertThat(bodies.stream().filter(b -> b.has("msgtype"))).hasSize(2);
        JsonNode feishu =
                bodies.stream().filter(b -> b.has("msg_type")).findFirst().orElseThrow();
        assertThat(feishu.get("content").get("text").asText()).contains("crashed");
        JsonNode slack = bodies.stream()
                .filter(b -> b.size() == 1 && b.has("text"))
                .findFirst()
                .orElseThrow();
        assertThat(slack.get("text").asText()).startsWith("[Lifeline]");
    }

    @Test
    void retriesAReceiverThatFailsFirstThenSucceeds() {
        receiver.thenAnswer(500, "busy").thenAnswer(503, "still busy");
        try (Notifier n = notifier(spec(Format.JSON, Duration.ZERO))) {
            n.onEvent(crashed());
            await().atMost(SOON).until(() -> receiver.bodies().size() == 1);
            await().atMost(SOON)
                    .until(() -> reports.stream().anyMatch(e -> e.type().equals("delivered")));
        }
        assertThat(receiver.requests()).isEqualTo(3);
        assertThat(reports)
                .filteredOn(e -> e.type().equals("delivered"))
                .singleElement()
                .satisfies(e -> assertThat(e.fields().get("attempts")).isEqualTo(3));
    }

    @Test
    void givesUpOnARefusalThatRetryingCannotFix() {
        receiver.thenAnswer(200, "{\"errcode\":310000,\"errmsg\":\"keywords not in content\"}");
        try (Notifier n = notifier(spec(Format.DINGTALK, Duration.ZERO))) {
            n.onEvent(crashed());
            await().atMost(SOON).until(() -> !reports.isEmpty());
        }
        assertThat(receiver.requests()).isEqualTo(1);
        assertThat(reports.get(0).type()).isEqualTo("delivery-failed");
        assertThat(reports.get(0).message()).contains("310000").contains("keywords not in content");
    }

    @Test
    void coalescesAFloodAndSaysHowManyEventsItStandsFor() throws Exception {
        int flood = 1000;
        try (Notifier n = notifier(spec(Format.JSON, Duration.ofMillis(300)))) {
            for (int i = 0; i < flood; i++) {
                n.onEvent(Event.of(
                        "service/webui",
                        i % 2 == 0 ? "crashed" : "restarting",
                        Event.Level.ERROR,
                        "event " + i,
                        Map.of()));
            }
            await().atMost(SOON)
                    .until(() -> receiver.bodies().stream()
                                    .mapToInt(b -> parse(b).get("count").asInt())
                                    .sum()
                            == flood);
        }
        List<JsonNode> bodies =
                receiver.bodies().stream().map(NotifierTest::parse).toList();
        assertThat(bodies).hasSizeLessThan(10); // one message per 300ms, not one per event
        JsonNode coalesced = bodies.stream()
                .max(java.util.Comparator.comparingInt(b -> b.get("count").asInt()))
                .orElseThrow();
        assertThat(coalesced.get("count").asInt()).isGreaterThan(Destination.KEEP);
        assertThat(coalesced.get("notShown").asInt())
                .isEqualTo(coalesced.get("count").asInt() - Destination.KEEP);
        assertThat(coalesced.get("events")).hasSize(Destination.KEEP);
        assertThat(bodies.get(bodies.size() - 1).get("message").asText()).isEqualTo("event " + (flood - 1));
        assertThat(coalesced.get("types").get("crashed").asInt()
                        + coalesced.get("types").get("restarting").asInt())
                .isEqualTo(coalesced.get("count").asInt());
    }

    @Test
    void neverBlocksTheCallerWhileAWebhookHangs() {
        receiver.hold();
        try (Notifier n = notifier(spec(Format.JSON, Duration.ZERO))) {
            n.onEvent(crashed());
            await().atMost(SOON).until(() -> receiver.arrivals() == 1);
            // Blocking would cost at least the 2s HTTP timeout per call; queueing costs microseconds.
            long t0 = System.nanoTime();
            for (int i = 0; i < 10_000; i++) {
                n.onEvent(crashed());
            }
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(scaled(Duration.ofMillis(1500)));
            receiver.release();
            await().atMost(SOON).until(() -> receiver.bodies().size() == 2);
        }
        assertThat(parse(receiver.bodies().get(1)).get("count").asInt()).isEqualTo(10_000);
    }

    @Test
    void sendsFieldsOfAnyTypeAsJson() throws Exception {
        try (Notifier n = notifier(spec(Format.JSON, Duration.ZERO))) {
            n.onEvent(Event.of(
                    "service/webui",
                    "restarting",
                    Event.Level.WARN,
                    "restarting in 4s",
                    Map.of("delay", Duration.ofSeconds(4), "cwd", java.nio.file.Path.of("/root/build"), "ok", true)));
            await().atMost(SOON).until(() -> receiver.bodies().size() == 1);
        }
        JsonNode fields = parse(receiver.bodies().get(0)).get("fields");
        assertThat(fields.get("delay").asText()).isEqualTo("PT4S");
        assertThat(fields.get("cwd").asText()).isEqualTo("/root/build");
        assertThat(fields.get("ok").asBoolean()).isTrue();
    }

    @Test
    void sendsOnlyTheEventsAWebhookAskedFor() {
        NotifySpec onlyRecovered =
                new NotifySpec(receiver.uri("/only"), Format.JSON, Set.of("recovered"), "warn", Duration.ZERO);
        try (Notifier n = notifier(onlyRecovered)) {
            n.onEvent(crashed()); // ERROR, but not asked for
            n.onEvent(Event.of("service/webui", "recovered", Event.Level.INFO, "healthy again", Map.of()));
            await().atMost(SOON).until(() -> receiver.bodies().size() == 1);
        }
        // close() posts whatever was still queued: one message, standing for one event, is all
        assertThat(receiver.bodies()).singleElement().satisfies(b -> {
            JsonNode body = parse(b);
            assertThat(body.get("type").asText()).isEqualTo("recovered");
            assertThat(body.get("count").asInt()).isEqualTo(1);
            assertThat(body.get("types").fieldNames()).toIterable().containsExactly("recovered");
        });
    }

    @Test
    void skipsInfoEventsByDefaultButSendsRecoveries() {
        try (Notifier n = notifier(spec(Format.JSON, Duration.ZERO))) {
            n.onEvent(Event.info("service/webui", "ready", "ready on :7860"));
            n.onEvent(Event.of("service/webui", "recovered", Event.Level.INFO, "healthy again", Map.of()));
            await().atMost(SOON).until(() -> receiver.bodies().size() == 1);
        }
        assertThat(receiver.bodies()).singleElement().satisfies(b -> {
            JsonNode body = parse(b);
            assertThat(body.get("type").asText()).isEqualTo("recovered");
            assertThat(body.get("count").asInt()).isEqualTo(1);
            assertThat(body.get("types").fieldNames()).toIterable().containsExactly("recovered");
        });
    }

    /** The events of contract C2, as the supervisor and the tunnel keeper emit them. */
    private static List<Event> comebacks() {
        return List.of(
                new Event(
                        Instant.parse("2026-11-21T10:16:02Z"),
                        "service/webui",
                        "recovered",
                        Event.Level.INFO,
                        "ready again after a crash (down 32s, 1 restart)",
                        Map.of("restarts", 1, "downSeconds", 32)),
                new Event(
                        Instant.parse("2026-11-21T10:17:00Z"),
                        "tunnel/gpu-box",
                        "tunnel-up",
                        Event.Level.INFO,
                        "up again after 41s down",
                        Map.of("downSeconds", 41, "reconnects", 3)));
    }

    @Test
    void sendsRecoveredAndTunnelUpByDefaultInEveryFormat() {
        Map<String, Format> paths = new java.util.LinkedHashMap<>();
        for (Format f : Format.values()) {
            paths.put("/" + f.name().toLowerCase(java.util.Locale.ROOT), f);
        }
        List<NotifySpec> specs = paths.entrySet().stream()
                .map(e -> new NotifySpec(receiver.uri(e.getKey()), e.getValue(), Set.of(), "warn", Duration.ZERO))
                .toList();
        try (Notifier n = notifier(specs.toArray(NotifySpec[]::new))) {
            for (Event e : comebacks()) {
                n.onEvent(Event.info(e.source(), "ready", "not sent: INFO")); // the level filter still holds
                n.onEvent(e);
                // one message each: wait for every webhook before the next event, so none is coalesced
                int expected = (comebacks().indexOf(e) + 1) * paths.size();
                await().atMost(SOON).until(() -> receiver.bodies().size() >= expected);
            }
        }
        List<String> bodies = receiver.bodies();
        assertThat(bodies).hasSize(2 * paths.size());
        assertThat(bodies).noneMatch(b -> b.contains("not sent: INFO"));
        List<JsonNode> json = bodies.stream()
                .map(NotifierTest::parse)
                .filter(b -> b.has("source"))
                .toList();
        assertThat(json).extracting(b -> b.get("type").asText()).containsExactly("recovered", "tunnel-up");
        assertThat(json.get(0).get("fields").get("downSeconds").asInt()).isEqualTo(32);
        assertThat(json.get(0).get("fields").get("restarts").asInt()).isEqualTo(1);
        assertThat(json.get(1).get("source").asText()).isEqualTo("tunnel/gpu-box");
        assertThat(json.get(1).get("fields").get("reconnects").asInt()).isEqualTo(3);
        List<String> texts = bodies.stream()
                .map(NotifierTest::parse)
                .filter(b -> !b.has("source"))
                .map(NotifierTest::chatText)
                .toList();
        assertThat(texts).hasSize(2 * (paths.size() - 1));
        assertThat(texts)
                .filteredOn(t -> t.contains("recovered"))
                .hasSize(paths.size() - 1)
                .allSatisfy(t -> assertThat(t)
                        .startsWith("[Lifeline] INFO service/webui recovered on gpu-host")
                        .contains("ready again after a crash")
                        .contains("downSeconds: 32"));
        assertThat(texts)
                .filteredOn(t -> t.contains("tunnel-up"))
                .hasSize(paths.size() - 1)
                .allSatisfy(t -> assertThat(t)
                        .startsWith("[Lifeline] INFO tunnel/gpu-box tunnel-up on gpu-host")
                        .contains("up again after 41s down")
                        .contains("reconnects: 3"));
    }

    /** The text a chat bot shows, whichever of WeCom, DingTalk, Feishu or Slack the body is for. */
    private static String chatText(JsonNode b) {
        if (b.has("msgtype")) {
            return b.get("text").get("content").asText();
        }
        if (b.has("msg_type")) {
            return b.get("content").get("text").asText();
        }
        return b.get("text").asText();
    }

    @Test
    void ignoresItsOwnReportsSoAFailingWebhookCannotLoop() {
        try (Notifier n = notifier(spec(Format.JSON, Duration.ZERO))) {
            n.onEvent(Event.of(Notifier.SOURCE, "delivery-failed", Event.Level.WARN, "x", Map.of()));
            n.onEvent(crashed());
            await().atMost(SOON).until(() -> receiver.bodies().size() == 1);
        }
        assertThat(parse(receiver.bodies().get(0)).get("type").asText()).isEqualTo("crashed");
    }

    @Test
    void sendNowReportsEachWebhookWithoutPrintingItsToken() {
        NotifySpec dead =
                NotifySpec.of(URI.create("http://127.0.0.1:1/robot/send?access_token=abcdef123456"), Format.DINGTALK);
        try (Notifier n = notifier(spec(Format.WECOM, Duration.ofHours(1)), dead)) {
            List<DeliveryResult> results = n.sendNow(crashed());
            assertThat(results).hasSize(2);
            assertThat(results.get(0).delivered()).isTrue();
            assertThat(results.get(0).detail()).isEqualTo("HTTP 200");
            assertThat(results.get(1).delivered()).isFalse();
            assertThat(results.get(1).detail()).contains("cannot connect");
            assertThat(results)
                    .allSatisfy(r -> assertThat(r.target()).doesNotContain("secret-token-123456", "abcdef123456"));
            assertThat(results.get(1).target()).isEqualTo("http://127.0.0.1:1/robot/send?access_token=abcd…");
        }
    }

    @Test
    void closeIsIdempotentAndEndsTheDeliveryThreads() {
        Notifier n = notifier(spec(Format.JSON, Duration.ZERO), spec(Format.SLACK, Duration.ZERO));
        assertThat(n.isRunning()).isTrue();
        n.close();
        n.close();
        assertThat(n.isRunning()).isFalse();
        n.onEvent(crashed()); // after close: ignored, no exception
    }

    @Test
    void closeDoesNotHangOnHungWebhooks() {
        receiver.hold();
        Notifier n = Notifier.builder(List.of(spec(Format.JSON, Duration.ZERO), spec(Format.SLACK, Duration.ZERO)))
                .retry(FAST)
                .timeout(Duration.ofMillis(300))
                .build();
        n.onEvent(crashed());
        await().atMost(SOON).until(() -> receiver.arrivals() == 2);
        long t0 = System.nanoTime();
        n.close();
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(3));
        assertThat(n.isRunning()).isFalse();
    }

    @Test
    void closePostsWhatIsStillPending() {
        Notifier n = notifier(spec(Format.JSON, Duration.ofHours(1)));
        n.onEvent(crashed());
        await().atMost(SOON).until(() -> receiver.bodies().size() == 1);
        n.onEvent(Event.of("service/webui", "failed", Event.Level.ERROR, "gave up", Map.of()));
        n.close();
        assertThat(receiver.bodies()).hasSize(2);
        assertThat(parse(receiver.bodies().get(1)).get("type").asText()).isEqualTo("failed");
    }

    private static JsonNode parse(String s) {
        try {
            return JSON.readTree(s);
        } catch (Exception e) {
            throw new AssertionError(s, e);
        }
    }
}
