package dev.lifeline.catalog.meta;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The catalog's metadata facade: what a file says about how it was made. A truncated, empty or
 * hostile file gives empty, never an exception, a hang or unbounded memory.
 *
 * <p>The file is opened only if it is a regular file (no link followed, a FIFO never opened);
 * PNG, JPEG, WebP and AVIF/HEIF are recognised by their first bytes, whatever the name. Only header
 * chunks and segments are read (at most 64 KiB at open, then bounded reads where the container
 * points); pixels are decoded only for stealth payloads, when {@link MetaOptions#stealth()} is
 * on. See {@code docs/catalog-formats.md} for every format and where each value comes from.
 */
public final class MetaReader {
    private MetaReader() {}

    /** The generation metadata of one image file, or empty when it has none or cannot be read. */
    public static Optional<ImageMeta> read(Path file, MetaOptions options) {
        try {
            return inspect(file, options);
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /**
     * Like {@link #read}, but a file that cannot be read at all (missing, a folder, a FIFO,
     * permission denied) is an {@link IOException} whose message names it; a readable file
     * without metadata, or with broken metadata, is empty.
     */
    public static Optional<ImageMeta> inspect(Path file, MetaOptions options) throws IOException {
        try (Input in = Input.open(file)) {
            return Optional.ofNullable(safely(in, options));
        }
    }

    /** The metadata of an image held in memory (tests, and callers that already have the bytes). */
    static Optional<ImageMeta> read(byte[] bytes, MetaOptions options) {
        return Optional.ofNullable(safely(Input.of(bytes), options));
    }

    private static ImageMeta safely(Input in, MetaOptions options) {
        try {
            Found found = new Found();
            boolean png = in.startsWith(0, Png.SIGNATURE);
            if (png) {
                Png.read(in, found);
            } else if (Jpeg.is(in)) {
                Jpeg.read(in, found);
            } else if (Webp.is(in)) {
                Webp.read(in, found);
            } else if (Avif.is(in)) {
                Avif.read(in, found);
            } else {
                return null;
            }
            ImageMeta m = Recognize.meta(found, options);
            if (m == null && png && options.stealth() && found.texts.isEmpty()) {
                m = stealth(in, found, options);
            }
            return m;
        } catch (IOException | RuntimeException | StackOverflowError e) {
            // a malformed file is "no metadata"; the limits above make a StackOverflowError
            // unexpected, but one file must never take the indexer down
            return null;
        }
    }

    /** A stealth payload: NovelAI's is a JSON object of text entries, A1111's the infotext. */
    private static ImageMeta stealth(Input in, Found found, MetaOptions options) throws IOException {
        String payload = Stealth.read(in, found);
        if (payload == null) {
            return null;
        }
        com.fasterxml.jackson.databind.node.ObjectNode j = JsonText.object(payload);
        if (j != null) {
            j.properties()
                    .forEach(e -> found.text(
                            e.getKey(),
                            e.getValue().isTextual()
                                    ? e.getValue().textValue()
                                    : e.getValue().toString()));
        } else {
            found.text("parameters", payload);
        }
        return Recognize.meta(found, options);
    }
}
