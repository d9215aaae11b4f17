package dev.lifeline.cli;

import dev.lifeline.core.LifelineException;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code lifeline tunnel down NAME}: stop a tunnel, the daemon's or a foreground one. */
@Command(name = "down", description = "Stop a tunnel.")
final class TunnelDownCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "NAME", description = "The tunnel's name (see 'lifeline tunnel status').")
    String name;

    @Override
    public Integer call() {
        TunnelCommand.Tunnels d = TunnelCommand.daemon(false).orElseGet(() -> new ForegroundTunnels(Context.home()));
        if (!d.down(name)) {
            throw new LifelineException("tunnel '" + name + "' is not running", "see: lifeline tunnel status");
        }
        spec.commandLine().getOut().println(name + " stopped");
        return 0;
    }
}
