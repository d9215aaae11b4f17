package dev.lifeline.catalog;

import dev.lifeline.catalog.meta.ImageMeta;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * Image files for the catalog's tests and the reader that stands in for {@code MetaReader}: each
 * file's bytes are unique (a PNG signature and a tag), and its {@link ImageMeta} is registered
 * under the SHA-256 of those bytes, so the reader finds it whether it is handed the vault's object
 * or a restored copy. The catalog never parses images; these tests feed it metadata directly.
 */
final class TestImages implements Function<Path, Optional<ImageMeta>> {
    final Map<String, ImageMeta> bySha = new ConcurrentHashMap<>();

    static ImageMeta meta(String prompt, long seed, String model, String sampler, String... loras) {
        return new ImageMeta(
                "a1111",
                prompt,
                "lowres, bad hands",
                seed,
                25,
                7.0,
                sampler,
                "karras",
                model,
                "abcdef1234",
                java.util.Arrays.stream(loras)
                        .map(l -> new ImageMeta.Lora(l, 0.8))
                        .toList(),
                1024,
                768,
                "raw: " + prompt);
    }

    /** Writes a file of unique bytes at {@code file}, registered with {@code meta} (null: none). */
    byte[] write(Path file, String tag, ImageMeta meta) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.write(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'});
        b.write(tag.getBytes(StandardCharsets.UTF_8));
        byte[] bytes = b.toByteArray();
        Files.createDirectories(file.getParent());
        Files.write(file, bytes);
        if (meta != null) {
            bySha.put(sha(bytes), meta);
        }
        return bytes;
    }

    @Override
    public Optional<ImageMeta> apply(Path file) {
        try {
            return Optional.ofNullable(bySha.get(sha(Files.readAllBytes(file))));
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    static String sha(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static List<String> paths(SearchResult r) {
        return r.hits().stream().map(Hit::path).toList();
    }
}
