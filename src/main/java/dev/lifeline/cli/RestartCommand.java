package dev.lifeline.cli;

import dev.lifeline.daemon.Protocol;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "restart", description = "Stop one service (whole tree), start it again and wait until it is ready.")
final class RestartCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "SERVICE", description = "The service to restart.")
    String service;

    @Override
    public Integer call() {
        spec.commandLine()
                .getOut()
                .println(Render.summary(Protocol.service(ServiceCommands.send(spec, "restart", service, true))));
        return 0;
    }
}
