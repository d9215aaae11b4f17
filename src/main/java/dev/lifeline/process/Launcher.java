package dev.lifeline.process;

import dev.lifeline.core.LifelineException;
import dev.lifeline.core.PrivateFiles;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Starts a process detached from the caller: {@code setsid} gives it its own session and process
 * group (so the terminal closing cannot reach it and its whole tree can be signalled as one), and
 * {@code prlimit} / {@code setpriv} apply limits and the account before the program runs. Each of
 * these execs in place, so the pid returned is the program's own.
 */
public final class Launcher {
    private static final boolean WINDOWS =
            System.getProperty("os.name", "").toLowerCase(java.util.Locale.ROOT).startsWith("windows");
    private static final boolean HAS_SETSID = !WINDOWS
            && (Files.isExecutable(java.nio.file.Path.of("/usr/bin/setsid"))
                    || Files.isExecutable(java.nio.file.Path.of("/bin/setsid")));

    private Launcher() {}

    /** True when started processes get their own session (Linux); false where Lifeline falls back. */
    public static boolean detaches() {
        return HAS_SETSID;
    }

    /** A started process: the JDK handle (for its exit event and code) and its identity. */
    public record Started(Process process, ProcessIdentity identity) {}

    public static Started start(LaunchSpec spec) {
        return start(spec, false);
    }

    /**
     * Like {@link #start}, but stdin and stdout are pipes to the caller, for a client Lifeline
     * talks to (the tunnel's {@code ssh} session); stderr still goes to the log. The caller closes
     * both streams when the process is gone.
     */
    public static Started startPiped(LaunchSpec spec) {
        return start(spec, true);
    }

    private static Started start(LaunchSpec spec, boolean piped) {
        List<String> argv = wrap(spec);
        ProcessBuilder pb = new ProcessBuilder(argv);
        pb.directory(spec.cwd().toFile());
        Map<String, String> env = pb.environment();
        env.putAll(spec.env());
        if (!piped) {
            pb.redirectInput(ProcessBuilder.Redirect.from(new File(WINDOWS ? "NUL" : "/dev/null")));
            pb.redirectOutput(ProcessBuilder.Redirect.appendTo(spec.log().toFile()));
        }
        pb.redirectError(ProcessBuilder.Redirect.appendTo(spec.log().toFile()));
        if (!Files.isDirectory(spec.cwd())) {
            throw new LifelineException(
                    "cannot start '" + String.join(" ", spec.argv()) + "': working directory " + spec.cwd()
                            + " does not exist",
                    "create it, or fix 'cwd' in the config");
        }
        try {
            PrivateFiles.createLog(spec.log()); // appended to below, so it must not be a planted link
        } catch (IOException e) {
            throw new LifelineException(
                    "cannot start '" + String.join(" ", spec.argv()) + "': its log " + e.getMessage(),
                    "remove " + spec.log() + " (Lifeline creates it again)");
        }
        Process p;
        try {
            p = pb.start();
        } catch (IOException e) {
            throw new LifelineException(
                    "cannot start '" + String.join(" ", spec.argv()) + "' in " + spec.cwd() + ": " + e.getMessage(),
                    "check that the program exists and is executable");
        }
        long pid = p.pid();
        // The start time is fixed at fork, so it is right even before the exec chain finishes.
        long start = Procfs.read(pid).map(ProcessInfo::startTicks).orElse(-1L);
        return new Started(p, new ProcessIdentity(pid, start, String.join(" ", spec.argv())));
    }

    /**
     * Where {@code setsid} is missing (macOS, Windows) the program is started directly: it then
     * shares Lifeline's process group, which is acceptable for a client such as {@code ssh} that
     * Lifeline stops itself, but limits and another account cannot be applied there.
     */
    static List<String> wrap(LaunchSpec spec) {
        List<String> argv = new ArrayList<>();
        if (!HAS_SETSID) {
            if (!spec.rlimits().isEmpty() || spec.user().isPresent()) {
                throw new LifelineException(
                        "cannot apply limits or another account to '" + String.join(" ", spec.argv())
                                + "': this system has no setsid/prlimit/setpriv",
                        "remove 'limits' and 'user' from the service, or run it on Linux");
            }
            argv.addAll(spec.argv());
            return argv;
        }
        argv.add("setsid");
        spec.cgroup().ifPresent(cg -> argv.addAll(cg.joinPrefix()));
        if (!spec.rlimits().isEmpty()) {
            argv.add("prlimit");
            for (Map.Entry<String, Long> e : spec.rlimits().entrySet()) {
                argv.add("--" + e.getKey() + "=" + e.getValue() + ":" + e.getValue());
            }
            argv.add("--");
        }
        spec.user().ifPresent(u -> {
            String group = spec.group()
                    .or(() -> Accounts.primaryGroup(u))
                    .orElseThrow(() -> new LifelineException(
                            "cannot start '" + String.join(" ", spec.argv()) + "' as user '" + u
                                    + "': no such account, or its primary group is unknown",
                            "create the account, or fix 'user' in the config"));
            argv.add("setpriv");
            argv.add("--reuid=" + u);
            argv.add("--regid=" + group);
            argv.add("--init-groups");
            argv.add("--");
        });
        argv.addAll(spec.argv());
        return argv;
    }
}
