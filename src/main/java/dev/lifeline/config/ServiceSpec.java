package dev.lifeline.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * One supervised service, validated. Defaults (chosen for apps that load a model for minutes):
 * readiness timeout 10m; health off unless configured (then every 30s, 3 failures, 5s timeout);
 * restart always, backoff 1s..60s with the first restart after a stable run immediate, reset
 * after 60s of running, give up after 10 restarts in 10m; stop TERM, 10s before KILL; logs
 * rotated at 50M keeping 5 compressed generations.
 *
 * @param command the argv to execute; a string command becomes {@code /bin/sh -c 'exec …'}
 * @param commandText the command as the user wrote it, for messages
 */
public record ServiceSpec(
        String name,
        List<String> command,
        String commandText,
        Path cwd,
        Map<String, String> env,
        Optional<Integer> port,
        Ready ready,
        Optional<Health> health,
        Restart restart,
        Stop stop,
        Limits limits,
        Optional<String> user,
        Optional<Path> outputs,
        Logs logs) {

    public ServiceSpec {
        command = List.copyOf(command);
        env = java.util.Collections.unmodifiableMap(new java.util.TreeMap<>(env));
    }

    /**
     * How to tell the service is ready: an HTTP path answering below 500, a TCP port, or a log line.
     *
     * @param after with no check, how long the process must stay up to count as ready
     *     (supervisord's {@code startsecs}; default 1s)
     */
    public record Ready(Kind kind, String httpPath, Pattern logPattern, Duration timeout, Duration after) {
        public enum Kind {
            HTTP,
            TCP,
            LOG,
            /** No check: ready once it has stayed up for {@code after}. */
            NONE
        }
    }

    /** Liveness after ready: an HTTP path or a TCP connect, every {@code every}, failing after {@code failures}. */
    public record Health(String httpPath, Duration every, int failures, Duration timeout) {
        public boolean isHttp() {
            return httpPath != null;
        }
    }

    public record Restart(
            Policy policy,
            Duration backoffMin,
            Duration backoffMax,
            Duration resetAfter,
            int giveUpCount,
            Duration giveUpWindow) {
        public enum Policy {
            ALWAYS,
            ON_FAILURE,
            NEVER
        }
    }

    public record Stop(String signal, Duration timeout) {}

    /** Resource limits; zero or empty means not set. */
    public record Limits(long memoryBytes, long openFiles, long restartAboveMemoryBytes, Map<String, Long> rlimits) {
        public Limits {
            rlimits = Map.copyOf(rlimits);
        }

        public static Limits none() {
            return new Limits(0, 0, 0, Map.of());
        }
    }

    public record Logs(long maxBytes, int keep) {}

    static final Set<String> KEYS = Set.of(
            "command", "cwd", "env", "port", "ready", "health", "restart", "stop", "limits", "user", "outputs", "logs");
    /** Shell keywords and special built-ins that cannot follow {@code exec}. */
    static final Set<String> SHELL_WORDS = Set.of(
            "exec", "exit", "cd", "export", "ulimit", "umask", "source", ".", "set", "unset", "trap", "eval", "if",
            "for", "while", "until", "case", "read", "wait", "shift", "return", "{", "!");

    /** The smallest rotation size: below it a log rotates on almost every line. */
    static final long MIN_LOG_SIZE = 1024;

    /**
     * Names a service cannot take: {@code daemon} would share {@code logs/daemon.log} with the
     * daemon's own log (each would rotate and truncate the other's lines).
     */
    static final Set<String> RESERVED_NAMES = Set.of("daemon");

    static final Set<String> SIGNALS = Set.of("term", "int", "hup", "quit", "kill", "usr1", "usr2");

    static ServiceSpec parse(String name, ConfigNode n, Path baseDir) {
        if (!name.matches("[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")) {
            throw n.error(
                    "service name '" + name + "' is not usable",
                    "use letters, digits, '-', '_' or '.', starting with a letter or digit (it names files)");
        }
        if (RESERVED_NAMES.contains(name)) {
            throw n.error(
                    "the service name '" + name + "' is reserved: logs/" + name
                            + ".log is the daemon's own log, and the two would write over each other",
                    "rename the service, e.g. '" + name + "-app'");
        }
        if (!n.isMap()) {
            throw n.error("expected the service's settings (command, port, ready…)", "see README.md for an example");
        }
        n.allowOnly(KEYS);

        ConfigNode cmd = n.get("command").required();
        List<String> argv;
        String text;
        if (cmd.isList()) {
            argv = cmd.asStringList();
            if (argv.isEmpty()) {
                throw cmd.error("is an empty list", "give the program and its arguments");
            }
            text = String.join(" ", argv);
        } else {
            text = cmd.asString().trim();
            if (text.isEmpty()) {
                throw cmd.error(
                        "is empty", "give the command that starts the app, e.g. python app.py --server-port 7860");
            }
            // A simple command is exec'd, so the pid Lifeline holds is the app's own; a script
            // (pipes, lists, subshells) keeps its shell as the main process.
            String first = text.split("\\s+", 2)[0];
            boolean simple = !text.matches("(?s).*[;&|()<>`\\n].*|.*\\$\\(.*") && !SHELL_WORDS.contains(first);
            argv = List.of("/bin/sh", "-c", simple ? "exec " + text : text);
        }

        Path cwd = n.has("cwd")
                ? baseDir.resolve(expandHome(n.get("cwd").asString())).normalize()
                : baseDir;

        Map<String, String> env = new LinkedHashMap<>();
        for (Map.Entry<String, ConfigNode> e : n.get("env").asMap().entrySet()) {
            if (!e.getKey().matches("[A-Za-z_][A-Za-z0-9_]*")) {
                throw e.getValue().error("'" + e.getKey() + "' is not a valid environment variable name");
            }
            env.put(e.getKey(), e.getValue().isPresent() ? e.getValue().asString() : "");
        }

        Optional<Integer> port = n.has("port") ? Optional.of(n.get("port").asInt(1, 65535, 0)) : Optional.empty();

        Ready ready = parseReady(n.get("ready"), port);
        Optional<Health> health = parseHealth(n.get("health"), port);
        Restart restart = parseRestart(n.get("restart"));

        ConfigNode s = n.get("stop").allowOnly(Set.of("signal", "timeout"));
        String sig = s.get("signal").asString("TERM").toLowerCase().replaceFirst("^sig", "");
        if (!SIGNALS.contains(sig)) {
            String near = Suggest.nearest(sig, SIGNALS);
            throw s.get("signal")
                    .error(
                            "'" + sig + "' is not a signal Lifeline sends"
                                    + (near == null ? "" : " (did you mean '" + near.toUpperCase() + "'?)"),
                            "use one of TERM, INT, HUP, QUIT, USR1, USR2, KILL");
        }
        Stop stop = new Stop(sig.toUpperCase(), s.get("timeout").asDuration(Duration.ofSeconds(10)));

        Limits limits = parseLimits(n.get("limits"));
        Optional<String> user = n.has("user") ? Optional.of(n.get("user").asString()) : Optional.empty();
        Optional<Path> outputs = n.has("outputs")
                ? Optional.of(
                        cwd.resolve(expandHome(n.get("outputs").asString())).normalize())
                : Optional.empty();
        ConfigNode l = n.get("logs").allowOnly(Set.of("max-size", "keep"));
        long maxLog = l.get("max-size").asSize(50L << 20);
        if (maxLog < MIN_LOG_SIZE) {
            throw l.get("max-size")
                    .error(
                            "'" + l.get("max-size").asString().trim() + "' is too small: the log would rotate on"
                                    + " almost every line",
                            "use at least 1K; the default is 50M");
        }
        Logs logs = new Logs(maxLog, l.get("keep").asInt(0, 100, 5));

        return new ServiceSpec(
                name, argv, text, cwd, env, port, ready, health, restart, stop, limits, user, outputs, logs);
    }

    private static Ready parseReady(ConfigNode r, Optional<Integer> port) {
        Duration timeout = Duration.ofMinutes(10);
        Duration after = Duration.ofSeconds(1);
        if (!r.isPresent()) {
            // A port with no explicit check: ready when it accepts connections.
            return new Ready(port.isPresent() ? Ready.Kind.TCP : Ready.Kind.NONE, null, null, timeout, after);
        }
        r.allowOnly(Set.of("http", "tcp", "log", "timeout", "after"));
        timeout = r.get("timeout").asDuration(timeout);
        after = r.get("after").asDuration(after);
        int kinds = (r.has("http") ? 1 : 0) + (r.has("tcp") ? 1 : 0) + (r.has("log") ? 1 : 0);
        if (kinds > 1) {
            throw r.error("give one of http, tcp or log, not several");
        }
        if (r.has("after") && kinds > 0 && !(r.has("tcp") && !r.get("tcp").asBoolean(true))) {
            throw r.get("after")
                    .error(
                            "applies only to a service with no readiness check",
                            "remove 'after', or remove the http/tcp/log check");
        }
        if (r.has("http")) {
            requirePort(r.get("http"), port);
            return new Ready(Ready.Kind.HTTP, httpPath(r.get("http")), null, timeout, after);
        }
        if (r.has("log")) {
            return new Ready(Ready.Kind.LOG, null, r.get("log").asRegex(), timeout, after);
        }
        if (r.has("tcp") && !r.get("tcp").asBoolean(true)) {
            return new Ready(Ready.Kind.NONE, null, null, timeout, after);
        }
        if (port.isEmpty()) {
            if (r.has("tcp")) {
                requirePort(r.get("tcp"), port);
            }
            return new Ready(Ready.Kind.NONE, null, null, timeout, after);
        }
        return new Ready(Ready.Kind.TCP, null, null, timeout, after);
    }

    private static Optional<Health> parseHealth(ConfigNode h, Optional<Integer> port) {
        if (!h.isPresent()) {
            return Optional.empty();
        }
        h.allowOnly(Set.of("http", "tcp", "every", "failures", "timeout"));
        String path = null;
        if (h.has("http")) {
            requirePort(h.get("http"), port);
            path = httpPath(h.get("http"));
        } else {
            requirePort(h, port);
        }
        Duration every = h.get("every").asDuration(Duration.ofSeconds(30));
        if (every.toMillis() < 100) {
            throw h.get("every").error("is shorter than 100ms", "check at most ten times a second");
        }
        return Optional.of(new Health(
                path,
                every,
                h.get("failures").asInt(1, 1000, 3),
                h.get("timeout").asDuration(Duration.ofSeconds(5))));
    }

    private static Restart parseRestart(ConfigNode r) {
        r.allowOnly(Set.of("policy", "backoff", "give-up", "reset-after"));
        String policy = r.get("policy")
                .asChoice(new java.util.LinkedHashSet<>(List.of("always", "on-failure", "never")), "always");
        Duration min = Duration.ofSeconds(1);
        Duration max = Duration.ofSeconds(60);
        ConfigNode b = r.get("backoff");
        if (b.isPresent()) {
            String[] parts = b.asString().split("\\.\\.", -1);
            if (parts.length != 2) {
                throw b.error("'" + b.asString() + "' is not a backoff range", "write MIN..MAX, e.g. 1s..60s");
            }
            min = b.parseDuration(parts[0]);
            max = b.parseDuration(parts[1]);
            if (max.compareTo(min) < 0) {
                throw b.error("the maximum is below the minimum", "write MIN..MAX, e.g. 1s..60s");
            }
        }
        int count = 10;
        Duration window = Duration.ofMinutes(10);
        ConfigNode g = r.get("give-up");
        if (g.isPresent()) {
            String[] parts = g.asString().trim().split("\\s+in\\s+");
            try {
                if (parts.length != 2) {
                    throw new NumberFormatException();
                }
                count = Integer.parseInt(parts[0].trim());
                if (count < 1) {
                    throw new NumberFormatException();
                }
            } catch (NumberFormatException e) {
                throw g.error("'" + g.asString() + "' is not a limit", "write COUNT in DURATION, e.g. 10 in 10m");
            }
            window = g.parseDuration(parts[1]);
        }
        return new Restart(
                Restart.Policy.valueOf(policy.toUpperCase().replace('-', '_')),
                min,
                max,
                r.get("reset-after").asDuration(Duration.ofSeconds(60)),
                count,
                window);
    }

    private static Limits parseLimits(ConfigNode l) {
        l.allowOnly(Set.of("memory", "open-files", "restart-above-memory", "processes", "core"));
        Map<String, Long> rlimits = new LinkedHashMap<>();
        if (l.has("processes")) {
            rlimits.put("nproc", (long) l.get("processes").asInt(1, Integer.MAX_VALUE, 0));
        }
        if (l.has("core")) {
            rlimits.put("core", l.get("core").asSize(0));
        }
        return new Limits(
                l.get("memory").asSize(0),
                l.get("open-files").asInt(1, 1 << 24, 0),
                l.get("restart-above-memory").asSize(0),
                rlimits);
    }

    private static String httpPath(ConfigNode n) {
        String p = n.asString().trim();
        if (!p.startsWith("/")) {
            throw n.error(
                    "'" + p + "' is not a URL path",
                    "write a path on the service's own port, starting with /, e.g. / or /healthz");
        }
        return p;
    }

    private static void requirePort(ConfigNode n, Optional<Integer> port) {
        if (port.isEmpty()) {
            throw n.error("needs the service's port", "add 'port: 7860' (the port the app listens on) to the service");
        }
    }

    static String expandHome(String p) {
        if (p.equals("~") || p.startsWith("~/")) {
            return dev.lifeline.core.Home.userHome(System.getenv()) + p.substring(1); // as the shell does
        }
        return p;
    }
}
