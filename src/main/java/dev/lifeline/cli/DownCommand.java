package dev.lifeline.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lifeline.core.Home;
import dev.lifeline.daemon.DaemonClient;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(
        name = "down",
        description = {
            "Stop the services of this config file (whole process trees); other projects keep running.",
            "Where there is no config file, or with --all: every project's services, the tunnels and the daemon.",
            "The daemon stops with the last project."
        })
final class DownCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--all", description = "Stop every project's services, the tunnels and the daemon.")
    boolean all;

    @Override
    public Integer call() {
        Home home = Context.home();
        PrintWriter out = spec.commandLine().getOut();
        DaemonClient client = DaemonClient.of(home);
        if (!client.isRunning()) {
            if (!client.hasState()) {
                out.println("nothing to do: no daemon is running");
                return 0;
            }
            client.ensureRunning(); // adopt what an earlier daemon left running, then stop it properly
        }
        Optional<Long> daemon = client.daemonPid();
        Path project = Context.configPath(spec);
        // No config file here (and none applied from here): everything, as 'status' shows everything.
        JsonNode r =
                client.call("down", Map.of("project", project.toString(), "all", all, "orAll", !Files.exists(project)));
        List<String> stopped = new ArrayList<>();
        r.path("stopped").forEach(n -> stopped.add(n.asText()));
        List<String> remaining = new ArrayList<>();
        r.path("remaining").forEach(n -> remaining.add(n.asText()));
        if (!r.path("applied").asBoolean()) {
            out.println("nothing to do: " + project + " is not applied");
            if (!remaining.isEmpty()) {
                out.println("running: " + Plural.of(remaining.size(), "project") + ", " + String.join(", ", remaining)
                        + " ('lifeline down --all' stops them all)");
            }
            return 0;
        }
        if (r.path("daemonExits").asBoolean()) {
            awaitExit(daemon);
            out.println("stopped " + Plural.of(stopped.size(), "service") + " and the daemon");
        } else {
            out.println("stopped " + Plural.of(stopped.size(), "service") + " of " + project
                    + "; the daemon keeps running for " + Plural.of(remaining.size(), "other project") + ": "
                    + String.join(", ", remaining));
        }
        return 0;
    }

    /** Returns once the daemon is really gone, so 'down && up' never races the old one. */
    private static void awaitExit(Optional<Long> daemon) {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (daemon.isPresent()
                && ProcessHandle.of(daemon.get()).map(ProcessHandle::isAlive).orElse(false)
                && System.nanoTime() < deadline) {
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
    }
}
