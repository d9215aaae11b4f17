package dev.lifeline.cli;

import dev.lifeline.config.ConfigException;
import dev.lifeline.core.LifelineException;
import java.io.PrintWriter;
import java.nio.file.Path;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

/**
 * The {@code lifeline} command. Exit status: 0 success, 1 a failure (one line on stderr, then a
 * hint), 2 bad usage or a config error.
 */
@Command(
        name = "lifeline",
        mixinStandardHelpOptions = true,
        versionProvider = Main.Version.class,
        description = "Keeps a self-hosted AI web UI alive, reachable and safe.",
        subcommands = {
            CommandLine.HelpCommand.class,
            TunnelCommand.class,
        })
public final class Main {
    @Option(
            names = {"-c", "--config"},
            scope = ScopeType.INHERIT,
            paramLabel = "FILE",
            description = "Config file (default: ./lifeline.yaml).")
    Path config;

    public static void main(String[] args) {
        System.exit(run(args));
    }

    public static int run(String... args) {
        CommandLine cl = new CommandLine(new Main());
        cl.setExecutionExceptionHandler(Main::handle);
        return cl.execute(args);
    }

    /** Domain failures become one line and an exit status here, and nowhere else. */
    private static int handle(Exception e, CommandLine cl, CommandLine.ParseResult parsed) {
        PrintWriter err = cl.getErr();
        if (e instanceof LifelineException le) {
            err.println("lifeline: " + le.getMessage());
            if (le.hint() != null) {
                err.println("  → " + le.hint());
            }
            err.flush();
            return e instanceof ConfigException ? 2 : 1;
        }
        err.println("lifeline: unexpected error: " + e);
        e.printStackTrace(err);
        err.flush();
        return 1;
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Main.class.getPackage().getImplementationVersion();
            return new String[] {"lifeline " + (v == null ? "dev" : v)};
        }
    }
}
