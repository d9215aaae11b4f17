package dev.lifeline.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lifeline.config.LifelineConfig;
import dev.lifeline.config.ServiceSpec;
import dev.lifeline.testing.TestTimes;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
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
    void takesThePortFromAnArgparseDefaultWhenLaunchIsGivenTheArgument() throws Exception {
        Files.writeString(dir.resolve("app.py"), """
                import argparse
                import gradio as gr
                # demo.launch(server_port=1234) was the old way
                max_port = 100
                parser = argparse.ArgumentParser()
                parser.add_argument("--host", default="127.0.0.1")
                parser.add_argument("--port", type=int, default=7861, help="port (default: 7861)")
                args = parser.parse_args()
                demo.launch(server_name=args.host, server_port=args.port)
                """);
        ServiceSpec s = init();
        assertThat(s.port()).contains(7861);
        assertThat(s.env()).containsEntry("GRADIO_SERVER_PORT", "7861");
        assertThat(Files.readString(dir.resolve("lifeline.yaml"))).contains("the default of --port in app.py");
    }

    @Test
    void takesThePortFromAnEnvironmentDefaultAndWritesThatVariable() throws Exception {
        Files.writeString(dir.resolve("app.py"), """
                import os
                import gradio as gr
                demo.launch(server_port=int(os.environ.get("GRADIO_SERVER_PORT", 7862)))
                """);
        ServiceSpec s = init();
        assertThat(s.port()).contains(7862);
        assertThat(s.env()).containsEntry("GRADIO_SERVER_PORT", "7862");

        Files.delete(dir.resolve("app.py"));
        Files.delete(dir.resolve("lifeline.yaml"));
        Files.writeString(dir.resolve("server.py"), """
                import os, uvicorn
                from fastapi import FastAPI
                app = FastAPI()
                uvicorn.run(app, host="127.0.0.1", port=int(os.getenv("PORT", "8000")))
                """);
        ServiceSpec u = init();
        assertThat(u.name()).isEqualTo("server");
        assertThat(u.port()).contains(8000);
        assertThat(u.env())
                .as("the app reads $PORT: writing it keeps one place to change")
                .containsEntry("PORT", "8000");
    }

    @Test
    void takesALiteralPortArgumentOfUvicornOrFlask() throws Exception {
        Files.writeString(dir.resolve("main.py"), "import uvicorn\nuvicorn.run(app, host='0.0.0.0', port=8001)\n");
        ServiceSpec s = init();
        assertThat(s.port()).contains(8001);
        assertThat(s.env()).isEmpty();
    }

    @Test
    void theOpenFilesLimitItWritesIsWithinTheMachinesHardLimit() throws Exception {
        Files.writeString(dir.resolve("app.py"), "import gradio as gr\ndemo.launch(server_port=7861)\n");
        Path file = dir.resolve("lifeline.yaml");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(
                        "prlimit",
                        "--nofile=1024:4096",
                        java,
                        "-cp",
                        System.getProperty("java.class.path"),
                        Main.class.getName(),
                        "-c",
                        file.toString(),
                        "init")
                .redirectErrorStream(true)
                .redirectOutput(dir.resolve("out.txt").toFile())
                .start();
        assertThat(p.waitFor(TestTimes.APP.toMillis(), TimeUnit.MILLISECONDS)).isTrue();
        assertThat(p.exitValue()).as(Files.readString(dir.resolve("out.txt"))).isZero();
        assertThat(LifelineConfig.load(file).service("webui").limits().openFiles())
                .isEqualTo(4096);
        assertThat(Files.readString(file)).contains("hard limit (ulimit -Hn)");

        // and in this JVM: never above its own hard limit, 65536 where the machine allows it
        Files.delete(file);
        ServiceSpec here = init();
        long hard = InitCommand.openFilesHardLimit();
        assertThat(here.limits().openFiles()).isEqualTo(Math.min(65536, hard));
    }

    private ServiceSpec init() throws Exception {
        Path file = dir.resolve("lifeline.yaml");
        assertThat(Main.run("-c", file.toString(), "init")).isZero();
        LifelineConfig c = LifelineConfig.load(file);
        return c.services().values().iterator().next();
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
