package dev.lifeline.catalog.meta;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;

/**
 * JSON found in images, parsed with hard limits: nesting deeper than {@link #MAX_DEPTH}, a
 * string longer than 4 MiB or a number longer than 1,000 digits makes the whole text "not JSON"
 * (null), never a StackOverflowError or a huge allocation. NaN and Infinity (Python's
 * {@code json.dumps} writes them) are accepted.
 */
final class JsonText {
    static final int MAX_DEPTH = 200;
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    private static final JsonFactory FACTORY = JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder()
                    .maxNestingDepth(MAX_DEPTH)
                    .maxStringLength(4 * 1024 * 1024)
                    .maxNumberLength(1000)
                    .maxNameLength(64 * 1024)
                    .build())
            .enable(com.fasterxml.jackson.core.json.JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS)
            .build();

    private JsonText() {}

    /** The JSON value of {@code text}, or null when it is not (exactly one) JSON value within the limits. */
    static JsonNode parse(String text) {
        if (text == null) {
            return null;
        }
        String t = text.strip();
        if (t.isEmpty() || (t.charAt(0) != '{' && t.charAt(0) != '[')) {
            return null;
        }
        try (JsonParser p = FACTORY.createParser(t)) {
            JsonToken first = p.nextToken();
            if (first == null) {
                return null;
            }
            JsonNode n = read(p, first);
            return p.nextToken() == null ? n : null;
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /** A JSON object, or null. */
    static ObjectNode object(String text) {
        return parse(text) instanceof ObjectNode o ? o : null;
    }

    private static JsonNode read(JsonParser p, JsonToken t) throws IOException {
        switch (t) {
            case START_OBJECT: {
                ObjectNode o = NODES.objectNode();
                while (p.nextToken() == JsonToken.FIELD_NAME) {
                    String name = p.currentName();
                    o.set(name, read(p, p.nextToken()));
                }
                return o;
            }
            case START_ARRAY: {
                ArrayNode a = NODES.arrayNode();
                JsonToken next;
                while ((next = p.nextToken()) != JsonToken.END_ARRAY) {
                    if (next == null) {
                        throw new IOException("truncated");
                    }
                    a.add(read(p, next));
                }
                return a;
            }
            case VALUE_STRING:
                return NODES.textNode(p.getText());
            case VALUE_NUMBER_INT:
                return p.getNumberType() == JsonParser.NumberType.BIG_INTEGER
                        ? NODES.numberNode(p.getBigIntegerValue())
                        : NODES.numberNode(p.getLongValue());
            case VALUE_NUMBER_FLOAT:
                return NODES.numberNode(p.getDoubleValue());
            case VALUE_TRUE:
                return NODES.booleanNode(true);
            case VALUE_FALSE:
                return NODES.booleanNode(false);
            case VALUE_NULL:
                return NODES.nullNode();
            default:
                throw new IOException("unexpected " + t);
        }
    }
}
