package dev.lifeline.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lifeline.config.LifelineConfig;
import dev.lifeline.config.TunnelSpec;
import dev.lifeline.core.Json;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code lifeline tunnel up NAME}: start a tunnel from lifeline.yaml and keep it up. */
@Command(name = "up", description = "Start a tunnel from lifeline.yaml and keep it up.")
final class TunnelUpCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "NAME", description = "The tunnel's name under 'tunnels:'.")
    String name;

    @Option(names = "--foreground", description = "Run it in this terminal with live state lines.")
    boolean foreground;

    @Override
    public Integer call() {
        LifelineConfig config = Context.loadConfig(spec);
        ObjectNode source = Json.object().put("name", name);
        source.put("path", config.file().toString());
        source.put("text", config.text());
        return TunnelRun.start(spec, TunnelSpec.named(config, name), foreground, source, "lifeline tunnel up " + name);
    }
}
