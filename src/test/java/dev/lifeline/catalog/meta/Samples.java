package dev.lifeline.catalog.meta;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/** The real sample files of {@code src/test/resources/catalog-samples} (a copy of the shared set, with EXPECTED.md). */
final class Samples {
    static final Path DIR = Path.of("src/test/resources/catalog-samples");

    private Samples() {}

    static Path file(String name) {
        return DIR.resolve(name);
    }

    /** Every sample image (not the notes). */
    static List<Path> all() throws Exception {
        try (Stream<Path> s = Files.walk(DIR)) {
            return s.filter(Files::isRegularFile)
                    .filter(p -> !p.toString().endsWith(".md") && !p.toString().endsWith(".tsv"))
                    .sorted()
                    .toList();
        }
    }
}
