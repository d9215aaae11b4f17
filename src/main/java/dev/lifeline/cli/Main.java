package dev.lifeline.cli;

import dev.lifeline.config.ConfigException;
import dev.lifeline.core.LifelineException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
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
        description = "Keeps a self-hosted AI web UI alive, reachable and safe.")
public final class Main {
    @Option(
            names = {"-c", "--config"},
            scope = ScopeType.INHERIT,
            paramLabel = "FILE",
            description = "Config file (default: ./lifeline.yaml).")
    Path config;

    public static void main(String[] args) {
        PrintWriter out = new PrintWriter(
                new java.io.OutputStreamWriter(System.out, java.nio.charset.StandardCharsets.UTF_8), true);
        PrintWriter err = new PrintWriter(
                new java.io.OutputStreamWriter(System.err, java.nio.charset.StandardCharsets.UTF_8), true);
        Integer fast = fast(args, out, err);
        System.exit(fast != null ? fast : run(args));
    }

    /**
     * What scripts and cron run most — exactly {@code status [--json]} and {@code [-c FILE] backup
     * now [-q] [--no-push]} — skips picocli, whose start-up (its Java 5 class files are verified
     * the slow way and cannot be class-data-shared) is ~0.15 s of a run that is otherwise ~0.1 s
     * (status) or bound by a walk of the sources. The same code the picocli commands call runs;
     * any other shape of arguments returns null and goes through picocli.
     */
    static Integer fast(String[] args, PrintWriter out, PrintWriter err) {
        try {
            if ((args.length == 1 || (args.length == 2 && args[1].equals("--json"))) && args[0].equals("status")) {
                return StatusCommand.print(args.length == 2, out);
            }
            int i = 0;
            Path config = Path.of("lifeline.yaml");
            if (args.length > 1 && (args[0].equals("-c") || args[0].equals("--config")) && !args[1].startsWith("-")) {
                config = Path.of(args[1]);
                i = 2;
            }
            if (args.length < i + 2 || !args[i].equals("backup") || !args[i + 1].equals("now")) {
                return null;
            }
            boolean quiet = false;
            boolean noPush = false;
            for (i += 2; i < args.length; i++) {
                switch (args[i]) {
                    case "-q", "--quiet" -> quiet = true;
                    case "--no-push" -> noPush = true;
                    default -> {
                        return null;
                    }
                }
            }
            return BackupNowCommand.run(config.toAbsolutePath().normalize(), quiet, noPush, out, err);
        } catch (RuntimeException e) {
            return report(e, err);
        } finally {
            out.flush();
        }
    }

    /** The top-level commands, in the order help lists them. */
    static final List<Class<?>> COMMANDS = List.of(
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
            FindCommand.class,
            CatalogCommand.class,
            TunnelCommand.class,
            DashboardCommand.class,
            MetaCommand.class,
            CompletionCommand.class,
            CommandLine.HelpCommand.class);

    public static int run(String... args) {
        CommandLine cl = commandLine(args);
        // UTF-8, and a name that is not UTF-8 as its exact bytes (so 'backup sums' feeds sha256sum -c)
        cl.setOut(new PrintWriter(dev.lifeline.backup.NameOutput.bytes(System.out), true));
        cl.setExecutionExceptionHandler(Main::handle);
        return cl.execute(args);
    }

    /**
     * The command line for {@code args}. picocli builds the model of every command it is given,
     * by reflection, before parsing (about 0.1 s for all of Lifeline's in a fresh JVM); so when
     * the first word names a command, only that one is built. Help, a bare {@code lifeline} and
     * unknown words get all of them (listing, suggestions).
     */
    static CommandLine commandLine(String... args) {
        CommandLine cl = new CommandLine(new Main());
        Class<?> only = invoked(args);
        for (Class<?> c : COMMANDS) {
            if (only == null || c == only) {
                cl.addSubcommand(c);
            }
        }
        addHelpOptions(cl);
        return cl;
    }

    /**
     * {@code -h}/{@code --help} on every command and subcommand, here rather than on each class so
     * that a new command cannot miss it. (Not picocli's standard mixin: its {@code -V} would print
     * nothing on a subcommand.)
     */
    static void addHelpOptions(CommandLine cl) {
        CommandSpec spec = cl.getCommandSpec();
        if (spec.options().stream().noneMatch(OptionSpec::usageHelp)) {
            spec.addOption(OptionSpec.builder("-h", "--help")
                    .usageHelp(true)
                    .description("Show this help message and exit.")
                    .build());
        }
        for (CommandLine sub : cl.getSubcommands().values()) {
            addHelpOptions(sub);
        }
    }

    /** The command class the first word names, or null. */
    static Class<?> invoked(String[] args) {
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (a.equals("-c") || a.equals("--config")) {
                i++;
            } else if (!a.startsWith("-")) {
                for (Class<?> c : COMMANDS) {
                    Command cmd = c.getAnnotation(Command.class);
                    if (c != CommandLine.HelpCommand.class
                            && (cmd.name().equals(a) || List.of(cmd.aliases()).contains(a))) {
                        return c;
                    }
                }
                return null;
            }
        }
        return null;
    }

    private static int handle(Exception e, CommandLine cl, CommandLine.ParseResult parsed) {
        return report(e, cl.getErr());
    }

    /** Domain failures become one line and an exit status here, and nowhere else. */
    static int report(Exception e, PrintWriter err) {
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
