package dev.lifeline.insight;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Following a real log file through appends and both kinds of rotation. */
class LogFollowerTest {
    @TempDir
    Path dir;

    private final List<String> lines = new ArrayList<>();
    private final List<String> notes = new ArrayList<>();

    private static String numbered(int from, int to) {
        return IntStream.range(from, to).mapToObj(i -> "line " + i + "\n").collect(Collectors.joining());
    }

    private static List<String> expected(int from, int to) {
        return IntStream.range(from, to).mapToObj(i -> "line " + i).toList();
    }

    private static void append(Path p, String text) throws IOException {
        Files.writeString(p, text, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    }

    /** Polls until a poll reads nothing (bounded). */
    private static void drain(LogFollower f) throws IOException {
        for (int i = 0; i < 50 && f.poll(); i++) {
            // read on
        }
    }

    @Test
    void fromTheEndShowsOnlyNewLinesAndFromTheStartEveryLine() throws IOException {
        Path log = dir.resolve("web.log");
        append(log, numbered(0, 3));
        try (LogFollower f = new LogFollower(log, true, lines::add, notes::add)) {
            assertThat(f.poll()).isFalse();
            append(log, numbered(3, 5));
            assertThat(f.poll()).isTrue();
            assertThat(f.poll()).isFalse();
        }
        assertThat(lines).containsExactlyElementsOf(expected(3, 5));
        lines.clear();
        try (LogFollower f = new LogFollower(log, false, lines::add, notes::add)) {
            drain(f);
        }
        assertThat(lines).containsExactlyElementsOf(expected(0, 5));
        assertThat(notes).isEmpty();
    }

    @Test
    void holdsAPartLineUntilItsNewlineOrUntilAskedToShowIt() throws IOException {
        Path log = dir.resolve("web.log");
        append(log, "");
        try (LogFollower f = new LogFollower(log, false, lines::add, notes::add)) {
            append(log, "loading 10%\rloading 50%");
            assertThat(f.poll()).isTrue();
            assertThat(lines).isEmpty();
            append(log, "\rloading 100%\ndone\n");
            drain(f);
            assertThat(lines).containsExactly("loading 100%", "done");
            append(log, "partial");
            drain(f);
            f.finishLine();
            assertThat(lines).containsExactly("loading 100%", "done", "partial");
        }
    }

    @Test
    void aRenamedAwayLogIsReadToItsEndAndStillWhileTheAppWritesThereThenTheNewOne() throws IOException {
        Path log = dir.resolve("web.log");
        append(log, "");
        try (LogFollower f = new LogFollower(log, false, lines::add, notes::add);
                OutputStream app = Files.newOutputStream(log, StandardOpenOption.APPEND)) {
            app.write(numbered(0, 100).getBytes(StandardCharsets.UTF_8));
            drain(f);
            app.write(numbered(100, 150).getBytes(StandardCharsets.UTF_8)); // not read before the rotation
            Files.move(log, dir.resolve("web.log.1"));
            assertThat(f.poll()).isTrue(); // the old file's rest; the name points at nothing yet
            append(log, numbered(1000, 1500)); // the new file, longer than the old one
            app.write(numbered(150, 160).getBytes(StandardCharsets.UTF_8)); // the app still writes to the old one
            drain(f);
            app.write(numbered(160, 170).getBytes(StandardCharsets.UTF_8));
            drain(f);
        }
        List<String> old = lines.stream().filter(l -> l.length() <= 8).toList();
        assertThat(old).containsExactlyElementsOf(expected(0, 170));
        assertThat(lines.stream().filter(l -> l.length() > 8).toList()).containsExactlyElementsOf(expected(1000, 1500));
        assertThat(lines.indexOf("line 149")).isLessThan(lines.indexOf("line 1000")); // the old file first
        assertThat(notes).singleElement().satisfies(n -> assertThat(n).contains("rotated"));
    }

    @Test
    void aRenamedAwayLogStopsBeingReadOnceItIsQuiet() throws IOException {
        Path log = dir.resolve("web.log");
        append(log, "a\n");
        try (LogFollower f = new LogFollower(log, false, lines::add, notes::add);
                OutputStream app = Files.newOutputStream(log, StandardOpenOption.APPEND)) {
            drain(f);
            Files.move(log, dir.resolve("web.log.1"));
            append(log, "b\n");
            app.write("tail without newline".getBytes(StandardCharsets.UTF_8));
            for (int i = 0; i < 30; i++) {
                f.poll();
            }
            app.write("\nlate\n".getBytes(StandardCharsets.UTF_8)); // after the grace: no longer followed
            for (int i = 0; i < 5; i++) {
                f.poll();
            }
        }
        assertThat(lines).containsExactly("a", "b", "tail without newline");
    }

    @Test
    void aCopyAndTruncateRotationLosesNothingAppendedSinceTheLastRead() throws IOException {
        for (boolean gz : new boolean[] {false, true}) {
            lines.clear();
            notes.clear();
            Path log = dir.resolve(gz ? "gz.log" : "plain.log");
            append(log, "");
            try (LogFollower f = new LogFollower(log, false, lines::add, notes::add)) {
                append(log, numbered(0, 50));
                drain(f);
                append(log, numbered(50, 60)); // the follower has not seen these
                Path copy = dir.resolve(log.getFileName() + (gz ? ".1.gz" : ".1"));
                try (OutputStream out =
                        gz ? new GZIPOutputStream(Files.newOutputStream(copy)) : Files.newOutputStream(copy)) {
                    Files.copy(log, out);
                }
                try (FileChannel ch = FileChannel.open(log, StandardOpenOption.WRITE)) {
                    ch.truncate(0);
                }
                append(log, numbered(60, 65));
                drain(f);
            }
            assertThat(lines).as(gz ? "gzip copy" : "plain copy").containsExactlyElementsOf(expected(0, 65));
            assertThat(notes).singleElement().satisfies(n -> assertThat(n).contains("copied and truncated"));
        }
    }

    @Test
    void aTruncationWithoutACopyStartsOverAtTheTop() throws IOException {
        Path log = dir.resolve("web.log");
        append(log, numbered(0, 20));
        try (LogFollower f = new LogFollower(log, false, lines::add, notes::add)) {
            drain(f);
            Files.writeString(log, "x\n");
            Files.writeString(dir.resolve("web.log.1"), "y\n"); // an older copy, shorter than what was read
            drain(f);
        }
        assertThat(lines).endsWith("line 19", "x");
    }

    @Test
    void waitsForALogThatDoesNotExistYet() throws IOException {
        Path log = dir.resolve("web.log");
        LogFollower f = new LogFollower(log, true, lines::add, notes::add);
        assertThat(f.poll()).isFalse();
        append(log, "first\n");
        assertThat(f.poll()).isTrue();
        f.close();
        f.close(); // twice is safe
        assertThat(lines).containsExactly("first");
    }
}
