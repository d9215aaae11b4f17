package dev.lifeline.cli;

import dev.lifeline.config.LifelineConfig;
import dev.lifeline.core.LifelineException;
import java.io.IOException;
import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(
        name = "init",
        mixinStandardHelpOptions = true,
        description = {
            "Write lifeline.yaml for the model app in this folder: finds app.py, webui.py, launch.py or main.py,"
                    + " recognises Gradio, Stable Diffusion WebUI and ComfyUI, and reads the port from the code"
                    + " (server_port=, an argparse --port default, an environment default such as"
                    + " GRADIO_SERVER_PORT or PORT)."
        })
final class InitCommand implements Callable<Integer> {
    /** The open-files limit written for model apps (they open many shards and sockets), if the machine allows. */
    static final long OPEN_FILES = 65536;

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
        AppDetection.Detected d = AppDetection.detect(dir);
        String outputs = Files.isDirectory(dir.resolve("outputs")) ? "./outputs" : d.outputs();
        long hard = openFilesHardLimit();
        long openFiles = hard > 0 ? Math.min(OPEN_FILES, hard) : OPEN_FILES;
        String yaml = "# Written by 'lifeline init' (" + d.kind() + "). Edit freely; 'lifeline up' applies it.\n"
                + "services:\n"
                + "  " + d.name() + ":\n"
                + "    command: " + d.command() + "\n"
                + d.envVar()
                        .map(v -> "    env: { " + v + ": \"" + d.port() + "\" }\n")
                        .orElse("")
                + "    port: " + d.port() + "          # " + d.portSource() + "\n"
                + "    ready: { http: /, timeout: 10m }          # model loading can take minutes\n"
                + "    health: { http: /, every: 30s, failures: 3 }\n"
                + "    restart: { policy: always, backoff: 1s..60s, give-up: 10 in 10m }\n"
                + "    stop: { signal: TERM, timeout: 10s }\n"
                + "    limits: { open-files: " + openFiles + " }"
                + (openFiles < OPEN_FILES ? "          # this machine's hard limit (ulimit -Hn)" : "") + "\n"
                + (outputs == null ? "" : "    outputs: " + outputs + "\n");
        LifelineConfig.parse(yaml, file); // what we write must load
        Files.writeString(file, yaml);
        PrintWriter out = spec.commandLine().getOut();
        out.println("wrote " + file + " for a " + d.kind() + " on port " + d.port() + " (" + d.portSource() + "):");
        out.print(yaml);
        out.println("next: 'lifeline up' starts it and waits until it is ready");
        return 0;
    }

    /**
     * The hard limit on open files of this process, which the daemon it starts inherits; 0 if
     * unknown. The JVM raises its soft limit to the hard one at start-up, so its maximum is the
     * hard limit ({@code ulimit -Hn}).
     */
    static long openFilesHardLimit() {
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.UnixOperatingSystemMXBean u) {
            return Math.max(0, u.getMaxFileDescriptorCount());
        }
        return 0;
    }
}
