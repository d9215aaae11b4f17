package dev.lifeline.cli;

import dev.lifeline.core.Home;
import dev.lifeline.daemon.DaemonClient;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

@Command(name = "down", description = "Stop every service (whole process trees) and then the daemon.")
final class DownCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        Home home = Context.home();
        DaemonClient client = DaemonClient.of(home);
        if (!client.isRunning()) {
            if (!client.hasState()) {
                spec.commandLine().getOut().println("nothing to do: no daemon is running");
                return 0;
            }
            client.ensureRunning(); // adopt what an earlier daemon left running, then stop it properly
        }
        java.util.Optional<Long> daemon = client.daemonPid();
        int n = client.call("down", Map.of()).path("stopped").asInt();
        // Return once the daemon is really gone, so 'down && up' never races the old one.
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
        spec.commandLine().getOut().println("stopped " + Plural.of(n, "service") + " and the daemon");
        return 0;
    }
}
