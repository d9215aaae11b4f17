package dev.lifeline.config;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.ObjectCodec;
import com.fasterxml.jackson.core.io.IOContext;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLParser;
import java.io.IOException;
import java.io.Reader;
import java.io.StringReader;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.events.ScalarEvent;

/**
 * Reads YAML text into a tree of {@link ConfigNode}s that remember their line and column.
 *
 * <p>Anchors and aliases ({@code &c} / {@code *c}) and merge keys ({@code <<: *c}) are resolved
 * here: the streaming parser underneath hands an alias over as its bare name, which would
 * otherwise become a value (a command {@code c}). A copy of an aliased value carries the field
 * path of the place it is used, and the line and column of the text it came from. Expansion is
 * bounded ({@link #MAX_NODES}) so a "billion laughs" file is refused instead of filling memory.
 */
final class YamlReader {
    private static final YAMLFactory FACTORY = new AnchorFactory();

    /** The most values a config may hold once its aliases are expanded. */
    static final int MAX_NODES = 100_000;

    private static final String MERGE = "<<";

    private final Path file;
    private final Map<String, ConfigNode> anchors = new HashMap<>();
    private int nodes;

    private YamlReader(Path file) {
        this.file = file;
    }

    static ConfigNode read(String text, Path file) {
        if (text.length() > LifelineConfig.MAX_BYTES) {
            throw LifelineConfig.tooLarge(file);
        }
        try (JsonParser p = FACTORY.createParser(new StringReader(text))) {
            JsonToken t = p.nextToken();
            if (t == null) {
                return ConfigNode.map("", file, 1, 1, new LinkedHashMap<>());
            }
            return new YamlReader(file).node((AnchorParser) p, "");
        } catch (JsonProcessingException e) {
            JsonLocation loc = e.getLocation();
            String where = name(file) + (loc == null ? "" : ":" + loc.getLineNr() + ":" + loc.getColumnNr());
            throw new ConfigException(
                    where + ": not valid YAML: "
                            + e.getOriginalMessage().lines().findFirst().orElse(""),
                    "check the indentation and quoting near that line");
        } catch (IOException e) {
            throw new ConfigException("cannot read " + file + ": " + e.getMessage(), null);
        }
    }

    private ConfigNode node(AnchorParser p, String path) throws IOException {
        JsonLocation loc = p.currentTokenLocation();
        int line = loc.getLineNr();
        int col = loc.getColumnNr();
        if (p.isCurrentAlias()) {
            String name = p.getText();
            ConfigNode target = anchors.get(name);
            if (target == null) {
                throw new ConfigException(
                        where(loc) + ": " + path + ": the alias *" + name + " names no anchor before it",
                        "mark the value to reuse with &" + name + " earlier in the file, or quote the text if '*" + name
                                + "' is meant literally");
            }
            return target.withPath(path, this::count);
        }
        String anchor = p.anchor();
        count();
        ConfigNode n = switch (p.currentToken()) {
            case START_OBJECT -> map(p, path, line, col);
            case START_ARRAY -> {
                List<ConfigNode> items = new ArrayList<>();
                int i = 0;
                while (p.nextToken() != JsonToken.END_ARRAY) {
                    items.add(node(p, path + "[" + i++ + "]"));
                }
                yield ConfigNode.list(path, file, line, col, items);
            }
            case VALUE_NULL -> ConfigNode.scalar(path, file, line, col, null);
            default -> ConfigNode.scalar(path, file, line, col, p.getText());
        };
        if (anchor != null) {
            anchors.put(anchor, n);
        }
        return n;
    }

    private ConfigNode map(AnchorParser p, String path, int line, int col) throws IOException {
        LinkedHashMap<String, ConfigNode> entries = new LinkedHashMap<>();
        Set<String> merged = new HashSet<>(); // keys that came from '<<' and an explicit key may override
        boolean sawMerge = false;
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String key = p.currentName();
            JsonLocation keyLoc = p.currentTokenLocation();
            String childPath = path.isEmpty() ? key : path + "." + key;
            if (p.isCurrentAlias()) {
                throw new ConfigException(
                        where(keyLoc) + ": " + path + ": an alias (*" + key + ") cannot be a key",
                        "write the key itself; aliases may stand for values");
            }
            if (key.equals(MERGE) && !sawMerge) {
                sawMerge = true;
                p.nextToken();
                ConfigNode from = node(p, childPath);
                for (ConfigNode m : from.isList() ? from.asList() : List.of(from)) {
                    if (!m.isMap()) {
                        throw m.error(
                                "'<<' merges a mapping, found something else",
                                "write '<<: *name' where &name marks a mapping");
                    }
                    for (Map.Entry<String, ConfigNode> e : m.asMap().entrySet()) {
                        if (!entries.containsKey(e.getKey())) {
                            String p2 = path.isEmpty() ? e.getKey() : path + "." + e.getKey();
                            entries.put(e.getKey(), e.getValue().withPath(p2, this::count));
                            merged.add(e.getKey());
                        }
                    }
                }
                continue;
            }
            if (entries.containsKey(key) && !merged.remove(key)) {
                throw new ConfigException(where(keyLoc) + ": " + childPath + ": key appears twice", "keep one of them");
            }
            p.nextToken();
            entries.put(key, node(p, childPath));
        }
        return ConfigNode.map(path, file, line, col, entries);
    }

    private void count() {
        if (++nodes > MAX_NODES) {
            throw new ConfigException(
                    name(file) + ": holds more than " + MAX_NODES + " values once its aliases are expanded",
                    "reuse fewer nested aliases; a Lifeline config needs a few hundred values at most");
        }
    }

    private String where(JsonLocation loc) {
        return name(file) + ":" + loc.getLineNr() + ":" + loc.getColumnNr();
    }

    private static String name(Path file) {
        return file == null ? "<config>" : file.toString();
    }

    /** Makes {@link AnchorParser}s. */
    private static final class AnchorFactory extends YAMLFactory {
        private static final long serialVersionUID = 1L;

        @Override
        protected YAMLParser _createParser(Reader r, IOContext ctxt) {
            return new AnchorParser(ctxt, _parserFeatures, _yamlParserFeatures, _loaderOptions, _objectCodec, r);
        }
    }

    /**
     * Jackson's YAML parser reports the anchor of a mapping or a list but drops that of a scalar
     * ({@code command: &cmd python app.py}); this one keeps it.
     */
    private static final class AnchorParser extends YAMLParser {
        private String scalarAnchor;

        AnchorParser(
                IOContext ctxt, int features, int yamlFeatures, LoaderOptions options, ObjectCodec codec, Reader r) {
            super(ctxt, features, yamlFeatures, options, codec, r);
        }

        @Override
        protected JsonToken _decodeScalar(ScalarEvent scalar) throws IOException {
            scalarAnchor = scalar.getAnchor();
            return super._decodeScalar(scalar);
        }

        /** The anchor ({@code &name}) of the current value, or null. */
        String anchor() throws IOException {
            JsonToken t = currentToken();
            return t == JsonToken.START_OBJECT || t == JsonToken.START_ARRAY ? getObjectId() : scalarAnchor;
        }
    }
}
