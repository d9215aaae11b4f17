package dev.lifeline.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * One value of the YAML file, with where it stands (file, line, column) and its dotted field
 * path, so that every validation message can point at the exact spot.
 *
 * <p>Section parsers ({@link ServiceSpec}, {@link TunnelSpec}…) read their part through these
 * typed accessors; nothing outside this package sees YAML.
 */
public final class ConfigNode {
    public enum Kind {
        MAP,
        LIST,
        SCALAR,
        NULL,
        MISSING
    }

    private static final Pattern DURATION = Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*(ms|s|m|h|d)");
    private static final Pattern SIZE = Pattern.compile("(?i)(\\d+(?:\\.\\d+)?)\\s*([kmgt]?)(i?b?)");

    /**
     * The longest duration a setting may hold: ten years. Anything longer is a typo or a wish for
     * "never", and would overflow the nanosecond arithmetic of deadlines.
     */
    static final Duration MAX_DURATION = Duration.ofDays(3650);

    /** The largest size a setting may hold: 1 PiB; larger values are typos and overflow byte counts. */
    static final long MAX_SIZE = 1L << 50;

    private final Kind kind;
    private final String path;
    private final Path file;
    private final int line;
    private final int column;
    private final Object value; // Map<String,ConfigNode>, List<ConfigNode>, String or null

    ConfigNode(Kind kind, String path, Path file, int line, int column, Object value) {
        this.kind = kind;
        this.path = path;
        this.file = file;
        this.line = line;
        this.column = column;
        this.value = value;
    }

    static ConfigNode missing(String path, Path file, int line, int column) {
        return new ConfigNode(Kind.MISSING, path, file, line, column, null);
    }

    public Kind kind() {
        return kind;
    }

    /** The dotted field path, such as {@code services.webui.ready.timeout}. */
    public String path() {
        return path;
    }

    public boolean isPresent() {
        return kind != Kind.MISSING && kind != Kind.NULL;
    }

    public boolean isMap() {
        return kind == Kind.MAP;
    }

    public boolean isList() {
        return kind == Kind.LIST;
    }

    public boolean isScalar() {
        return kind == Kind.SCALAR;
    }

    /** "lifeline.yaml:12:5". */
    public String location() {
        String name = file == null ? "<config>" : file.toString();
        return name + ":" + line + ":" + column;
    }

    /** An error about this field: "lifeline.yaml:12:5: services.webui.port: …". */
    public ConfigException error(String problem, String hint) {
        return new ConfigException(location() + ": " + path + ": " + problem, hint);
    }

    public ConfigException error(String problem) {
        return error(problem, null);
    }

    // ------------------------------------------------------------------ maps

    /** The child at {@code key}; a MISSING node (never null) when absent. */
    public ConfigNode get(String key) {
        if (kind != Kind.MAP) {
            return missing(child(key), file, line, column);
        }
        ConfigNode n = entries().get(key);
        return n != null ? n : missing(child(key), file, line, column);
    }

    public boolean has(String key) {
        return kind == Kind.MAP && entries().containsKey(key);
    }

    @SuppressWarnings("unchecked")
    private Map<String, ConfigNode> entries() {
        return (Map<String, ConfigNode>) value;
    }

    /** This node as a map, in file order; fails when it is something else. */
    public Map<String, ConfigNode> asMap() {
        if (kind == Kind.MISSING || kind == Kind.NULL) {
            return Map.of();
        }
        if (kind != Kind.MAP) {
            throw error("expected a mapping of keys to values, found " + describe());
        }
        return Collections.unmodifiableMap(entries());
    }

    /**
     * Rejects any key not in {@code allowed}, suggesting the nearest valid one for a typo.
     *
     * @return this node, for chaining
     */
    public ConfigNode allowOnly(Set<String> allowed) {
        return allowOnly(allowed, null);
    }

