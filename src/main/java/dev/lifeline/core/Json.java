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
import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * JSON for the control protocol, read and written with Jackson's streaming core into Jackson
 * tree nodes. It avoids building an {@code ObjectMapper}, whose start-up (~100–200 ms here) would
 * dominate a {@code lifeline status} that must answer in well under a quarter of a second.
 *
 * <p>Records cross the wire through {@link #toNode(Record)} and {@link #fromNode(JsonNode,
 * Class)}: one field per component, named as the component, so a component added to a record
 * flows through every reader and writer without an edit. Mapping: numbers, booleans and strings
 * as themselves; enums as their lower-case name; {@code Optional} and {@code null} as the value or
 * JSON null; lists as arrays; string-keyed maps and records as objects; {@code Instant}, {@code
 * Duration} and {@code Path} as their ISO/text form. Reading ignores unknown fields (a newer
 * daemon) and gives a missing one its empty value (0, false, "", empty, else null) (an older daemon).
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
        for (Map.Entry<String, ?> e : values.entrySet()) {
            String k = e.getKey();
            Object v = e.getValue();
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
                for (Object x : c) {
                    a.add(String.valueOf(x));
                }
            } else {
                n.put(k, v.toString());
            }
        }
        return n;
    }

    /** A record as a JSON object, one field per component (see the class comment for the mapping). */
    public static ObjectNode toNode(Record r) {
        ObjectNode n = object();
        RecordComponent[] cs = components(r.getClass());
        for (RecordComponent c : cs) {
            Object v;
            try {
                v = c.getAccessor().invoke(r);
            } catch (IllegalAccessException | InvocationTargetException e) {
                throw new IllegalStateException("cannot read " + r.getClass().getName() + "." + c.getName(), e);
            }
            n.set(c.getName(), value(v));
        }
        return n;
    }

    private static JsonNode value(Object v) {
        if (v == null) {
            return NODES.nullNode();
        } else if (v instanceof JsonNode j) {
            return j;
        } else if (v instanceof String s) {
            return NODES.textNode(s);
        } else if (v instanceof Boolean b) {
            return NODES.booleanNode(b);
        } else if (v instanceof Integer || v instanceof Long || v instanceof Short || v instanceof Byte) {
            return NODES.numberNode(((Number) v).longValue());
        } else if (v instanceof Number num) {
            return NODES.numberNode(num.doubleValue());
        } else if (v instanceof Enum<?> e) {
            return NODES.textNode(label(e));
        } else if (v instanceof Optional<?> o) {
            return o.isPresent() ? value(o.get()) : NODES.nullNode();
        } else if (v instanceof Record rec) {
            return toNode(rec);
        } else if (v instanceof Collection<?> c) {
            ArrayNode a = array();
            for (Object x : c) {
                a.add(value(x));
            }
            return a;
        } else if (v instanceof Map<?, ?> m) {
            ObjectNode o = object();
            for (Map.Entry<?, ?> e : m.entrySet()) {
                o.set(String.valueOf(e.getKey()), value(e.getValue()));
            }
            return o;
        }
        return NODES.textNode(v.toString()); // Instant, Duration, Path, …
    }

    /**
     * The record {@code type} from a JSON object written by {@link #toNode(Record)}.
     *
     * @throws IllegalArgumentException when a field cannot be read as its component's type
     */
    public static <T extends Record> T fromNode(JsonNode n, Class<T> type) {
        RecordComponent[] cs = components(type);
        Object[] args = new Object[cs.length];
        Class<?>[] types = new Class<?>[cs.length];
        for (int i = 0; i < cs.length; i++) {
            types[i] = cs[i].getType();
            try {
                args[i] = read(n == null ? null : n.get(cs[i].getName()), cs[i].getGenericType());
            } catch (RuntimeException e) {
                throw new IllegalArgumentException(
                        type.getSimpleName() + "." + cs[i].getName() + ": " + e.getMessage(), e);
            }
        }
        try {
            Constructor<T> k = type.getDeclaredConstructor(types);
            k.setAccessible(true);
            return k.newInstance(args);
        } catch (InvocationTargetException e) {
            throw new IllegalArgumentException(
                    type.getSimpleName() + ": " + e.getCause().getMessage(), e.getCause());
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot make a " + type.getName(), e);
        }
    }

    private static Object read(JsonNode n, Type t) {
        boolean absent = n == null || n.isNull() || n.isMissingNode();
        if (t instanceof ParameterizedType p) {
            Class<?> raw = (Class<?>) p.getRawType();
            Type arg = p.getActualTypeArguments()[p.getActualTypeArguments().length - 1];
            if (raw == Optional.class) {
                return absent ? Optional.empty() : Optional.ofNullable(read(n, arg));
            }
            if (List.class.isAssignableFrom(raw) || Collection.class.isAssignableFrom(raw)) {
                List<Object> out = new ArrayList<>();
                if (!absent) {
                    for (JsonNode x : n) {
                        out.add(read(x, arg));
                    }
                }
                return List.copyOf(out);
            }
            if (Map.class.isAssignableFrom(raw)) {
                Map<String, Object> out = new LinkedHashMap<>();
                if (!absent) {
                    for (Map.Entry<String, JsonNode> e : n.properties()) {
                        out.put(e.getKey(), read(e.getValue(), arg));
                    }
                }
                return out;
            }
            return read(n, raw);
        }
        Class<?> c = (Class<?>) t;
        if (c.isPrimitive()) {
            if (c == boolean.class) {
                return !absent && n.asBoolean();
            } else if (c == int.class) {
                return absent ? 0 : n.asInt();
            } else if (c == long.class) {
                return absent ? 0L : n.asLong();
            } else if (c == double.class) {
                return absent ? 0.0 : n.asDouble();
            } else if (c == float.class) {
                return absent ? 0f : (float) n.asDouble();
            } else if (c == short.class) {
                return absent ? (short) 0 : (short) n.asInt();
            }
            return absent ? (byte) 0 : (byte) n.asInt();
        }
        if (absent) {
            // A string field an older peer does not send reads as "" (records use "" for "nothing");
            // one sent as null stays null.
            return n == null && c == String.class ? "" : null;
        }
        if (c == String.class) {
            return n.asText();
        } else if (c == Integer.class) {
            return n.asInt();
        } else if (c == Long.class) {
            return n.asLong();
        } else if (c == Double.class) {
            return n.asDouble();
        } else if (c == Boolean.class) {
            return n.asBoolean();
        } else if (c.isEnum()) {
            return enumValue(c, n.asText());
        } else if (c.isRecord()) {
            return fromNode(n, c.asSubclass(Record.class));
        } else if (c == Instant.class) {
            return Instant.parse(n.asText());
        } else if (c == Duration.class) {
            return Duration.parse(n.asText());
        } else if (c == Path.class) {
            return Path.of(n.asText());
        } else if (JsonNode.class.isAssignableFrom(c)) {
            return n;
        }
        throw new IllegalArgumentException("no JSON mapping for " + c.getName());
    }

    /** An enum constant as its {@code label()} where it has one (ServiceState: "ready"), else its name. */
    private static String label(Enum<?> e) {
        // (plain loops and look-ups, no lambdas, on this path: 'status' starts a fresh JVM each time)
        Class<?> k = e.getDeclaringClass();
        java.lang.reflect.Method m = LABELS.get(k);
        if (m == null) {
            try {
                java.lang.reflect.Method l = k.getMethod("label");
                m = l.getReturnType() == String.class ? l : NO_LABEL;
            } catch (NoSuchMethodException x) {
                m = NO_LABEL;
            }
            LABELS.put(k, m);
        }
        if (m == NO_LABEL) {
            return e.name();
        }
        try {
            return (String) m.invoke(e);
        } catch (ReflectiveOperationException x) {
            return e.name();
        }
    }

    private static Object enumValue(Class<?> c, String text) {
        for (Object k : c.getEnumConstants()) {
            Enum<?> e = (Enum<?>) k;
            if (e.name().equalsIgnoreCase(text) || label(e).equals(text)) {
                return e;
            }
        }
        throw new IllegalArgumentException("'" + text + "' is not a " + c.getSimpleName());
    }

    private static final Map<Class<?>, java.lang.reflect.Method> LABELS = new ConcurrentHashMap<>();
    private static final java.lang.reflect.Method NO_LABEL;

    static {
        try {
            NO_LABEL = Object.class.getMethod("toString");
        } catch (NoSuchMethodException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private static final Map<Class<?>, RecordComponent[]> COMPONENTS = new ConcurrentHashMap<>();

    private static RecordComponent[] components(Class<?> type) {
        RecordComponent[] cs = COMPONENTS.get(type);
        if (cs == null) {
            cs = type.getRecordComponents();
            for (RecordComponent c : cs) {
                c.getAccessor().setAccessible(true);
            }
            COMPONENTS.put(type, cs);
        }
        return cs;
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
