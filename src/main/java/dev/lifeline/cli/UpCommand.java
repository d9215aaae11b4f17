package dev.lifeline.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lifeline.config.LifelineConfig;
import dev.lifeline.core.Home;
import dev.lifeline.core.Json;
import dev.lifeline.daemon.DaemonClient;
import dev.lifeline.daemon.Protocol;
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
            "Start the daemon if needed, apply the config, start its services and wait until they are ready.",
            "Run again after editing the config: only the services whose definition changed restart.",
            "Each config file is a project: services of other files that the daemon runs are not touched."
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
            out.flush();
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
            result = client.call(req, (kind, body) -> {
                if (kind.equals("progress")) {
                    progress.accept(body);
                } else if (kind.equals("applied")) {
                    // Said at once, not after the wait: a removal happened whether or not the rest gets ready.
                    for (String r : Protocol.applied(body).removed()) {
                        out.println("  " + r + "   stopped: no longer in " + config.file());
                    }
                    out.flush();
                }
            });
        } finally {
            progress.finish();
        }
        Protocol.Applied applied = Protocol.applied(result);
        for (Protocol.ServiceView v : Protocol.services(result.path("services"))) {
            String name = v.service().name();
            if (!services.isEmpty() && !services.contains(name)) {
                continue;
            }
            String note = applied.unchanged().contains(name)
                    ? "   [unchanged, kept running]"
                    : applied.restarted().contains(name) ? "   [definition changed: restarted]" : "";
            out.println(Render.summary(v) + note);
        }
        out.flush();
        return 0;
    }
}
