package dev.lifeline.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * One tunnel: {@code tunnels.<name>} in the config, or a pasted {@code ssh} command.
 *
 * <pre>
 * tunnels:
 *   gpu-box:
 *     ssh: "-p 31099 -i ~/.ssh/id_ed25519 root@gpu-host"   # ssh's own arguments, without 'ssh'
 *     forward: ["7860:127.0.0.1:7860"]                     # and/or -L in 'ssh'
 *     probe: { http: /, interval: 2s, timeout: 2s, failures: 2 }   # or { tcp: true }, or off
 *     keepalive: { interval: 3s, count: 2 }                # ssh's ServerAliveInterval/CountMax
 * </pre>
 *
 * <p>Defaults: a link check every 1 s with a 2 s timeout, dead after 2 silent checks in a row (a
 * black hole is noticed in 4–5 s; a link busy moving data is not declared dead); each remote end
 * is probed over TCP every 5 checks (every check while one does not answer); keepalive 3 s × 2 as
 * ssh's own backstop.
 *
 * @param forwards every forward, from {@code -L} in {@code ssh} and from {@code forward:}, without duplicates
 * @param pasted the command line as pasted (for messages such as how to trust the host), or null
 *     for a tunnel from the config
 */
public record TunnelSpec(
        String name, SshArgs ssh, List<Forward> forwards, Probe probe, Keepalive keepalive, String pasted) {

    public static final Probe DEFAULT_PROBE =
            new Probe(Probe.Kind.TCP, null, Duration.ofSeconds(1), Duration.ofSeconds(2), 2);
    public static final Keepalive DEFAULT_KEEPALIVE = new Keepalive(Duration.ofSeconds(3), 2);

    public TunnelSpec {
        forwards = List.copyOf(forwards);
        if (forwards.isEmpty()) {
            throw new IllegalArgumentException("a tunnel needs at least one forward");
        }
    }

    /** A tunnel from the config. */
    public TunnelSpec(String name, SshArgs ssh, List<Forward> forwards, Probe probe, Keepalive keepalive) {
        this(name, ssh, forwards, probe, keepalive, null);
    }

    /** The command that records this tunnel's host key: {@code lifeline tunnel trust NAME} or the pasted form. */
    public String trustCommand() {
        return pasted == null ? "lifeline tunnel trust " + name : "lifeline tunnel trust -- " + pasted;
    }

    /**
     * A local forward {@code [bind:]LPORT:HOST:RPORT}; the bind address defaults to 127.0.0.1 (as
     * OpenSSH's does without GatewayPorts), so the forward is never exposed to the network by accident.
     */
    public record Forward(String bind, int localPort, String host, int remotePort) {
        public static Forward parse(String text) {
            List<String> parts = splitColons(text.trim());
            String bind = "127.0.0.1";
            if (parts.size() == 4) {
                String b = parts.remove(0);
                bind = b.isEmpty() || b.equals("*") ? "0.0.0.0" : b;
            }
            if (parts.size() != 3 || parts.get(1).isEmpty()) {
                throw new SshArgs.Invalid(
                        "'" + text + "' is not a forward",
                        "write LOCALPORT:HOST:REMOTEPORT or BIND:LOCALPORT:HOST:REMOTEPORT, e.g. 7860:127.0.0.1:7860");
            }
            int lport = SshArgs.port(parts.get(0), "local port in '" + text + "'");
            int rport = SshArgs.port(parts.get(2), "remote port in '" + text + "'");
            return new Forward(bind, lport, parts.get(1), rport);
        }

        /** The remote end as a person reads it: {@code 127.0.0.1:7860}. */
        public String remote() {
            return (host.contains(":") ? "[" + host + "]" : host) + ":" + remotePort;
        }

        /** The local end: {@code 127.0.0.1:7860}. */
        public String local() {
            return (bind.contains(":") ? "[" + bind + "]" : bind) + ":" + localPort;
        }

        /** As ssh's {@code -L} takes it. */
        @Override
        public String toString() {
            return local() + ":" + remote();
        }

        private static List<String> splitColons(String s) {
            List<String> out = new ArrayList<>();
            StringBuilder cur = new StringBuilder();
            boolean bracket = false;
            for (char c : s.toCharArray()) {
                if (c == '[') {
                    bracket = true;
                } else if (c == ']') {
                    bracket = false;
                } else if (c == ':' && !bracket) {
                    out.add(cur.toString());
                    cur.setLength(0);
                } else {
                    cur.append(c);
                }
            }
            out.add(cur.toString());
            return out;
        }
    }

    /**
     * Lifeline's own checks. Every {@code interval} a round trip through the link (a channel that
     * never opens within {@code timeout} is a failure; {@code failures} in a row is a dead link).
     * Every fifth interval, each remote end: TCP, it accepts a connection; HTTP, it answers a
     * request for {@code httpPath} with any status.
     */
    public record Probe(Kind kind, String httpPath, Duration interval, Duration timeout, int failures) {
        public enum Kind {
            TCP,
            HTTP,
            /** Only ssh's keepalives watch the link. */
            OFF
        }
    }

    /** ssh's {@code ServerAliveInterval} (whole seconds) and {@code ServerAliveCountMax}. */
    public record Keepalive(Duration interval, int count) {}

    /** A tunnel from a pasted command line ({@code ssh -L … host}); the name defaults to the host. */
    public static TunnelSpec fromCommand(String name, List<String> args) {
        SshArgs a = SshArgs.parse(args);
        if (a.forwards().isEmpty()) {
            throw new SshArgs.Invalid("the command has no -L forward", "add e.g. -L 7860:127.0.0.1:7860");
        }
        List<String> shown = new ArrayList<>();
        for (String arg : args) {
            shown.add(arg.matches("[A-Za-z0-9_@%+=:,./~\\-\\[\\]]+") ? arg : "'" + arg.replace("'", "'\\''") + "'");
        }
        String text = String.join(" ", shown);
        return new TunnelSpec(
                name == null ? a.host() : name,
                a,
                a.forwards(),
                DEFAULT_PROBE,
                keepaliveFrom(a, DEFAULT_KEEPALIVE),
                text.startsWith("ssh ") ? text : "ssh " + text);
    }

    /** The tunnel called {@code name} in {@code config}, or an error listing the configured ones. */
    public static TunnelSpec named(LifelineConfig config, String name) {
        TunnelSpec t = config.tunnels().get(name);
        if (t == null) {
            String near = Suggest.nearest(name, config.tunnels().keySet());
            throw new ConfigException(
                    "no tunnel '" + name + "' in " + config.file()
                            + (near == null ? "" : " (did you mean '" + near + "'?)"),
                    config.tunnels().isEmpty()
                            ? "add it under 'tunnels:', e.g. gpu-box: { ssh: \"-p 31099 root@gpu-host\", forward: [\"7860:127.0.0.1:7860\"] }"
                            : "configured tunnels: "
                                    + String.join(", ", config.tunnels().keySet()));
        }
        return t;
    }

    static final Set<String> KEYS = Set.of("ssh", "forward", "probe", "keepalive", "dashboard");

    static TunnelSpec parse(String name, ConfigNode n, Path base) {
        if (!name.matches("[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")) {
            throw n.error(
                    "tunnel name '" + name + "' is not usable",
                    "use letters, digits, '-', '_' or '.', starting with a letter or digit");
        }
        if (!n.isMap()) {
            throw n.error(
                    "expected the tunnel's settings (ssh, forward…)",
                    "e.g. { ssh: \"root@gpu-host -p 31099\", forward: [\"7860:127.0.0.1:7860\"] }");
        }
        n.allowOnly(KEYS);
        ConfigNode sshNode = n.get("ssh").required();
        SshArgs ssh;
        try {
            ssh = SshArgs.parse(sshNode.isList() ? sshNode.asStringList() : SshArgs.split(sshNode.asString()));
        } catch (SshArgs.Invalid e) {
            throw sshNode.error(e.getMessage(), e.hint());
        }
        LinkedHashSet<Forward> forwards = new LinkedHashSet<>(ssh.forwards());
        for (ConfigNode f : n.get("forward").asList()) {
            try {
                forwards.add(Forward.parse(f.asString()));
            } catch (SshArgs.Invalid e) {
                throw f.error(e.getMessage(), e.hint());
            }
        }
        dashboardForward(n.get("dashboard")).ifPresent(forwards::add);
        if (forwards.isEmpty()) {
            throw n.error(
                    "has no forward",
                    "add forward: [\"7860:127.0.0.1:7860\"] (LOCALPORT:HOST:REMOTEPORT), or -L in 'ssh'");
        }
        Set<Integer> seen = new java.util.HashSet<>();
        for (Forward f : forwards) {
            if (!seen.add(f.localPort())) {
                throw n.get("forward")
                        .error(
                                "local port " + f.localPort() + " is forwarded twice",
                                "give each forward its own local port");
            }
        }
        Probe probe = parseProbe(n.get("probe"));
        Keepalive keepalive = parseKeepalive(n.get("keepalive"), keepaliveFrom(ssh, DEFAULT_KEEPALIVE));
        return new TunnelSpec(name, ssh, new ArrayList<>(forwards), probe, keepalive);
    }

    /** The server's default dashboard address, forwarded to the same port on the laptop. */
    public static final Forward DASHBOARD = new Forward("127.0.0.1", 8370, "127.0.0.1", 8370);

    /**
     * {@code dashboard: true} forwards the server's dashboard (127.0.0.1:8370 there) to
     * 127.0.0.1:8370 here; a forward such as {@code "18370:127.0.0.1:8370"} chooses the ports.
     */
    private static java.util.Optional<Forward> dashboardForward(ConfigNode d) {
        if (!d.isPresent()) {
            return java.util.Optional.empty();
        }
        String v = d.asString().trim();
        if (v.matches("(?i)true|yes|on")) {
            return java.util.Optional.of(DASHBOARD);
        }
        if (v.matches("(?i)false|no|off")) {
            return java.util.Optional.empty();
        }
        try {
            return java.util.Optional.of(Forward.parse(v));
        } catch (SshArgs.Invalid e) {
            throw d.error(
                    e.getMessage(),
                    "write dashboard: true (127.0.0.1:8370 on both ends) or a forward such as \"18370:127.0.0.1:8370\"");
        }
    }

    private static Probe parseProbe(ConfigNode p) {
        if (!p.isPresent()) {
            return DEFAULT_PROBE;
        }
        if (p.isScalar()) {
            if (!p.asBoolean(true)) {
                return new Probe(Probe.Kind.OFF, null, DEFAULT_PROBE.interval(), DEFAULT_PROBE.timeout(), 1);
            }
            return DEFAULT_PROBE;
        }
        p.allowOnly(Set.of("http", "tcp", "interval", "timeout", "failures"));
        if (p.has("http") && p.has("tcp")) {
            throw p.error("give http or tcp, not both");
        }
        Probe.Kind kind = Probe.Kind.TCP;
        String path = null;
        if (p.has("http")) {
            path = p.get("http").asString().trim();
            if (!path.startsWith("/")) {
                throw p.get("http")
                        .error("'" + path + "' is not a URL path", "write a path starting with /, e.g. / or /healthz");
            }
            kind = Probe.Kind.HTTP;
        } else if (p.has("tcp") && !p.get("tcp").asBoolean(true)) {
            kind = Probe.Kind.OFF;
        }
        Duration interval = p.get("interval").asDuration(DEFAULT_PROBE.interval());
        if (interval.toMillis() < 200) {
            throw p.get("interval").error("is shorter than 200ms", "probe at most five times a second");
        }
        Duration timeout = p.get("timeout").asDuration(DEFAULT_PROBE.timeout());
        if (timeout.toMillis() < 100) {
            throw p.get("timeout").error("is shorter than 100ms", "give the link at least 100ms to answer");
        }
        return new Probe(kind, path, interval, timeout, p.get("failures").asInt(1, 100, DEFAULT_PROBE.failures()));
    }

    private static Keepalive parseKeepalive(ConfigNode k, Keepalive fallback) {
        if (!k.isPresent()) {
            return fallback;
        }
        k.allowOnly(Set.of("interval", "count"));
        Duration interval = k.get("interval").asDuration(fallback.interval());
        if (interval.toMillis() % 1000 != 0 || interval.isZero()) {
            throw k.get("interval")
                    .error("must be whole seconds, at least 1s", "ssh counts ServerAliveInterval in seconds, e.g. 3s");
        }
        return new Keepalive(interval, k.get("count").asInt(1, 100, fallback.count()));
    }

    private static Keepalive keepaliveFrom(SshArgs a, Keepalive fallback) {
        Duration interval = fallback.interval();
        int count = fallback.count();
        try {
            String i = a.keepalive().get("serveraliveinterval");
            if (i != null) {
                interval = Duration.ofSeconds(Math.max(1, Integer.parseInt(i.trim())));
            }
            String c = a.keepalive().get("serveralivecountmax");
            if (c != null) {
                count = Math.max(1, Integer.parseInt(c.trim()));
            }
        } catch (NumberFormatException e) {
            throw new SshArgs.Invalid(
                    "ServerAliveInterval/ServerAliveCountMax must be whole numbers", "e.g. -o ServerAliveInterval=3");
        }
        return new Keepalive(interval, count);
    }
}
