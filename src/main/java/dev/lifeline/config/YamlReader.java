package dev.lifeline.config;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;

/** Reads YAML text into a tree of {@link ConfigNode}s that remember their line and column. */
final class YamlReader {
    private static final YAMLFactory FACTORY = new YAMLFactory();

    private YamlReader() {}

    static ConfigNode read(String text, Path file) {
        try (JsonParser p = FACTORY.createParser(text)) {
            JsonToken t = p.nextToken();
            if (t == null) {
                return ConfigNode.map("", file, 1, 1, new LinkedHashMap<>());
            }
            ConfigNode root = node(p, "", file);
            return root;
        } catch (JsonProcessingException e) {
            JsonLocation loc = e.getLocation();
            String where = (file == null ? "<config>" : file.toString())
                    + (loc == null ? "" : ":" + loc.getLineNr() + ":" + loc.getColumnNr());
            throw new ConfigException(
                    where + ": not valid YAML: "
                            + e.getOriginalMessage().lines().findFirst().orElse(""),
                    "check the indentation and quoting near that line");
        } catch (IOException e) {
            throw new ConfigException("cannot read " + file + ": " + e.getMessage(), null);
        }
    }

    private static ConfigNode node(JsonParser p, String path, Path file) throws IOException {
        JsonLocation loc = p.currentTokenLocation();
        int line = loc.getLineNr();
        int col = loc.getColumnNr();
        JsonToken t = p.currentToken();
        switch (t) {
            case START_OBJECT: {
                LinkedHashMap<String, ConfigNode> entries = new LinkedHashMap<>();
                while (p.nextToken() == JsonToken.FIELD_NAME) {
                    String key = p.currentName();
                    JsonLocation keyLoc = p.currentTokenLocation();
                    String childPath = path.isEmpty() ? key : path + "." + key;
                    if (entries.containsKey(key)) {
                        throw new ConfigException(
                                (file == null ? "<config>" : file.toString()) + ":" + keyLoc.getLineNr() + ":"
                                        + keyLoc.getColumnNr() + ": " + childPath + ": key appears twice",
                                "keep one of them");
                    }
                    p.nextToken();
                    entries.put(key, node(p, childPath, file));
                }
                return ConfigNode.map(path, file, line, col, entries);
            }
            case START_ARRAY: {
                List<ConfigNode> items = new ArrayList<>();
                int i = 0;
                while (p.nextToken() != JsonToken.END_ARRAY) {
                    items.add(node(p, path + "[" + i++ + "]", file));
                }
                return ConfigNode.list(path, file, line, col, items);
            }
            case VALUE_NULL:
                return ConfigNode.scalar(path, file, line, col, null);
            default:
                return ConfigNode.scalar(path, file, line, col, p.getText());
        }
    }
}
