package dev.lifeline.cli;

import dev.lifeline.config.LifelineConfig;
import dev.lifeline.core.LifelineException;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(
        name = "init",
        description = {
            "Write lifeline.yaml for the model app in this folder: finds app.py / webui.py / launch.py / main.py,",
            "recognises Gradio, Stable Diffusion WebUI and ComfyUI, and reads the port from the code."
        })
final class InitCommand implements Callable<Integer> {
    private static final Pattern PORT =
            Pattern.compile("(?:server_port\\s*=\\s*|--(?:server-)?port[ =]+|port\\s*=\\s*)(\\d{2,5})");

    @Spec
    CommandSpec spec;

    @Option(names = "--force", description = "Overwrite an existing lifeline.yaml.")
    boolean force;

    @Override
    public Integer call() throws IOException {
        Path file = Context.configPath(spec);
        Path dir = file.getParent();
        if (Files.exists(file) && !force) {
            throw new LifelineException(
                    file + " already exists; nothing written", "edit it, or run 'lifeline init --force' to replace it");
        }
        Detected d = detect(dir);
        String outputs = Files.isDirectory(dir.resolve("outputs")) ? "./outputs" : d.outputs();
        String yaml = "# Written by 'lifeline init' (" + d.kind() + "). Edit freely; 'lifeline up' applies it.\n"
                + "services:\n"
                + "  " + d.name() + ":\n"
                + "    command: " + d.command() + "\n"
                + (d.env() == null ? "" : "    env: " + d.env() + "\n")
                + "    port: " + d.port() + "\n"
                + "    ready: { http: /, timeout: 10m }          # model loading can take minutes\n"
                + "    health: { http: /, every: 30s, failures: 3 }\n"
                + "    restart: { policy: always, backoff: 1s..60s, give-up: 10 in 10m }\n"
                + "    stop: { signal: TERM, timeout: 10s }\n"
                + "    limits: { open-files: 65536 }\n"
                + (outputs == null ? "" : "    outputs: " + outputs + "\n");
        LifelineConfig.parse(yaml, file); // what we write must load
        Files.writeString(file, yaml);
        PrintWriter out = spec.commandLine().getOut();
        out.println("wrote " + file + " for a " + d.kind() + " on port " + d.port() + ":");
        out.print(yaml);
        out.println("next: 'lifeline up' starts it and waits until it is ready");
        return 0;
    }

    record Detected(String kind, String name, String command, int port, String outputs, String env) {}

    static Detected detect(Path dir) throws IOException {
        if (Files.exists(dir.resolve("main.py")) && Files.isDirectory(dir.resolve("comfy"))) {
            return new Detected(
                    "ComfyUI app", "comfyui", "python main.py --listen 127.0.0.1 --port 8188", 8188, "./output", null);
        }
        if (Files.exists(dir.resolve("launch.py")) && Files.exists(dir.resolve("webui.py"))) {
            return new Detected(
                    "Stable Diffusion WebUI", "webui", "python launch.py --port 7860", 7860, "./outputs", null);
        }
        for (String name : List.of("app.py", "webui.py", "web_app.py", "demo.py", "main.py", "server.py")) {
            Path f = dir.resolve(name);
            if (!Files.isRegularFile(f)) {
                continue;
            }
            String code = Files.readString(f);
            boolean gradio = code.contains("import gradio") || code.contains("from gradio");
            Matcher m = PORT.matcher(code);
            int port = m.find() ? Integer.parseInt(m.group(1)) : 7860;
            String service = gradio ? "webui" : name.replace(".py", "").replace('_', '-');
            // Gradio reads GRADIO_SERVER_PORT when the code does not pass a port itself.
            String env = gradio ? "{ GRADIO_SERVER_PORT: \"" + port + "\" }" : null;
            return new Detected(gradio ? "Gradio app" : "Python app", service, "python " + name, port, null, env);
        }
        throw new LifelineException(
                "found no app in " + dir
                        + " (looked for app.py, webui.py, web_app.py, demo.py, main.py, server.py, launch.py)",
                "run 'lifeline init' in the app's folder, or write lifeline.yaml by hand (see README.md)");
    }
}
