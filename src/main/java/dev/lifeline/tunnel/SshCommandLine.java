package dev.lifeline.tunnel;

import dev.lifeline.config.TunnelSpec;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The one place that writes an {@code ssh} command line for a tunnel. Lifeline's own options come
 * first because ssh keeps the first value it sees for an option: a user's {@code ~/.ssh/config}
 * cannot turn host-key checking off or switch batch mode off behind Lifeline's back.
 */
final class SshCommandLine {
    private static final Pattern SAFE = Pattern.compile("[A-Za-z0-9_@%+=:,./~\\-\\[\\]]+");

    private SshCommandLine() {}

    /** ssh's keepalive in {@link Session#PLAIN}, where it is the link check: dead after about 4 s. */
    static final int PLAIN_ALIVE_INTERVAL = 1;

    static final int PLAIN_ALIVE_COUNT = 3;

    /** @param session with Lifeline's interactive session (see {@link Session}) or plain {@code -N} */
    static List<String> argv(String program, TunnelSpec spec, Session session) {
        List<String> a = new ArrayList<>();
        a.add(program);
        if (session == Session.PTY) {
            a.add("-tt"); // stdin is a pipe: force the pty
            a.add("-e");
            a.add("none"); // the session carries probe bytes, never escapes
        } else {
            a.add("-N");
        }
        boolean keepaliveProbes = session == Session.PLAIN && spec.probe().kind() != TunnelSpec.Probe.Kind.OFF;
        opt(a, "BatchMode", "yes");
        opt(a, "StrictHostKeyChecking", "yes");
        opt(a, "ExitOnForwardFailure", "yes");
        opt(
                a,
                "ServerAliveInterval",
                Long.toString(
                        keepaliveProbes
                                ? PLAIN_ALIVE_INTERVAL
                                : Math.max(1, spec.keepalive().interval().toSeconds())));
        opt(
                a,
                "ServerAliveCountMax",
                Integer.toString(
                        keepaliveProbes ? PLAIN_ALIVE_COUNT : spec.keepalive().count()));
        // A shared master connection would carry the forwards in another process, out of Lifeline's sight.
        opt(a, "ControlMaster", "no");
        opt(a, "ControlPath", "none");
        if (!spec.ssh().options().keySet().stream().anyMatch(k -> k.equalsIgnoreCase("ConnectTimeout"))) {
            opt(a, "ConnectTimeout", "10");
        }
        a.addAll(spec.ssh().passThrough());
        for (TunnelSpec.Forward f : spec.forwards()) {
            a.add("-L");
            a.add(f.toString());
        }
        a.add(spec.ssh().destination());
        if (session == Session.PTY) {
            a.add(Session.REMOTE_COMMAND);
        }
        return List.copyOf(a);
    }

    /** {@code ssh -G}: what OpenSSH resolves the destination to (host, port, user, known_hosts). */
    static List<String> resolveArgv(String program, TunnelSpec spec) {
        List<String> a = new ArrayList<>();
        a.add(program);
        a.add("-G");
        a.addAll(spec.ssh().passThrough());
        a.add(spec.ssh().destination());
        return a;
    }

    /** The command as a person could paste it into a POSIX shell. */
    static String display(List<String> argv) {
        StringBuilder b = new StringBuilder();
        for (String s : argv) {
            if (b.length() > 0) {
                b.append(' ');
            }
            b.append(SAFE.matcher(s).matches() ? s : "'" + s.replace("'", "'\\''") + "'");
        }
        return b.toString();
    }

    private static void opt(List<String> a, String key, String value) {
        a.add("-o");
        a.add(key + "=" + value);
    }
}
