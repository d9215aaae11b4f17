package dev.lifeline.boot;

import dev.lifeline.core.Home;
import dev.lifeline.core.LifelineException;
import dev.lifeline.core.PrivateFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

/**
 * Installs the Lifeline daemon as a boot-time service: a systemd unit ({@code
 * /etc/systemd/system/lifeline.service}, or {@code ~/.config/systemd/user/} with {@code --user})
 * or a launchd agent on macOS ({@code ~/Library/LaunchAgents/dev.lifeline.daemon.plist}). The unit
 * uses {@code KillMode=process}, so stopping the daemon never stops the apps. Idempotent: an
 * unchanged unit is left alone. Where there is no systemd it installs nothing and offers a cron
 * {@code @reboot} line instead.
 *
 * <p>The unit folder and the {@code systemctl}/{@code launchctl} command are settings, so tests
 * render into a temp folder and run a stand-in.
 */
public final class BootService {

    /**
     * @param execStart the daemon's command line, e.g. {@code [/usr/bin/java, -jar, /opt/lifeline.jar, daemon]}
     * @param home the {@code LIFELINE_HOME} the daemon uses
     * @param unitDir where the unit (or plist) goes
     * @param control the service manager command with its scope flag: {@code [systemctl]}, {@code
     *     [systemctl, --user]} or {@code [launchctl]}
     */
    public record Settings(
            Platform platform, boolean user, List<String> execStart, Path home, Path unitDir, List<String> control) {
        public Settings {
            execStart = List.copyOf(execStart);
            control = List.copyOf(control);
        }

        /** This machine's defaults. */
        public static Settings detect(boolean user, List<String> execStart, Path home) {
            String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
            Path userHome = Home.userHome(System.getenv());
            if (os.contains("mac")) {
                Path dir = user ? userHome.resolve("Library/LaunchAgents") : Path.of("/Library/LaunchDaemons");
                return new Settings(Platform.LAUNCHD, user, execStart, home, dir, List.of("launchctl"));
            }
            Platform p = Files.isDirectory(Path.of("/run/systemd/system")) ? Platform.SYSTEMD : Platform.NONE;
            Path dir;
            if (user) {
                String xdg = System.getenv("XDG_CONFIG_HOME");
                Path config = xdg != null && !xdg.isBlank() ? Path.of(xdg) : userHome.resolve(".config");
                dir = config.resolve("systemd/user");
            } else {
                dir = Path.of("/etc/systemd/system");
            }
            return new Settings(
                    p, user, execStart, home, dir, user ? List.of("systemctl", "--user") : List.of("systemctl"));
        }

        public Settings withUnitDir(Path dir) {
            return new Settings(platform, user, execStart, home, dir, control);
        }

        public Settings withControl(List<String> c) {
            return new Settings(platform, user, execStart, home, unitDir, c);
        }

        public Settings withPlatform(Platform p) {
            return new Settings(p, user, execStart, home, unitDir, control);
        }
    }

    /** What changed on disk. */
    public enum Change {
        CREATED,
        UPDATED,
        UNCHANGED,
        REMOVED,
        ABSENT,
        /** nothing done: no service manager here (see the notes for the alternative) */
        NOT_SUPPORTED,
        /** dry run: nothing written */
        WOULD_WRITE
    }

    /**
     * @param content the unit text written (or that would be)
     * @param commands what was run, with exit status and output
     * @param notes what the person should know or do next
     */
    public record Result(
            Change change, Path file, String content, List<String> commands, List<String> notes, boolean ok) {
        public Result {
            commands = List.copyOf(commands);
            notes = List.copyOf(notes);
        }
    }

    /** @param enabled what the service manager says ("enabled", "disabled", "not-found"…), empty without one */
    public record Status(
            Platform platform,
            Path file,
            boolean installed,
            boolean current,
            String enabled,
            String active,
            List<String> notes) {}

    private final Settings s;

