package dev.lifeline.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lifeline.daemon.Protocol;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(
        name = "start",
        description = {
            "Start one service and wait until it is ready. Starting a running service does nothing.",
            "A service that exits or times out before it is ready fails the command, with its last log lines."
        })
final class StartCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "SERVICE", description = "The service to start (a name under services: in the config).")
    String service;

    @Override
    public Integer call() {
        JsonNode r = ServiceCommands.send(spec, "start", service, true);
        Protocol.ServiceView v = Protocol.service(r.path("service"));
        if (!r.path("started").asBoolean()) {
            spec.commandLine()
                    .getOut()
                    .println(service + " is already running (pid " + v.service().pid() + "); nothing to do");
            return 0;
        }
        spec.commandLine().getOut().println(Render.summary(v));
        return 0;
    }
}