    /** As {@link #allowOnly(Set)}, also letting through any key that starts with {@code freePrefix}. */
    ConfigNode allowOnly(Set<String> allowed, String freePrefix) {
        for (Map.Entry<String, ConfigNode> e : asMap().entrySet()) {
            if (!allowed.contains(e.getKey())
                    && (freePrefix == null || !e.getKey().startsWith(freePrefix))) {
                String near = Suggest.nearest(e.getKey(), allowed);
                String valid = "valid keys here: " + String.join(", ", new java.util.TreeSet<>(allowed));
                throw e.getValue()
                        .error(
                                "unknown key '" + e.getKey() + "'"
                                        + (near == null ? "" : " (did you mean '" + near + "'?)"),
                                valid);
            }
        }
        return this;
    }

    /** Fails when this required node is absent. */
    public ConfigNode required() {
        if (!isPresent()) {
            throw error("is required but missing");
        }
        return this;
    }

    // ------------------------------------------------------------------ lists

    /** A list; a single scalar is accepted as a one-element list. Absent means empty. */
    @SuppressWarnings("unchecked")
    public List<ConfigNode> asList() {
        switch (kind) {
            case MISSING:
            case NULL:
                return List.of();
            case LIST:
                return Collections.unmodifiableList((List<ConfigNode>) value);
            case SCALAR:
                return List.of(this);
            default:
                throw error("expected a list, found " + describe());
        }
    }

    public List<String> asStringList() {
        List<String> out = new ArrayList<>();
        for (ConfigNode n : asList()) {
            out.add(n.asString());
        }
        return List.copyOf(out);
    }

    // ------------------------------------------------------------------ scalars

    public String asString() {
        if (kind != Kind.SCALAR) {
            throw error("expected a text value, found " + describe());
        }
        return (String) value;
    }

    public String asString(String fallback) {
        return isPresent() ? asString() : fallback;
    }

    public int asInt(int min, int max, int fallback) {
        if (!isPresent()) {
            return fallback;
        }
        String s = asString().trim();
        try {
            int v = Integer.parseInt(s);
            if (v < min || v > max) {
                throw error("" + v + " is out of range", "use a whole number from " + min + " to " + max);
            }
            return v;
        } catch (NumberFormatException e) {
            if (s.matches("[-+]?\\d+")) {
                throw error(s + " is out of range", "use a whole number from " + min + " to " + max);
            }
            throw error("'" + s + "' is not a whole number", "use a whole number from " + min + " to " + max);
        }
    }

    public boolean asBoolean(boolean fallback) {
        if (!isPresent()) {
            return fallback;
        }
        String s = asString().trim().toLowerCase(Locale.ROOT);
        switch (s) {
            case "true":
            case "yes":
            case "on":
                return true;
            case "false":
            case "no":
            case "off":
                return false;
            default:
                throw error("'" + s + "' is not true or false");
        }
    }

    /** One of {@code choices} (case-insensitive), with a suggestion for a typo. */
    public String asChoice(Set<String> choices, String fallback) {
        if (!isPresent()) {
            return fallback;
        }
        String s = asString().trim().toLowerCase(Locale.ROOT);
        if (!choices.contains(s)) {
            String near = Suggest.nearest(s, choices);
            throw error(
                    "'" + s + "' is not valid" + (near == null ? "" : " (did you mean '" + near + "'?)"),
                    "expected one of: " + String.join(", ", choices));
        }
        return s;
    }

    /** A duration such as {@code 500ms}, {@code 10s}, {@code 5m}, {@code 1h30m}, {@code 2d}. */
    public Duration asDuration(Duration fallback) {
        if (!isPresent()) {
            return fallback;
        }
        return parseDuration(asString());
    }

