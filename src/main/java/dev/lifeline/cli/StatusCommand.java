package dev.lifeline.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lifeline.core.Home;
import dev.lifeline.core.Json;
import dev.lifeline.daemon.DaemonClient;
import java.io.PrintWriter;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(
        name = "status",
        description = {
            "Show each service: state, pid, uptime, restarts, last exit, memory of the whole tree, time to ready.",
            "If the daemon died while services ran, a new one starts and adopts them (not restarting them)."
        })
final class StatusCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(
            names = "--json",
            description = "An array of {name, state, pid, restarts, uptimeSeconds, lastExit, rssBytes, …}.")
    boolean json;

    @Override
    public Integer call() {
        return print(json, spec.commandLine().getOut());
    }

    /** Also called by {@link Main} directly, before picocli is loaded (see there). */
    static int print(boolean json, PrintWriter out) {
        Home home = Context.home();
        DaemonClient client = DaemonClient.of(home);
        if (!client.isRunning()) {
            if (!client.hasState()) {
                out.println(json ? "[]" : "no services: the daemon is not running (start with 'lifeline up')");
                return 0;
            }
            client.ensureRunning();
            if (!json) {
                out.println("(the daemon was not running: started a new one, which adopted the running services)");
            }
        }
        JsonNode list = client.call("status", Map.of());
        if (json) {
            out.println(Json.write(list, true));
            out.flush();
            return 0;
        }
        out.println(String.format(
                Locale.ROOT,
                "%-12s %-10s %-8s %-8s %-8s %-9s %-7s %-9s %s",
                "NAME",
                "STATE",
                "PID",
                "UPTIME",
                "RESTARTS",
                "LAST-EXIT",
                "MEMORY",
                "READY-IN",
                "PORT"));
        for (JsonNode s : list) {
            out.println(String.format(
                    Locale.ROOT,
                    "%-12s %-10s %-8s %-8s %-8d %-9s %-7s %-9s %s",
                    s.path("name").asText(),
                    s.path("state").asText(),
                    s.path("pid").asLong() == 0 ? "-" : s.path("pid").asText(),
                    s.path("uptimeSeconds").asLong() == 0
                            ? "-"
                            : Render.duration(s.path("uptimeSeconds").asLong()),
                    s.path("restarts").asInt(),
                    s.path("lastExit").isNull() ? "-" : s.path("lastExit").asText(),
                    Render.bytes(s.path("rssBytes").asLong()),
                    s.path("readySeconds").isNull()
                            ? "-"
                            : String.format(
                                    Locale.ROOT, "%.1fs", s.path("readySeconds").asDouble()),
                    s.path("port").isNull() ? "-" : s.path("port").asText()));
            if (s.has("gpuMemoryMiB")) {
                out.println(
                        "             └ GPU memory " + s.path("gpuMemoryMiB").asLong() + " MiB (free on the GPU: "
                                + s.path("gpuFreeMiB").asLong() + " MiB)");
            }
            if (s.path("memoryLimitBytes").asLong() > 0) {
                out.println("             └ memory limit "
                        + Render.bytes(s.path("memoryLimitBytes").asLong()) + " (cgroup)");
            }
            String state = s.path("state").asText();
            if ((state.equals("failed") || state.equals("backoff") || state.equals("unhealthy"))
                    && !s.path("reason").asText().isEmpty()) {
                out.println("             └ " + s.path("reason").asText());
            }
        }
        out.flush();
        return 0;
    }
}
