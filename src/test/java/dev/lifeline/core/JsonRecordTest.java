package dev.lifeline.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The record codec of the protocol: every component crosses, and peers of other versions still read. */
class JsonRecordTest {
    enum Mood {
        CALM,
        ANGRY;

        public String label() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    enum Plain {
        OK,
        FAIL
    }

    record Part(String local, Optional<Boolean> answers) {}

    record Everything(
            String name,
            Mood mood,
            Plain plain,
            long pid,
            int count,
            double seconds,
            boolean flag,
            Integer exit,
            Optional<Long> rtt,
            List<Part> parts,
            Map<String, Integer> sizes,
            Instant since,
            Duration every,
            Path log) {}

    private static final Everything SAMPLE = new Everything(
            "web",
            Mood.ANGRY,
            Plain.FAIL,
            1234,
            3,
            -1.0,
            true,
            null,
            Optional.of(42L),
            List.of(new Part("127.0.0.1:7860", Optional.of(false)), new Part("b", Optional.empty())),
            Map.of("a", 1),
            Instant.parse("2026-12-01T08:00:00Z"),
            Duration.ofSeconds(90),
            Path.of("/tmp/web.log"));

    @Test
    void aRecordCrossesWithEveryComponentAndBack() {
        JsonNode n = Json.parse(Json.write(Json.toNode(SAMPLE)));

        assertThat(n.path("mood").asText()).as("enums by label").isEqualTo("angry");
        assertThat(n.path("plain").asText()).as("enums without a label by name").isEqualTo("FAIL");
        assertThat(n.path("exit").isNull()).isTrue();
        assertThat(n.path("rtt").asLong()).isEqualTo(42);
        assertThat(n.path("parts").get(1).path("answers").isNull()).isTrue();
        assertThat(n.path("since").asText()).isEqualTo("2026-12-01T08:00:00Z");
        assertThat(Json.fromNode(n, Everything.class)).isEqualTo(SAMPLE);
    }

    @Test
    void unknownFieldsAreIgnoredAndMissingOnesGetEmptyValues() {
        JsonNode n = Json.parse("{\"name\":\"web\",\"mood\":\"calm\",\"newer\":{\"x\":1}}");

        Everything e = Json.fromNode(n, Everything.class);

        assertThat(e.name()).isEqualTo("web");
        assertThat(e.mood()).isEqualTo(Mood.CALM);
        assertThat(e.pid()).isZero();
        assertThat(e.flag()).isFalse();
        assertThat(e.exit()).isNull();
        assertThat(e.rtt()).isEmpty();
        assertThat(e.parts()).isEmpty();
        assertThat(e.sizes()).isEmpty();
        assertThat(Json.fromNode(Json.parse("{}"), Part.class).local())
                .as("a string an older peer does not send")
                .isEqualTo("");
    }

    record Small(float f, short s, byte b, Integer i, Long l, Double d, Boolean bo, JsonNode raw) {}

    @Test
    void everyPrimitiveAndBoxedNumberAndARawNodeCrossAndDefault() {
        Small v = new Small(1.5f, (short) 7, (byte) -3, 4, 5L, 2.25, true, Json.parse("{\"x\":[1]}"));

        assertThat(Json.fromNode(Json.parse(Json.write(Json.toNode(v))), Small.class))
                .isEqualTo(v);
        assertThat(Json.fromNode(Json.parse("{}"), Small.class))
                .isEqualTo(new Small(0f, (short) 0, (byte) 0, null, null, null, null, null));
    }

    @Test
    void aValueOfTheWrongShapeNamesTheRecordAndComponent() {
        assertThatThrownBy(() -> Json.fromNode(Json.parse("{\"mood\":\"sleepy\"}"), Everything.class))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("Everything.mood")
                .hasMessageContaining("'sleepy'");
    }
}
