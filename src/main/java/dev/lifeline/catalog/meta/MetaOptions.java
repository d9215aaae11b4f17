package dev.lifeline.catalog.meta;

import java.util.Map;

/**
 * How to read metadata.
 *
 * @param stealth also look for stealth payloads in the alpha/RGB low bits (costs a pixel decode)
 * @param fields for apps that write their own JSON: field name of {@link ImageMeta} (e.g. {@code
 *     seed}) → the key the app uses (e.g. {@code my_seed})
 */
public record MetaOptions(boolean stealth, Map<String, String> fields) {
    public static final MetaOptions DEFAULT = new MetaOptions(false, Map.of());

    public MetaOptions {
        fields = Map.copyOf(fields);
    }
}
