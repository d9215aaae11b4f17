package dev.lifeline.cli;

import dev.lifeline.boot.BootService;
import dev.lifeline.boot.Launch;
import dev.lifeline.core.Home;
import dev.lifeline.process.Procfs;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code lifeline service install|uninstall|status}: the daemon as a boot-time service. */
@Command(
        name = "service",
        description = "Start the Lifeline daemon at boot: a systemd unit (or a launchd agent on macOS).",
        subcommands = {ServiceCommand.Install.class, ServiceCommand.Uninstall.class, ServiceCommand.Status.class})
final class ServiceCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** Options shared by the three subcommands. */
    static final class Scope {
        @Option(names = "--user", description = "A per-user service (systemctl --user) instead of a system one.")
        boolean user;

        @Option(names = "--dry-run", description = "Show what would be written and run; change nothing.")
        boolean dryRun;

        @Option(names = "--unit-dir", hidden = true, paramLabel = "DIR")
        Path unitDir;

        @Option(names = "--service-manager", hidden = true, paramLabel = "CMD", description = "e.g. 'systemctl --user'")
        String manager;

        @Option(names = "--assume-systemd", hidden = true)
        boolean assumeSystemd;

        BootService boot(Home home) {
            BootService.Settings s = BootService.Settings.detect(user, Launch.daemonCommand(), home.root());
            if (unitDir != null) {
                s = s.withUnitDir(unitDir.toAbsolutePath());
            }
            if (manager != null) {
                s = s.withControl(Arrays.asList(manager.trim().split("\\s+")));
            }
            if (assumeSystemd) {
                s = s.withPlatform(dev.lifeline.boot.Platform.SYSTEMD);
            }
            return new BootService(s);
        }
    }

    static void print(PrintWriter out, BootService.Result r, boolean dryRun) {
        switch (r.change()) {
            case CREATED -> out.println("wrote " + r.file() + ":");
            case UPDATED -> out.println("updated " + r.file() + ":");
            case UNCHANGED -> out.println(r.file() + " is already current (unchanged):");
            case WOULD_WRITE -> out.println("would write " + r.file() + ":");
            case REMOVED -> out.println("removed " + r.file());
            case NOT_SUPPORTED -> {
                if (dryRun && !r.content().isEmpty()) {
                    out.println("for reference, the systemd unit it would write (" + r.file() + "):");
                }
            }
            case ABSENT -> {}
        }
        if (!r.content().isEmpty() && (dryRun || r.change() != BootService.Change.NOT_SUPPORTED)) {
            out.println();
            r.content().lines().forEach(l -> out.println("    " + l));
            out.println();
        }
        r.commands().forEach(out::println);
        r.notes().forEach(out::println);
        out.flush();
    }

    @Command(name = "install", description = "Write and enable the service (idempotent); prints what it wrote.")
    static final class Install implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Mixin
        Scope scope;

        @Override
        public Integer call() {
            Home home = Context.home();
            BootService.Result r = scope.boot(home).install(scope.dryRun, daemonRunning(home));
            print(spec.commandLine().getOut(), r, scope.dryRun);
            return r.ok() ? 0 : 1;
        }
    }

    @Command(name = "uninstall", description = "Disable and remove the service. The apps keep running.")
    static final class Uninstall implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Mixin
        Scope scope;

        @Override
        public Integer call() {
            BootService.Result r = scope.boot(Context.home()).uninstall(scope.dryRun);
            print(spec.commandLine().getOut(), r, scope.dryRun);
            return r.ok() ? 0 : 1;
        }
    }

    @Command(name = "status", description = "Is the service installed, current, enabled and running?")
    static final class Status implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Mixin
        Scope scope;

        @Override
        public Integer call() {
            BootService.Status st = scope.boot(Context.home()).status();
            PrintWriter out = spec.commandLine().getOut();
            out.println("service manager: " + st.platform().name().toLowerCase());
            out.println("unit file:       " + st.file()
                    + (st.installed() ? (st.current() ? " (current)" : " (outdated)") : " (not installed)"));
            if (!st.enabled().isEmpty()) {
                out.println("enabled:         " + st.enabled());
                out.println("active:          " + st.active());
            }
            st.notes().forEach(out::println);
            out.flush();
            return st.installed() ? 0 : 1;
        }
    }

    /** A daemon already runs (started by `lifeline up`): its pid file names a live lifeline process. */
    static boolean daemonRunning(Home home) {
        try {
            long pid = Long.parseLong(Files.readString(home.daemonPidFile()).strip());
            return Procfs.read(pid)
                    .filter(p -> !p.isZombie())
                    .map(p -> p.command().contains("lifeline"))
                    .orElse(false);
        } catch (IOException | NumberFormatException e) {
            return false;
        }
    }
}
