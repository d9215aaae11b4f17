package dev.lifeline.config;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * {@code catalog: { fields: { seed: my_seed, … }, stealth: false }}, or {@code catalog: false}
 * to keep the daemon from indexing. Defaults: on wherever a {@code backup:} section is, no field
 * mapping, no stealth reading (it costs a pixel decode per image).
 *
 * @param fields for apps that write their own JSON: a catalog field (such as {@code seed}) → the
 *     key the app writes (such as {@code my_seed})
 */
public record CatalogSpec(boolean enabled, Map<String, String> fields, boolean stealth) {
    public static final CatalogSpec DEFAULT = new CatalogSpec(true, Map.of(), false);

    /** The fields a mapping may name: the metadata the catalog keeps. */
    public static final Set<String> FIELDS = Set.of(
            "tool",
            "prompt",
            "negative",
            "seed",
            "steps",
            "cfg",
            "sampler",
            "scheduler",
            "model",
            "model_hash",
            "loras",
            "width",
            "height");

    public CatalogSpec {
        fields = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(fields));
    }

    static CatalogSpec parse(ConfigNode n) {
        if (n.isScalar()) {
            if (n.asBoolean(true)) {
                return DEFAULT;
            }
            return new CatalogSpec(false, Map.of(), false);
        }
        if (!n.isMap()) {
            throw n.error(
                    "expected a mapping or false", "write catalog: { fields: { seed: my_seed }, stealth: false }");
        }
        n.allowOnly(Set.of("fields", "stealth"));
        Map<String, String> fields = new LinkedHashMap<>();
        ConfigNode f = n.get("fields");
        f.allowOnly(FIELDS);
        for (Map.Entry<String, ConfigNode> e : f.asMap().entrySet()) {
            String key = e.getValue().asString().trim();
            if (key.isEmpty()) {
                throw e.getValue()
                        .error(
                                "is empty",
                                "name the key the app writes for " + e.getKey() + ", such as my_" + e.getKey());
            }
            fields.put(e.getKey(), key);
        }
        return new CatalogSpec(true, fields, n.get("stealth").asBoolean(false));
    }
}
