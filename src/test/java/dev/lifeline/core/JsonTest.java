package dev.lifeline.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The control protocol's JSON: what one side writes, the other reads back the same. */
class JsonTest {
    @Test
    void everyKindOfValueSurvivesARoundTrip() {
        String text = "{\"s\":\"webui \\\"x\\\"\",\"i\":7860,\"big\":9007199254740993,\"f\":0.5,\"t\":true,"
                + "\"n\":false,\"z\":null,\"a\":[1,\"two\",[],{}],\"o\":{\"k\":{\"deep\":[null]}}}";
        JsonNode n = Json.parse(text);
        assertThat(n.get("s").textValue()).isEqualTo("webui \"x\"");
        assertThat(n.get("i").longValue()).isEqualTo(7860);
        assertThat(n.get("big").longValue()).isEqualTo(9007199254740993L);
        assertThat(n.get("f").doubleValue()).isEqualTo(0.5);
        assertThat(n.get("t").booleanValue()).isTrue();
        assertThat(n.get("n").isBoolean()).isTrue();
        assertThat(n.get("n").booleanValue()).isFalse();
        assertThat(n.get("z").isNull()).isTrue();
        assertThat(n.get("a").size()).isEqualTo(4);
        assertThat(n.get("a").get(1).textValue()).isEqualTo("two");
        assertThat(n.get("a").get(2).isArray()).isTrue();
        assertThat(n.get("a").get(3).isObject()).isTrue();
        assertThat(n.at("/o/k/deep/0").isNull()).isTrue();
        assertThat(Json.write(n)).isEqualTo(text);
        assertThat(Json.parse(Json.write(n, true))).isEqualTo(n);
        assertThat(Json.write(n, true)).contains("\n").contains("\"i\" : 7860");
    }

    @Test
    void anObjectIsBuiltFromPlainJavaValues() {
        Map<String, Object> v = new LinkedHashMap<>();
        v.put("name", "webui");
        v.put("pid", 42);
        v.put("rss", 5L << 30);
        v.put("cpu", 1.5f);
        v.put("ready", true);
        v.put("none", null);
        v.put("node", Json.strings(List.of("a")));
        v.put("list", List.of("x", "y"));
        v.put("path", Path.of("/srv/app"));
        ObjectNode o = Json.object(v);
        assertThat(Json.write(o))
                .isEqualTo("{\"name\":\"webui\",\"pid\":42,\"rss\":5368709120,\"cpu\":1.5,\"ready\":true,\"none\":null,"
                        + "\"node\":[\"a\"],\"list\":[\"x\",\"y\"],\"path\":\"/srv/app\"}");
        assertThat(o.get("pid").isInt()).isTrue();
        assertThat(o.get("rss").isLong()).isTrue();
        assertThat(Json.write(Json.object())).isEqualTo("{}");
        assertThat(Json.write(Json.array())).isEqualTo("[]");
        assertThat(Json.write(null)).isEqualTo("null");
        assertThat(Json.write(Json.object().path("missing"))).isEqualTo("null");
        assertThat(Json.write(com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.binaryNode(new byte[] {1})))
                .as("anything else is written as its text")
                .isEqualTo("\"AQ==\"");
    }

    @Test
    void badOrEmptyTextIsRefusedWithTheReason() {
        assertThatThrownBy(() -> Json.parse(""))
                .isInstanceOf(UncheckedIOException.class)
                .hasMessageContaining("not valid JSON: empty JSON");
        assertThatThrownBy(() -> Json.parse("{\"a\":"))
                .isInstanceOf(UncheckedIOException.class)
                .hasMessageContaining("not valid JSON");
        assertThat(Json.parse("\"just text\"").textValue()).isEqualTo("just text");
        assertThat(Json.parse("3").longValue()).isEqualTo(3);
    }
}
