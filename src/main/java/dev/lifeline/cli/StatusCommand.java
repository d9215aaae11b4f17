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
            "Show each service of this config file: state, pid, uptime, restarts, last exit, CPU and memory of the"
                    + " whole tree, time to ready; each backup's lag.",
            "CPU is percent of one core over the interval since the daemon last looked (1-60 s), else the run's"
                    + " average.",
            "Outside a project folder (no lifeline.yaml), or with --all: every project's services.",
            "If the daemon died while services ran, a new one starts and adopts them (not restarting them)."
        })
final class StatusCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(
            names = "--json",
            description = "An array of {name, state, pid, restarts, uptimeSeconds, lastExit, rssBytes, cpuSeconds,"
                    + " cpuLoadPercent, cpuLoadSeconds, project, …}.")
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
        backups(client, everything, project, out);
        if (!others.isEmpty()) {
            out.println("(" + Plural.of(list.size() - shown.size(), "service") + " of "
                    + Plural.of(others.size(), "other project") + " not shown: lifeline status --all)");
        }
        out.flush();
        return 0;
    }

    /** One line per watched vault of the shown projects: what is not protected yet, and why. */
    private static void backups(DaemonClient client, boolean everything, Path project, PrintWriter out) {
        JsonNode list;
        try {
            list = client.call("backup.status", Map.of());
        } catch (RuntimeException e) {
            return; // a daemon from before this op: nothing to add
        }
        for (Protocol.BackupView b : Protocol.backups(list)) {
            if (!everything && !b.project().equals(project.toString())) {
                continue;
            }
            String lag = b.lagSeconds().map(StatusCommand::lag).orElse("");
            String state;
            if (b.unprotectedFiles() == 0) {
                state = "every file seen is stored" + lag;
            } else if (b.reason().isEmpty()) {
                state = Plural.of(b.unprotectedFiles(), "file") + " being written" + lag + " (stored when complete)";
            } else {
                state = Plural.of(b.unprotectedFiles(), "file") + " NOT protected yet" + lag + ": " + b.reason()
                        + " (retrying; 'lifeline doctor' for more)";
            }
            out.println("backup " + b.repository() + ": " + state);
        }
    }

    /**
     * ", lag 0.4s": from the newest output's last write to stored durably; while storing fails, at
     * least how long it has been failing (the daemon's {@code lagSeconds}).
     */
    static String lag(double seconds) {
        return ", lag "
                + (seconds < 9.95
                        ? String.format(Locale.ROOT, "%.1fs", seconds)
                        : Render.duration(Math.round(seconds)));
    }

    private static final String[] HEADER = {
        "NAME", "STATE", "PID", "UPTIME", "RESTARTS", "LAST-EXIT", "CPU", "MEMORY", "READY-IN", "PORT"
    };

    /** Each column as wide as its widest cell, two spaces apart: ~74 columns for usual names. */
    private static void table(List<JsonNode> rows, PrintWriter out) {
        Set<String> projects = new LinkedHashSet<>();
        for (JsonNode r : rows) {
            projects.add(r.path("project").asText());
        }
        for (String project : projects) {
            if (projects.size() > 1) {
                out.println("project " + project);
            }
            List<JsonNode> mine = new ArrayList<>();
            List<String[]> cells = new ArrayList<>();
            cells.add(HEADER);
            for (JsonNode row : rows) {
                if (row.path("project").asText().equals(project)) {
                    mine.add(row);
                    cells.add(cells(row));
                }
            }
            int[] width = new int[HEADER.length];
            for (String[] c : cells) {
                for (int i = 0; i < c.length; i++) {
                    width[i] = Math.max(width[i], c[i].length());
                }
            }
            out.println(line(HEADER, width));
            for (int i = 0; i < mine.size(); i++) {
                out.println(line(cells.get(i + 1), width));
                details(mine.get(i), out);
            }
        }
    }

    private static String line(String[] cells, int[] width) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < cells.length; i++) {
            b.append(cells[i]);
            if (i < cells.length - 1) {
                b.append(" ".repeat(width[i] - cells[i].length() + 2));
            }
        }
        return b.toString();
    }

    private static String[] cells(JsonNode row) {
        ServiceStatus s = Protocol.service(row).service();
        return new String[] {
            s.name(),
            s.state().label(),
            s.pid() == 0 ? "-" : Long.toString(s.pid()),
            s.uptimeSeconds() == 0 ? "-" : Render.duration(s.uptimeSeconds()),
            Integer.toString(s.restarts()),
            s.lastExit() == null ? "-" : s.lastExit().toString(),
            cpu(row),
            Render.bytes(s.rssBytes()),
            s.readySeconds() < 0 ? "-" : String.format(Locale.ROOT, "%.1fs", s.readySeconds()),
            s.port() == null ? "-" : s.port().toString()
        };
    }

    /**
     * Percent of one core the whole tree used over the daemon's last interval (see the daemon's
     * {@code CpuLoad}): "0.4%", "12%", "250%"; "-" when none runs or the daemon does not say.
     */
    static String cpu(JsonNode row) {
        JsonNode p = row.path("cpuLoadPercent");
        if (!p.isNumber()) {
            return "-";
        }
        double v = p.asDouble();
        return String.format(Locale.ROOT, v < 9.95 ? "%.1f%%" : "%.0f%%", v);
    }

    /** The lines under a service's row: loading progress, GPU memory, memory cap, why it failed. */
    private static void details(JsonNode row, PrintWriter out) {
        Protocol.ServiceView v = Protocol.service(row);
        ServiceStatus s = v.service();
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
