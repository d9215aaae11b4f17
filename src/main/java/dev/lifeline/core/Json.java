package dev.lifeline.core;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.util.Collection;
import java.util.Map;

/**
 * JSON for the control protocol, read and written with Jackson's streaming core into Jackson
 * tree nodes. It avoids building an {@code ObjectMapper}, whose start-up (~100–200 ms here) would
 * dominate a {@code lifeline status} that must answer in well under a quarter of a second.
 */
public final class Json {
    private static final JsonFactory FACTORY = new JsonFactory();
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private Json() {}

    public static ObjectNode object() {
        return NODES.objectNode();
    }

    public static ArrayNode array() {
        return NODES.arrayNode();
    }

    public static ArrayNode strings(Collection<String> items) {
        ArrayNode a = array();
        items.forEach(a::add);
        return a;
    }

    /** An object from simple values (String, Number, Boolean, null, JsonNode, Collection of String). */
    public static ObjectNode object(Map<String, ?> values) {
        ObjectNode n = object();
        values.forEach((k, v) -> {
            if (v == null) {
                n.putNull(k);
            } else if (v instanceof JsonNode j) {
                n.set(k, j);
            } else if (v instanceof Boolean b) {
                n.put(k, b);
            } else if (v instanceof Integer i) {
                n.put(k, i);
            } else if (v instanceof Long l) {
                n.put(k, l);
            } else if (v instanceof Number num) {
                n.put(k, num.doubleValue());
            } else if (v instanceof Collection<?> c) {
                ArrayNode a = n.putArray(k);
                c.forEach(x -> a.add(String.valueOf(x)));
            } else {
                n.put(k, v.toString());
            }
        });
        return n;
    }

    public static JsonNode parse(String text) {
        try (JsonParser p = FACTORY.createParser(text)) {
            JsonToken t = p.nextToken();
            if (t == null) {
                throw new IOException("empty JSON");
            }
            return read(p, t);
        } catch (IOException e) {
            throw new UncheckedIOException("not valid JSON: " + e.getMessage(), e);
        }
    }

    private static JsonNode read(JsonParser p, JsonToken t) throws IOException {
        switch (t) {
            case START_OBJECT: {
                ObjectNode o = object();
                while (p.nextToken() == JsonToken.FIELD_NAME) {
                    String name = p.currentName();
                    o.set(name, read(p, p.nextToken()));
                }
                return o;
            }
            case START_ARRAY: {
                ArrayNode a = array();
                JsonToken next;
                while ((next = p.nextToken()) != JsonToken.END_ARRAY) {
                    a.add(read(p, next));
                }
                return a;
            }
            case VALUE_STRING:
                return NODES.textNode(p.getText());
            case VALUE_NUMBER_INT:
                return NODES.numberNode(p.getLongValue());
            case VALUE_NUMBER_FLOAT:
                return NODES.numberNode(p.getDoubleValue());
            case VALUE_TRUE:
                return NODES.booleanNode(true);
            case VALUE_FALSE:
                return NODES.booleanNode(false);
            default:
                return NODES.nullNode();
        }
    }

    public static String write(JsonNode node) {
        return write(node, false);
    }

    public static String write(JsonNode node, boolean pretty) {
        StringWriter w = new StringWriter();
        try (JsonGenerator g = FACTORY.createGenerator(w)) {
            if (pretty) {
                g.useDefaultPrettyPrinter();
            }
            write(g, node);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return w.toString();
    }

    private static void write(JsonGenerator g, JsonNode n) throws IOException {
        if (n == null || n.isNull() || n.isMissingNode()) {
            g.writeNull();
        } else if (n.isObject()) {
            g.writeStartObject();
            for (Map.Entry<String, JsonNode> e : n.properties()) {
                g.writeFieldName(e.getKey());
                write(g, e.getValue());
            }
            g.writeEndObject();
        } else if (n.isArray()) {
            g.writeStartArray();
            for (JsonNode x : n) {
                write(g, x);
            }
            g.writeEndArray();
        } else if (n.isTextual()) {
            g.writeString(n.textValue());
        } else if (n.isBoolean()) {
            g.writeBoolean(n.booleanValue());
        } else if (n.isIntegralNumber()) {
            g.writeNumber(n.longValue());
        } else if (n.isNumber()) {
            g.writeNumber(n.doubleValue());
        } else {
            g.writeString(n.asText());
        }
    }
}