    Duration parseDuration(String text) {
        String s = text.trim().toLowerCase(Locale.ROOT).replace(" ", "");
        if (s.matches("\\d+")) {
            throw error("'" + text + "' has no unit", "write a duration with a unit, such as 500ms, 10s, 5m or 1h");
        }
        Matcher m = DURATION.matcher(s);
        double millis = 0;
        int at = 0;
        while (m.find() && m.start() == at) {
            double n = Double.parseDouble(m.group(1));
            millis += n
                    * switch (m.group(2)) {
                        case "ms" -> 1;
                        case "s" -> 1_000;
                        case "m" -> 60_000;
                        case "h" -> 3_600_000;
                        default -> 86_400_000;
                    };
            at = m.end();
        }
        if (at != s.length() || s.isEmpty()) {
            throw error("'" + text + "' is not a duration", "write a duration such as 500ms, 10s, 5m, 1h30m or 2d");
        }
        // compared as a double first: a long cast would saturate, and a sum of parts could wrap
        if (millis > MAX_DURATION.toMillis()) {
            throw error("'" + text.trim() + "' is too long", "use at most 3650d (ten years)");
        }
        return Duration.ofMillis((long) millis);
    }

    /** A byte size such as {@code 6G}, {@code 512M}, {@code 10MiB}, {@code 1024}. */
    public long asSize(long fallback) {
        if (!isPresent()) {
            return fallback;
        }
        String s = asString().trim().replace(" ", "");
        Matcher m = SIZE.matcher(s);
        if (!m.matches()) {
            throw error("'" + s + "' is not a size", "write a size such as 512M, 6G or 10MiB (powers of 1024)");
        }
        double n = Double.parseDouble(m.group(1));
        int shift = switch (m.group(2).toUpperCase(Locale.ROOT)) {
            case "K" -> 10;
            case "M" -> 20;
            case "G" -> 30;
            case "T" -> 40;
            default -> 0;
        };
        double bytes = n * (1L << shift);
        if (bytes > MAX_SIZE) {
            throw error("'" + s + "' is too large", "use at most 1024T (1 PiB)");
        }
        return (long) bytes;
    }

    /** A Java regular expression, checked now so a bad one fails at load time. */
    public Pattern asRegex() {
        String s = asString();
        try {
            return Pattern.compile(s);
        } catch (PatternSyntaxException e) {
            throw error("'" + s + "' is not a valid regular expression: " + e.getDescription());
        }
    }

    /**
     * A deep copy that stands at {@code newPath} (an alias's use or a merged key) and keeps the
     * line and column of the text it came from; {@code onNode} runs once per copied value.
     */
    @SuppressWarnings("unchecked")
    ConfigNode withPath(String newPath, Runnable onNode) {
        onNode.run();
        switch (kind) {
            case MAP: {
                LinkedHashMap<String, ConfigNode> copy = new LinkedHashMap<>();
                for (Map.Entry<String, ConfigNode> e : entries().entrySet()) {
                    String p = newPath.isEmpty() ? e.getKey() : newPath + "." + e.getKey();
                    copy.put(e.getKey(), e.getValue().withPath(p, onNode));
                }
                return map(newPath, file, line, column, copy);
            }
            case LIST: {
                List<ConfigNode> items = (List<ConfigNode>) value;
                List<ConfigNode> copy = new ArrayList<>(items.size());
                for (int i = 0; i < items.size(); i++) {
                    copy.add(items.get(i).withPath(newPath + "[" + i + "]", onNode));
                }
                return list(newPath, file, line, column, copy);
            }
            default:
                return new ConfigNode(kind, newPath, file, line, column, value);
        }
    }

    String child(String key) {
        return path.isEmpty() ? key : path + "." + key;
    }

    private String describe() {
        return switch (kind) {
            case MAP -> "a mapping";
            case LIST -> "a list";
            case SCALAR -> "'" + value + "'";
            case NULL -> "nothing";
            case MISSING -> "nothing";
        };
    }

    static ConfigNode map(String path, Path file, int line, int column, LinkedHashMap<String, ConfigNode> entries) {
        return new ConfigNode(Kind.MAP, path, file, line, column, entries);
    }

    static ConfigNode list(String path, Path file, int line, int column, List<ConfigNode> items) {
        return new ConfigNode(Kind.LIST, path, file, line, column, items);
    }

    static ConfigNode scalar(String path, Path file, int line, int column, String text) {
        return new ConfigNode(text == null ? Kind.NULL : Kind.SCALAR, path, file, line, column, text);
    }
}
