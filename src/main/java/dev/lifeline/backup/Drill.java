package dev.lifeline.backup;

import dev.lifeline.core.LifelineException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Stream;
import javax.imageio.ImageIO;

/**
 * A restore drill: the latest snapshot restored into a fresh temp folder (every hash checked by
 * the restore), every image in it decoded (PNG, JPEG, GIF, BMP), and the folder removed again,
 * whatever happened. A problem is reported in the result, never thrown.
 */
final class Drill {
    /** Restores the snapshot into a folder (the facade's restore, with its wording of failures). */
    interface Restore {
        RestoreResult into(Path dir);
    }

    private Drill() {}

    /**
     * @param t0 {@link System#nanoTime()} when the drill began
     * @throws IOException only when the temp folder cannot be made (nothing was restored)
     */
    static DrillResult run(Manifest latest, Path scratchParent, Restore restore, long t0) throws IOException {
        String id = latest.id();
        Files.createDirectories(scratchParent);
        Path dir = Files.createTempDirectory(scratchParent, "lifeline-drill-");
        List<String> problems = new ArrayList<>();
        long images = 0;
        try {
            RestoreResult r;
            try {
                r = restore.into(dir);
            } catch (LifelineException e) {
                problems.add(e.getMessage());
                return new DrillResult(id, 0, 0, 0, problems, Duration.ofNanos(System.nanoTime() - t0));
            }
            Set<String> lost = new HashSet<>();
            for (RestoreResult.Unrestored u : r.unrestored()) {
                problems.add(u.path() + ": " + u.problem());
                lost.add(u.path());
            }
            for (FileEntry f : latest.files()) {
                if (f.link() != null || lost.contains(f.path())) {
                    continue; // a link was restored as a link (its object was checked): nothing to decode
                }
                if (isImage(f.path())) {
                    images++;
                    try (InputStream in = Files.newInputStream(Names.resolve(dir, f.path()))) {
                        if (ImageIO.read(in) == null) {
                            problems.add(f.path() + ": not a decodable image");
                        }
                    } catch (IOException | RuntimeException e) {
                        problems.add(f.path() + ": image does not decode: " + e.getMessage());
                    }
                }
            }
            return new DrillResult(
                    id, r.files(), r.bytes(), images, problems, Duration.ofNanos(System.nanoTime() - t0));
        } finally {
            deleteTree(dir);
        }
    }

    private static boolean isImage(String path) {
        String lower = path.toLowerCase(Locale.ROOT);
        return lower.endsWith(".png")
                || lower.endsWith(".jpg")
                || lower.endsWith(".jpeg")
                || lower.endsWith(".gif")
                || lower.endsWith(".bmp");
    }

    /** Removes a folder and everything in it, best effort (a temp folder). */
    static void deleteTree(Path dir) {
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) s.sorted(Comparator.reverseOrder())::iterator) {
                try {
                    Files.deleteIfExists(p);
                } catch (NoSuchFileException ignored) {
                    // gone
                }
            }
        } catch (IOException ignored) {
            // best effort: it is a temp folder
        }
    }
}
