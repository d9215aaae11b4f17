package dev.lifeline.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lifeline.config.LifelineConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class InitCommandTest {
    @TempDir
    Path dir;

    @Test
    void writesAWorkingConfigForAGradioAppWithItsPortAndNeverOverwrites() throws Exception {
        Files.writeString(
                dir.resolve("app.py"), "import gradio as gr\ndemo.launch(server_name='0.0.0.0', server_port=7861)\n");
        Path file = dir.resolve("lifeline.yaml");

        assertThat(Main.run("-c", file.toString(), "init")).isZero();

        LifelineConfig c = LifelineConfig.load(file);
        assertThat(c.service("webui").port()).contains(7861);
        assertThat(c.service("webui").commandText()).isEqualTo("python app.py");
        assertThat(c.service("webui").env()).containsEntry("GRADIO_SERVER_PORT", "7861");
        String before = Files.readString(file);
        assertThat(Main.run("-c", file.toString(), "init")).isEqualTo(1);
        assertThat(Files.readString(file)).isEqualTo(before);
    }

    @Test
    void recognisesComfyUi() throws Exception {
        Files.writeString(dir.resolve("main.py"), "print('comfy')\n");
        Files.createDirectories(dir.resolve("comfy"));
        Path file = dir.resolve("lifeline.yaml");
        assertThat(Main.run("-c", file.toString(), "init")).isZero();
        assertThat(LifelineConfig.load(file).service("comfyui").port()).contains(8188);
    }

    @Test
    void anEmptyFolderGetsAClearErrorAndNoFile() {
        Path file = dir.resolve("lifeline.yaml");
        assertThat(Main.run("-c", file.toString(), "init")).isEqualTo(1);
        assertThat(file).doesNotExist();
    }
}
