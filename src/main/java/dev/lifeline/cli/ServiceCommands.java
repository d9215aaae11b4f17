package dev.lifeline.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lifeline.config.LifelineConfig;
import dev.lifeline.core.Home;
import dev.lifeline.core.Json;
import dev.lifeline.daemon.DaemonClient;
import java.io.PrintWriter;
import java.nio.file.Files;
import picocli.CommandLine.Model.CommandSpec;

/** What start, stop and restart share: reaching the daemon with the service and its config. */
final class ServiceCommands {
    private ServiceCommands() {}

    static JsonNode send(CommandSpec spec, String op, String service, boolean startDaemon) {
        Home home = Context.home();
        DaemonClient client = DaemonClient.of(home);
        ObjectNode req = Json.object();
        req.put("op", op);
        req.put("service", service);
        if (Files.exists(Context.configPath(spec))) {
            LifelineConfig config = Context.loadConfig(spec);
            req.put("path", config.file().toString());
            req.put("text", config.text());
        }
        if (startDaemon || client.hasState()) {
            client.ensureRunning();
        }
        PrintWriter out = spec.commandLine().getOut();
        Progress progress = new Progress(out);
        try {
            return client.call(req, progress::accept);
        } finally {
            progress.finish();
        }
    }
}
