package dev.lifeline.cli;

import dev.lifeline.config.LifelineConfig;
import dev.lifeline.core.Home;
import java.nio.file.Path;
import picocli.CommandLine.Model.CommandSpec;

/** What every command needs: the state folder and the config file the user named. */
final class Context {
    private Context() {}

    static Home home() {
        return Home.fromEnvironment().ensure();
    }

    /** The config path given with {@code -c} anywhere on the command line, else ./lifeline.yaml. */
    static Path configPath(CommandSpec spec) {
        Main root = (Main) spec.root().userObject();
        Path p = root.config != null ? root.config : Path.of("lifeline.yaml");
        return p.toAbsolutePath().normalize();
    }

    static LifelineConfig loadConfig(CommandSpec spec) {
        return LifelineConfig.load(configPath(spec));
    }
}
