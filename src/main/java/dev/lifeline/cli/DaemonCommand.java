package dev.lifeline.cli;

import dev.lifeline.daemon.Daemon;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

@Command(
        name = "daemon",
        description = {
            "Run the daemon in the foreground (for systemd or launchd); 'up' starts one in the background by itself.",
            "Stopping the daemon leaves the services running; the next daemon adopts them."
        })
final class DaemonCommand implements Callable<Integer> {
    @Override
    public Integer call() {
        if (System.getProperty("org.slf4j.simpleLogger.defaultLogLevel") == null) {
            System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "info");
        }
        return Daemon.run(Context.home());
    }
}
