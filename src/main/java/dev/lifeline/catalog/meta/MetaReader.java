package dev.lifeline.catalog.meta;

import java.nio.file.Path;
import java.util.Optional;

/**
 * The catalog's metadata facade: what a file says about how it was made. A truncated, empty or
 * hostile file gives empty, never an exception, a hang or unbounded memory.
 */
public final class MetaReader {
    private MetaReader() {}

    /** The generation metadata of one image file, or empty when it has none. */
    public static Optional<ImageMeta> read(Path file, MetaOptions options) {
        return Optional.empty(); // filled in by the catalog.meta work
    }
}