    public BootService(Settings settings) {
        this.s = Objects.requireNonNull(settings);
    }

    public Path unitFile() {
        return s.unitDir()
                .resolve(s.platform() == Platform.LAUNCHD ? Units.LAUNCHD_LABEL + ".plist" : Units.SYSTEMD_UNIT);
    }

    /** The unit (or plist) text for these settings. */
    public String render() {
        return s.platform() == Platform.LAUNCHD
                ? Units.launchd(s.execStart(), s.home())
                : Units.systemd(s.execStart(), s.home(), s.user());
    }

    /** The crontab line to use where there is no systemd. */
    public String cronAlternative() {
        return Units.cron(s.execStart(), s.home());
    }

    /**
     * Writes the unit if it differs, reloads the manager and enables the service to start at boot
     * and now.
     *
     * @param daemonRunning a daemon is already running outside the service manager: enable for the
     *     next boot, but do not start a second one now
     */
    public Result install(boolean dryRun, boolean daemonRunning) {
        String content = render();
        Path file = unitFile();
        if (s.platform() == Platform.NONE) {
            return new Result(Change.NOT_SUPPORTED, file, content, List.of(), noSystemdNotes(), false);
        }
        Optional<String> existing = read(file);
        boolean same = existing.isPresent() && existing.get().equals(content);
        List<String> notes = new ArrayList<>();
        if (dryRun) {
            notes.add(same ? "already installed and current: nothing would change" : "would write " + file);
            notes.add("then run: "
                    + String.join(
                            "; ",
                            plannedInstallCommands(same, daemonRunning).stream()
                                    .map(c -> String.join(" ", c))
                                    .toList()));
            return new Result(same ? Change.UNCHANGED : Change.WOULD_WRITE, file, content, List.of(), notes, true);
        }
        if (!same) {
            write(file, content);
        }
        List<String> ran = new ArrayList<>();
        boolean ok = true;
        for (List<String> c : plannedInstallCommands(same, daemonRunning)) {
            Commands.Ran r = Commands.run(c);
            ran.add(r.line());
            ok &= r.exit() == 0;
        }
        if (daemonRunning) {
            notes.add("a Lifeline daemon is already running outside " + managerName()
                    + "; it keeps running. The service takes over at the next boot (or stop the daemon and run `"
                    + String.join(" ", startCommand()) + "`).");
        }
        if (s.platform() == Platform.SYSTEMD && s.user()) {
            notes.add("a --user service starts at boot only with lingering on: `loginctl enable-linger "
                    + System.getProperty("user.name") + "`");
        }
        if (!ok) {
            notes.add("a " + managerName() + " command failed (output above); the unit file is in place at " + file);
        }
        return new Result(
                existing.isEmpty() ? Change.CREATED : same ? Change.UNCHANGED : Change.UPDATED,
                file,
                content,
                ran,
                notes,
                ok);
    }

