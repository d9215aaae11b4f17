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
            UpCommand.class,
            DownCommand.class,
            StartCommand.class,
            StopCommand.class,
            RestartCommand.class,
            StatusCommand.class,
            LogsCommand.class,
            DaemonCommand.class,
            DemoCommand.class,
            InitCommand.class,
            DoctorCommand.class,
            ErrorsCommand.class,
            NotifyCommand.class,
            ServiceCommand.class,
            BackupCommand.class,
            TunnelCommand.class,
            CommandLine.HelpCommand.class,
        })
public final class Main {
    @Option(
            names = {"-c", "--config"},
            scope = ScopeType.INHERIT,
            paramLabel = "FILE",
            description = "Config file (default: ./lifeline.yaml).")
    Path config;

    public static void main(String[] args) {
        System.exit(isPlainStatus(args) ? fastStatus(args) : run(args));
    }

    /**
     * {@code status} is what people and scripts poll, and picocli's model building (its Java 5
     * class files are verified the slow way and cannot be class-data-shared) costs about 100 ms
     * of a ~200 ms round trip. So exactly {@code status} or {@code status --json} skips it and
     * calls the same code the picocli command does; anything else goes through picocli.
     */
    static boolean isPlainStatus(String[] args) {
        return (args.length == 1 && args[0].equals("status"))
                || (args.length == 2 && args[0].equals("status") && args[1].equals("--json"));
    }

    private static int fastStatus(String[] args) {
        PrintWriter out = new PrintWriter(
                new java.io.OutputStreamWriter(System.out, java.nio.charset.StandardCharsets.UTF_8), true);
        try {
            return StatusCommand.print(args.length == 2, out);
        } catch (LifelineException e) {
            System.err.println("lifeline: " + e.getMessage());
            if (e.hint() != null) {
                System.err.println("  → " + e.hint());
            }
            return 1;
        }
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
