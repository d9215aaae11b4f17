package dev.lifeline.notify;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lifeline.config.NotifySpec.Format;
import dev.lifeline.core.Event;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The body each kind of bot receives, as the person reading the chat or the script sees it. */
class FormatsTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Instant T = Instant.parse("2026-11-21T10:15:30Z");
    private final Formats formats = new Formats("gpu-1", ZoneId.of("UTC"));

    private static Event event(int second, String type, Event.Level level, String message, Map<String, Object> f) {
        return new Event(T.plusSeconds(second), "service/webui", type, level, message, f);
    }

    @Test
    void oneEventIsOneTextWithItsFieldsInOrder() {
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("pid", 42);
        f.put("exit", 1);
        Digest d = Digest.of(event(0, "crashed", Event.Level.ERROR, "webui exited with code 1", f));
        assertThat(formats.text(d))
                .isEqualTo("[Lifeline] ERROR service/webui crashed on gpu-1\nwebui exited with code 1\n"
                        + "time: 2026-11-21 10:15:30 UTC\nexit: 1\npid: 42");
    }

    @Test
    void aDigestShowsTheLastTenEventsAndCountsTheRest() {
        List<Event> shown = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            shown.add(event(i, i % 2 == 0 ? "crashed" : "restarting", Event.Level.WARN, "n" + i, Map.of()));
        }
        Digest d = new Digest(shown, 15, Map.of("restarting", 7, "crashed", 8), Event.Level.ERROR);
        String text = formats.text(d);
        assertThat(text)
                .startsWith("[Lifeline] ERROR 15 events on gpu-1 (crashed ×8, restarting ×7)\n"
                        + "10:15:32 WARN service/webui crashed: n2\n")
                .contains("10:15:41 WARN service/webui restarting: n11\n")
                .doesNotContain(": n1\n")
                .contains("\n5 earlier events not shown (coalesced to limit the rate)\n")
                .endsWith("latest: 2026-11-21 10:15:41 UTC");
        assertThat(text.lines().filter(l -> l.contains(" WARN service/webui "))).hasSize(10);

        Digest all = new Digest(shown.subList(0, 3), 3, Map.of("crashed", 2, "restarting", 1), Event.Level.WARN);
        assertThat(formats.text(all)).doesNotContain("not shown").contains(": n0\n");
    }

    @Test
    void genericJsonKeepsNumbersAndBooleansAsValuesAndListsEveryShownEvent() throws Exception {
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("pid", 42L);
        f.put("short", (short) 3);
        f.put("byte", (byte) 4);
        f.put("int", 5);
        f.put("rss", 1.5);
        f.put("ready", false);
        f.put("delay", Duration.ofSeconds(2));
        f.put("log", Path.of("/srv/logs/webui.log"));
        Event first = event(0, "crashed", Event.Level.ERROR, "exited", Map.of());
        Event last = event(5, "restarting", Event.Level.WARN, "again", f);
        Digest d = new Digest(List.of(first, last), 3, Map.of("crashed", 2, "restarting", 1), Event.Level.ERROR);
        JsonNode n = JSON.readTree(formats.body(Format.JSON, d));
        assertThat(n.get("type").asText()).isEqualTo("restarting");
        assertThat(n.get("time").asText()).isEqualTo("2026-11-21T10:15:35Z");
        assertThat(n.get("source").asText()).isEqualTo("service/webui");
        assertThat(n.get("message").asText()).isEqualTo("again");
        assertThat(n.get("level").asText()).as("the digest's worst").isEqualTo("ERROR");
        assertThat(n.get("host").asText()).isEqualTo("gpu-1");
        assertThat(n.get("count").asInt()).isEqualTo(3);
        assertThat(n.get("notShown").asInt()).isEqualTo(1);
        assertThat(n.get("types").toString()).isEqualTo("{\"crashed\":2,\"restarting\":1}");
        assertThat(n.get("events")).hasSize(2);
        assertThat(n.get("events").get(0).get("type").asText()).isEqualTo("crashed");
        assertThat(n.get("events").get(0).get("level").asText()).isEqualTo("ERROR");
        JsonNode fields = n.get("fields");
        assertThat(fields.get("pid").isIntegralNumber()).isTrue();
        assertThat(fields.get("pid").asLong()).isEqualTo(42);
        assertThat(fields.get("short").isIntegralNumber()).isTrue();
        assertThat(fields.get("byte").asInt()).isEqualTo(4);
        assertThat(fields.get("int").isIntegralNumber()).isTrue();
        assertThat(fields.get("rss").isDouble()).isTrue();
        assertThat(fields.get("rss").asDouble()).isEqualTo(1.5);
        assertThat(fields.get("ready").isBoolean()).isTrue();
        assertThat(fields.get("ready").asBoolean()).isFalse();
        assertThat(fields.get("delay").asText()).isEqualTo("PT2S");
        assertThat(fields.get("log").asText()).isEqualTo("/srv/logs/webui.log");
    }

    @Test
    void eachChatBotGetsTheTextInItsOwnEnvelope() throws Exception {
        Digest d = Digest.of(event(0, "ready", Event.Level.INFO, "webui is ready", Map.of()));
        String text = formats.text(d);
        assertThat(JSON.readTree(formats.body(Format.WECOM, d)).toString())
                .isEqualTo(JSON.createObjectNode()
                        .put("msgtype", "text")
                        .set("text", JSON.createObjectNode().put("content", text))
                        .toString());
        assertThat(JSON.readTree(formats.body(Format.DINGTALK, d))
                        .at("/text/content")
                        .asText())
                .isEqualTo(text);
        JsonNode feishu = JSON.readTree(formats.body(Format.FEISHU, d));
        assertThat(feishu.get("msg_type").asText()).isEqualTo("text");
        assertThat(feishu.at("/content/text").asText()).isEqualTo(text);
        assertThat(JSON.readTree(formats.body(Format.SLACK, d)).get("text").asText())
                .isEqualTo(text);
    }

    @Test
    void textIsCutAtACharacterBoundaryToFitTheBotsLimit() {
        assertThat(Formats.fit("abc", 3)).isEqualTo("abc");
        assertThat(Formats.fit("abcd", 4)).isEqualTo("abcd");
        assertThat(Formats.fit("abcde", 4)).isEqualTo("a…");
        assertThat(Formats.fit("éééé", 7)).as("2-byte characters").isEqualTo("éé…");
        assertThat(Formats.fit("中中中", 8)).as("3-byte characters").isEqualTo("中…");
        assertThat(Formats.fit("😀😀", 7))
                .as("4-byte characters, never half a surrogate pair")
                .isEqualTo("😀…");
        assertThat(Formats.fit("a😀", 5)).isEqualTo("a😀");
        String cut = Formats.fit("x".repeat(3000), 2000);
        assertThat(cut.getBytes(StandardCharsets.UTF_8)).hasSize(2000);
        assertThat(cut).endsWith("…");
        String huge = formats.text(Digest.of(event(0, "crashed", Event.Level.ERROR, "x".repeat(5000), Map.of())));
        assertThat(huge.getBytes(StandardCharsets.UTF_8)).hasSize(2000);
    }
}
