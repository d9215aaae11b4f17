package dev.lifeline.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lifeline.config.LifelineConfig;
import dev.lifeline.core.Home;
import dev.lifeline.core.Json;
import dev.lifeline.daemon.DaemonClient;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(
        name = "up",
        description = {
            "Start the daemon if needed, apply the config, start the services and wait until they are ready.",
            "Run again after editing the config: only the services whose definition changed restart."
        })
final class UpCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(arity = "0..*", paramLabel = "SERVICE", description = "Only these services (default: all).")
    List<String> services = new ArrayList<>();

    @Option(names = "--no-wait", description = "Return once started, without waiting for readiness.")
    boolean noWait;

    @Override
    public Integer call() {
        LifelineConfig config = Context.loadConfig(spec); // every error surfaces here, before anything changes
        return apply(config, services, !noWait, spec.commandLine().getOut(), Context.home());
    }

    static int apply(LifelineConfig config, List<String> services, boolean wait, PrintWriter out, Home home) {
        for (String s : services) {
            config.service(s);
        }
        DaemonClient client = DaemonClient.of(home);
        if (client.ensureRunning(config.backup().isPresent())) {
            out.println("daemon started (pid "
                    + client.daemonPid().map(String::valueOf).orElse("?") + ", log " + home.daemonLog() + ")");
        }
        ObjectNode req = Json.object();
        req.put("op", "up");
        req.put("path", config.file().toString());
        req.put("text", config.text());
        req.set("services", Json.strings(services));
        req.put("wait", wait);
        Progress progress = new Progress(out);
        JsonNode result;
        try {
            result = client.call(req, progress::accept);
        } finally {
            progress.finish();
        }
        for (JsonNode s : result.path("services")) {
            String name = s.path("name").asText();
            if (!services.isEmpty() && !services.contains(name)) {
                continue;
            }
            String note = contains(result.path("unchanged"), name)
                    ? "   [unchanged, kept running]"
                    : contains(result.path("restarted"), name) ? "   [definition changed: restarted]" : "";
            out.println(Render.summary(s) + note);
        }
        for (JsonNode r : result.path("removed")) {
            out.println("  " + r.asText() + "   stopped: no longer in the config");
        }
        out.flush();
        return 0;
    }

    private static boolean contains(JsonNode array, String name) {
        for (JsonNode n : array) {
            if (n.asText().equals(name)) {
                return true;
            }
        }
        return false;
    }
}
