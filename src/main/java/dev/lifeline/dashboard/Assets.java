package dev.lifeline.dashboard;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import java.util.zip.GZIPOutputStream;

/**
 * The page's files, from the classpath folder {@code dev/lifeline/dashboard/web/} only: a name is
 * one plain file name (letters, digits, {@code . _ -}, a known extension; no folder, no {@code ..}),
 * so no request can reach anything else. Each file is read once, with its gzip form and ETag.
 */
final class Assets {
    static final String ROOT = "dev/lifeline/dashboard/web/";
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_-]{0,63}(\\.[A-Za-z0-9_-]{1,16}){0,2}");
    private static final int MAX_BYTES = 4 << 20;
    private static final int MAX_FILES = 128;
    private static final Map<String, String> TYPES = Map.ofEntries(
            Map.entry("html", "text/html; charset=utf-8"),
            Map.entry("js", "text/javascript; charset=utf-8"),
            Map.entry("mjs", "text/javascript; charset=utf-8"),
            Map.entry("css", "text/css; charset=utf-8"),
            Map.entry("svg", "image/svg+xml"),
            Map.entry("png", "image/png"),
            Map.entry("ico", "image/x-icon"),
            Map.entry("json", "application/json"),
            Map.entry("webmanifest", "application/manifest+json"),
            Map.entry("woff2", "font/woff2"),
            Map.entry("txt", "text/plain; charset=utf-8"));

    /** One file: its bytes, gzipped bytes (null when gzip does not help), type and ETag. */
    record Asset(byte[] bytes, byte[] gzipped, String type, String etag) {}

    private final ClassLoader loader;
    private final Map<String, Optional<Asset>> cache = new ConcurrentHashMap<>();

    Assets(ClassLoader loader) {
        this.loader = loader;
    }

    /** The file of that name, or empty for a name that is not one of the page's files. */
    Optional<Asset> get(String name) {
        if (name == null || !NAME.matcher(name).matches()) {
            return Optional.empty();
        }
        String ext = name.substring(name.lastIndexOf('.') + 1).toLowerCase(java.util.Locale.ROOT);
        String type = TYPES.get(ext);
        if (type == null || name.indexOf('.') < 0) {
            return Optional.empty();
        }
        Optional<Asset> hit = cache.get(name);
        if (hit != null) {
            return hit;
        }
        Optional<Asset> a = load(name, type);
        if (a.isPresent() && cache.size() < MAX_FILES) {
            cache.put(name, a); // only files that exist are kept: a scan of names cannot grow the map
        }
        return a;
    }

    private Optional<Asset> load(String name, String type) {
        try (InputStream in = loader.getResourceAsStream(ROOT + name)) {
            if (in == null) {
                return Optional.empty();
            }
            byte[] bytes = in.readNBytes(MAX_BYTES + 1);
            if (bytes.length > MAX_BYTES) {
                return Optional.empty();
            }
            byte[] gz = null;
            if (!type.startsWith("image/png") && !type.startsWith("font/") && bytes.length > 256) {
                ByteArrayOutputStream b = new ByteArrayOutputStream();
                try (GZIPOutputStream g = new GZIPOutputStream(b)) {
                    g.write(bytes);
                }
                gz = b.size() < bytes.length ? b.toByteArray() : null;
            }
            String etag = "\""
                    + HexFormat.of()
                            .formatHex(MessageDigest.getInstance("SHA-256").digest(bytes), 0, 12) + "\"";
            return Optional.of(new Asset(bytes, gz, type, etag));
        } catch (IOException e) {
            return Optional.empty();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
