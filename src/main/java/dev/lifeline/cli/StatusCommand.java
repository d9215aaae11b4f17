package dev.lifeline.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import dev.lifeline.core.Home;
import dev.lifeline.core.Json;
import dev.lifeline.daemon.DaemonClient;
import dev.lifeline.daemon.Protocol;
import dev.lifeline.supervisor.ServiceStatus;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(
        name = "status",
        description = {
            "Show each service of this config file: state, pid, uptime, restarts, last exit, memory of the whole tree,"
                    + " time to ready.",
            "Outside a project folder (no lifeline.yaml), or with --all: every project's services.",
            "If the daemon died while services ran, a new one starts and adopts them (not restarting them)."
        })
final class StatusCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(
            names = "--json",
            description = "An array of {name, state, pid, restarts, uptimeSeconds, lastExit, rssBytes, project, …}.")
    boolean json;

    @Option(names = "--all", description = "Every project's services, not only this config file's.")
    boolean all;

    @Override
    public Integer call() {
        return print(json, all, Context.configPath(spec), spec.commandLine().getOut());
    }

    /** Also called by {@link Main} directly, before picocli is loaded (see there). */
    static int print(boolean json, PrintWriter out) {
        return print(json, false, Path.of("lifeline.yaml").toAbsolutePath().normalize(), out);
    }

    static int print(boolean json, boolean all, Path project, PrintWriter out) {
        Home home = Context.home();
        DaemonClient client = DaemonClient.of(home);
        if (!client.isRunning()) {
            if (!client.hasState()) {
                // Nothing to adopt: say so without starting a daemon (only commands that need one do).
                out.println(json ? "[]" : "nothing runs: the daemon is not running (start with 'lifeline up')");
                out.flush();
                return 0;
            }
            client.ensureRunning();
            if (!json) {
                out.println("(the daemon was not running: started a new one, which adopted the running services)");
            }
        }
        JsonNode list = client.call("status", Map.of());
        // This file's services; every project's with --all, or where there is no config file (and none was).
        boolean everything = all;
        if (!all && !Files.exists(project)) {
            everything = true;
            for (JsonNode s : list) {
                everything &= !s.path("project").asText().equals(project.toString());
            }
        }
        List<JsonNode> shown = new ArrayList<>();
        Set<String> others = new LinkedHashSet<>();
        for (JsonNode s : list) {
            if (everything || s.path("project").asText().equals(project.toString())) {
                shown.add(s);
            } else {
                others.add(s.path("project").asText());
            }
        }
        if (json) {
            ArrayNode a = Json.array();
            for (JsonNode s : shown) {
                a.add(s);
            }
            out.println(Json.write(a, true));
            out.flush();
            return 0;
        }
        if (shown.isEmpty()) {
            out.println(
                    everything
                            ? "nothing runs: no project is applied (start one with 'lifeline up')"
                            : "nothing of " + project + " runs: it is not applied (start it with 'lifeline up')");
        } else {
            table(shown, out);
        }
        if (!others.isEmpty()) {
            out.println("(" + Plural.of(list.size() - shown.size(), "service") + " of "
                    + Plural.of(others.size(), "other project") + " not shown: lifeline status --all)");
        }
        out.flush();
        return 0;
    }

    private static void table(List<JsonNode> rows, PrintWriter out) {
        Set<String> projects = new LinkedHashSet<>();
        for (JsonNode r : rows) {
            projects.add(r.path("project").asText());
        }
        String header = String.format(
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
                "PORT");
        for (String project : projects) {
            if (projects.size() > 1) {
                out.println("project " + project);
            }
            out.println(header);
            for (JsonNode row : rows) {
                if (row.path("project").asText().equals(project)) {
                    row(row, out);
                }
            }
        }
    }

    private static void row(JsonNode row, PrintWriter out) {
        Protocol.ServiceView v = Protocol.service(row);
        ServiceStatus s = v.service();
        out.println(String.format(
                Locale.ROOT,
                "%-12s %-10s %-8s %-8s %-8d %-9s %-7s %-9s %s",
                s.name(),
                s.state().label(),
                s.pid() == 0 ? "-" : Long.toString(s.pid()),
                s.uptimeSeconds() == 0 ? "-" : Render.duration(s.uptimeSeconds()),
                s.restarts(),
                s.lastExit() == null ? "-" : s.lastExit().toString(),
                Render.bytes(s.rssBytes()),
                s.readySeconds() < 0 ? "-" : String.format(Locale.ROOT, "%.1fs", s.readySeconds()),
                s.port() == null ? "-" : s.port().toString()));
        String progress = Render.progress(row);
        if (!progress.isEmpty()) {
            out.println("             └ " + progress);
        }
        if (v.gpuMemoryMiB() != null) {
            out.println("             └ GPU memory " + v.gpuMemoryMiB() + " MiB (free on the GPU: " + v.gpuFreeMiB()
                    + " MiB)");
        }
        if (s.memoryLimitBytes() > 0) {
            out.println("             └ memory limit " + Render.bytes(s.memoryLimitBytes()) + " (cgroup)");
        }
        String state = s.state().label();
        if ((state.equals("failed") || state.equals("backoff") || state.equals("unhealthy"))
                && !s.reason().isEmpty()) {
            out.println("             └ " + s.reason());
        }
    }
}