    /** Disables and stops the service (never the apps: KillMode=process) and removes the unit. */
    public Result uninstall(boolean dryRun) {
        Path file = unitFile();
        if (s.platform() == Platform.NONE) {
            return new Result(
                    Change.NOT_SUPPORTED,
                    file,
                    "",
                    List.of(),
                    List.of(
                            "no systemd here: nothing to uninstall; remove the @reboot line from `crontab -e` if you added one"),
                    true);
        }
        if (!Files.exists(file)) {
            return new Result(
                    Change.ABSENT, file, "", List.of(), List.of("not installed: " + file + " does not exist"), true);
        }
        List<List<String>> plan = s.platform() == Platform.LAUNCHD
                ? List.of(cmd("unload", "-w", file.toString()))
                : List.of(cmd("disable", "--now", Units.SYSTEMD_UNIT));
        if (dryRun) {
            return new Result(
                    Change.WOULD_WRITE,
                    file,
                    "",
                    List.of(),
                    List.of("would run " + plan + " and remove " + file),
                    true);
        }
        List<String> ran = new ArrayList<>();
        boolean ok = true;
        for (List<String> c : plan) {
            Commands.Ran r = Commands.run(c);
            ran.add(r.line());
            ok &= r.exit() == 0;
        }
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            throw new LifelineException(
                    "cannot remove " + file + ": " + e.getMessage(),
                    "run it as the user who installed it (root for a system unit)");
        }
        if (s.platform() == Platform.SYSTEMD) {
            Commands.Ran r = Commands.run(cmd("daemon-reload"));
            ran.add(r.line());
        }
        return new Result(
                Change.REMOVED,
                file,
                "",
                ran,
                List.of("the apps keep running; the daemon no longer starts at boot"),
                ok);
    }

    public Status status() {
        Path file = unitFile();
        Optional<String> existing = read(file);
        boolean current = existing.isPresent() && existing.get().equals(render());
        List<String> notes = new ArrayList<>();
        if (s.platform() == Platform.NONE) {
            notes.addAll(noSystemdNotes());
            return new Status(s.platform(), file, existing.isPresent(), current, "", "", notes);
        }
        if (existing.isPresent() && !current) {
            notes.add(
                    "the unit differs from what this Lifeline would write: run `lifeline service install` to update it");
        }
        String enabled;
        String active;
        if (s.platform() == Platform.LAUNCHD) {
            Commands.Ran r = Commands.run(cmd("list", Units.LAUNCHD_LABEL));
            enabled = existing.isPresent() ? "installed" : "not-found";
            active = r.exit() == 0 ? "loaded" : "not loaded";
        } else {
            enabled =
                    Commands.run(cmd("is-enabled", Units.SYSTEMD_UNIT)).output().strip();
            active = Commands.run(cmd("is-active", Units.SYSTEMD_UNIT)).output().strip();
        }
        return new Status(s.platform(), file, existing.isPresent(), current, enabled, active, notes);
    }

    private List<List<String>> plannedInstallCommands(boolean unchanged, boolean daemonRunning) {
        List<List<String>> out = new ArrayList<>();
        if (s.platform() == Platform.LAUNCHD) {
            out.add(cmd("load", "-w", unitFile().toString()));
            return out;
        }
        if (!unchanged) {
            out.add(cmd("daemon-reload"));
        }
        out.add(daemonRunning ? cmd("enable", Units.SYSTEMD_UNIT) : cmd("enable", "--now", Units.SYSTEMD_UNIT));
        return out;
    }

    private List<String> startCommand() {
        return s.platform() == Platform.LAUNCHD ? cmd("start", Units.LAUNCHD_LABEL) : cmd("start", Units.SYSTEMD_UNIT);
    }

    private List<String> cmd(String... args) {
        List<String> c = new ArrayList<>(s.control());
        c.addAll(List.of(args));
        return c;
    }

    private String managerName() {
        return s.platform() == Platform.LAUNCHD ? "launchd" : "systemd";
    }

    private List<String> noSystemdNotes() {
        return List.of(
                "this machine does not run systemd (no /run/systemd/system: a container or another init), so there is no unit to install",
                "start the daemon at boot with cron instead — add this line with `crontab -e`:",
                "  " + cronAlternative(),
                "or start it from your container's entrypoint: " + String.join(" ", s.execStart()));
    }

    private static Optional<String> read(Path file) {
        try {
            return Optional.of(Files.readString(file, StandardCharsets.UTF_8));
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    private static void write(Path file, String content) {
        try {
            Files.createDirectories(file.getParent());
            // a unit or plist is read by the service manager: 0644, never written through a link
            PrivateFiles.write(
                    file, content.getBytes(StandardCharsets.UTF_8), PosixFilePermissions.fromString("rw-r--r--"));
        } catch (IOException e) {
            throw new LifelineException(
                    "cannot write " + file + ": " + e.getMessage(),
                    "a system unit needs root (sudo lifeline service install), or install for your user with --user");
        }
    }
}
