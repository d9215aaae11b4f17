package dev.lifeline.supervisor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Log rotation and reading never go through a link planted in the logs folder. */
class LogFilesTest {
    @TempDir
    Path tmp;

    private Path victim() throws IOException {
        return Files.writeString(tmp.resolve("victim"), "precious\n".repeat(1000));
    }

    @Test
    void rotationRefusesALinkInPlaceOfTheLogAndLeavesItsTargetWhole() throws IOException {
        Path victim = victim();
        Path log = Files.createSymbolicLink(tmp.resolve("app.log"), victim);

        assertThatThrownBy(() -> LogFiles.rotateIfLarger(log, 100, 3))
                .isInstanceOf(IOException.class)
                .hasMessageContaining(log + " is a symbolic link");
        assertThat(victim).hasContent("precious\n".repeat(1000).strip());
        assertThat(tmp.resolve("app.log.1.gz")).doesNotExist();
    }

    @Test
    void rotationNeverWritesThroughALinkAtItsTempOrRotatedNames() throws IOException {
        Path victim = victim();
        Path log = Files.writeString(tmp.resolve("app.log"), "line\n".repeat(100));
        Files.createSymbolicLink(tmp.resolve("app.log.1.gz.tmp"), victim);
        Files.createSymbolicLink(tmp.resolve("app.log.3.gz"), victim);

        assertThat(LogFiles.rotateIfLarger(log, 100, 3)).isTrue();

        assertThat(victim).hasContent("precious\n".repeat(1000).strip());
        assertThat(Files.size(log)).isZero();
        Path rotated = tmp.resolve("app.log.1.gz");
        assertThat(Files.isSymbolicLink(rotated)).isFalse();
        try (InputStream in = new GZIPInputStream(Files.newInputStream(rotated))) {
            assertThat(new String(in.readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("line\n".repeat(100));
        }
    }

    @Test
    void theTailOfALinkIsNotRead() throws IOException {
        Path log = Files.createSymbolicLink(tmp.resolve("app.log"), victim());

        assertThat(LogFiles.tail(log, 5)).isEmpty();
        assertThat(LogFiles.tail(Files.writeString(tmp.resolve("real.log"), "a\nb\nc\n"), 2))
                .containsExactly("b", "c");
    }
}
