package dev.lifeline.supervisor;

import dev.lifeline.config.ServiceSpec;
import dev.lifeline.core.LifelineException;
import dev.lifeline.process.Accounts;
import dev.lifeline.process.ProcessOwner;
import dev.lifeline.process.Procfs;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What can be checked about a definition before anything is stopped for it: the working directory
 * exists, the account exists with a primary group, the program resolves, the environment fits in
 * what the kernel passes to a program, and the resource limits are within the daemon's hard limits
 * (only root may raise them). A change that fails here is refused and the running instance is left
 * alone.
 */
final class Preflight {
    /** The kernel's limit on one argument or environment string (MAX_ARG_STRLEN). */
    static final int MAX_STRING = 128 * 1024;

    private static final Map<String, String> LIMIT_ROWS =
            Map.of("nofile", "Max open files", "nproc", "Max processes", "core", "Max core file size");

    private Preflight() {}

    /** Fails with what is wrong and what to do when {@code spec} cannot start here. */
    static void check(ServiceSpec spec, Map<String, String> env) {
        String name = spec.name();
        if (!Files.isDirectory(spec.cwd())) {
            throw new LifelineException(
                    name + ": cannot start: working directory " + spec.cwd() + " does not exist",
                    "create it, or fix 'cwd' in the config");
        }
        long self = ProcessHandle.current().pid();
        boolean root = ProcessOwner.uid(self).orElse(-1) == 0;
        if (spec.user().isPresent()) {
            String u = spec.user().get();
            if (!Accounts.exists(u)) {
                throw new LifelineException(
                        name + ": cannot start: user '" + u + "' does not exist", "create the account, or fix 'user'");
            }
            if (Accounts.primaryGroup(u).isEmpty()) {
                throw new LifelineException(
                        name + ": cannot start: the primary group of user '" + u + "' is unknown",
                        "give the account a group in /etc/passwd, or fix 'user'");
            }
            if (!root && !u.equals(System.getProperty("user.name"))) {
                throw new LifelineException(
                        name + ": cannot start as user '" + u + "': only a daemon running as root can switch accounts",
                        "run the daemon as root (e.g. 'lifeline service install' as root), or remove 'user'");
            }
        }
        program(spec).ifPresent(prog -> {
            if (!resolves(prog, spec.cwd(), env)) {
                throw new LifelineException(
                        name + ": cannot start: program '" + prog + "' "
                                + (prog.contains("/") ? "does not exist or is not executable" : "is not on the PATH"),
                        "install it, or give its full path in 'command'");
            }
        });
        long total = 0;
        for (Map.Entry<String, String> e : env.entrySet()) {
            int len = (e.getKey() + "=" + e.getValue()).getBytes(StandardCharsets.UTF_8).length;
            if (len + 1 > MAX_STRING) {
                throw new LifelineException(
                        name + ": cannot start: environment variable " + e.getKey() + " is " + len
                                + " bytes; the kernel passes at most " + MAX_STRING + " per variable",
                        "shorten it, or pass the value in a file");
            }
            total += len + 1 + 8;
        }
        for (String a : spec.command()) {
            total += a.getBytes(StandardCharsets.UTF_8).length + 1 + 8;
        }
        long stack = Procfs.softLimit(self, "Max stack size");
        long argMax = stack > 0 && stack != Long.MAX_VALUE ? Math.max(stack / 4, 128 * 1024) : 2L << 20;
        if (total > argMax) {
            throw new LifelineException(
                    name + ": cannot start: its command and environment take " + total
                            + " bytes; the kernel passes at most " + argMax,
                    "shorten the environment");
        }
        if (!root) {
            Map<String, Long> limits =
                    new java.util.LinkedHashMap<>(spec.limits().rlimits());
            if (spec.limits().openFiles() > 0) {
                limits.put("nofile", spec.limits().openFiles());
            }
            for (Map.Entry<String, Long> l : limits.entrySet()) {
                String row = LIMIT_ROWS.get(l.getKey());
                long hard = row == null ? -1 : Procfs.hardLimit(self, row);
                if (hard >= 0 && l.getValue() > hard) {
                    throw new LifelineException(
                            name + ": cannot start: limit " + l.getKey() + "=" + l.getValue()
                                    + " is above the hard limit " + hard + " (only root may raise it)",
                            "lower it to at most " + hard + ", or raise the hard limit for the daemon's user");
                }
            }
        }
    }

    /** The program the command runs, when it can be told without a shell (a simple command). */
    static Optional<String> program(ServiceSpec spec) {
        List<String> argv = spec.command();
        String first;
        if (argv.size() == 3 && argv.get(0).equals("/bin/sh") && argv.get(1).equals("-c")) {
            if (!argv.get(2).startsWith("exec ")) {
                return Optional.empty(); // a script: its shell resolves what it runs
            }
            first = argv.get(2).substring(5).trim().split("\\s+", 2)[0];
        } else {
            first = argv.get(0);
        }
        if (first.isEmpty() || first.matches(".*[=$'\"\\\\`~*?\\[].*")) {
            return Optional.empty();
        }
        return Optional.of(first);
    }

    private static boolean resolves(String prog, Path cwd, Map<String, String> env) {
        if (prog.contains("/")) {
            return Files.isExecutable(cwd.resolve(prog));
        }
        String path = env.getOrDefault("PATH", System.getenv().getOrDefault("PATH", "/usr/bin:/bin"));
        for (String dir : path.split(":")) {
            Path p = cwd.resolve(dir.isEmpty() ? "." : dir).resolve(prog);
            if (Files.isExecutable(p) && !Files.isDirectory(p)) {
                return true;
            }
        }
        return false;
    }
}
