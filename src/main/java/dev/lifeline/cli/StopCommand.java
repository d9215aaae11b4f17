package dev.lifeline.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(
        name = "stop",
        description =
                "Stop one service: its stop signal to the whole process tree, KILL after the timeout, then a check that nothing is left and the port is free.")
final class StopCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "SERVICE", description = "The service to stop.")
    String service;

    @Override
    public Integer call() {
        ServiceCommands.send(spec, "stop", service, false);
        spec.commandLine().getOut().println(service + " stopped: no process of it is left");
        return 0;
    }
}
