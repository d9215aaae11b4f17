package dev.lifeline.tunnel;

import dev.lifeline.config.TunnelSpec;
import dev.lifeline.core.LifelineException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads what ssh wrote on stderr when it exited and says what went wrong. The patterns are
 * OpenSSH's own messages (checked against 8.x–9.x); anything unrecognised is a transient failure
 * quoted verbatim, so an unknown message never stops a tunnel for good. {@link #withFacts} then
 * adds what ssh's words leave out and a person needs: the fingerprint on offer, the process that
 * holds a port, the key that needs an agent.
 */
final class SshDiagnosis {
    private static final Pattern FINGERPRINT = Pattern.compile("(SHA256:[A-Za-z0-9+/=]+)");
    private static final Pattern OFFENDING = Pattern.compile("Offending \\S+ key in (\\S+):(\\d+)");
    private static final Pattern BIND = Pattern.compile("bind \\[?([^\\]\\s]*)\\]?:(\\d+): Address already in use");
    private static final Pattern LISTEN = Pattern.compile("cannot listen to port: (\\d+)");
    private static final Pattern CONNECT = Pattern.compile("connect to host (\\S+) port (\\d+): (.+)");

    private static final Pattern NOT_A_REASON =
            Pattern.compile("channel \\d+: open failed: .*|Connection to \\S+ closed\\.");

    private SshDiagnosis() {}

    /**
     * @param name the tunnel, for hints such as {@code lifeline tunnel trust NAME}
     * @param stderr what ssh wrote during this attempt
     * @param exitCode ssh's exit status
     */
    static Problem diagnose(String name, String stderr, int exitCode) {
        return diagnose(name, "lifeline tunnel trust " + name, stderr, exitCode);
    }

    /** @param trust the command that records the host key for this tunnel */
    static Problem diagnose(String name, String trust, String stderr, int exitCode) {
        String s = stderr.replace("\r", "");
        if (s.contains("REMOTE HOST IDENTIFICATION HAS CHANGED") || s.contains("POSSIBLE DNS SPOOFING")) {
            Matcher fp = FINGERPRINT.matcher(s);
            Matcher off = OFFENDING.matcher(s);
            String where = off.find() ? off.group(1) + " line " + off.group(2) : "known_hosts";
            return Problem.permanent(
                    Problem.Kind.HOST_KEY_CHANGED,
                    "REFUSED: the server's host key has CHANGED (now "
                            + (fp.find() ? fp.group(1) : "unknown fingerprint") + ", recorded in " + where
                            + "); this can be a man-in-the-middle attack",
                    "ask the server's owner whether the key was changed; only then remove the old line (" + where
                            + ") and run '" + trust + "'");
        }
        if (s.contains("host key is known for") || s.contains("Host key verification failed")) {
            return Problem.permanent(
                    Problem.Kind.HOST_KEY_UNKNOWN,
                    "the server's host key is not in known_hosts, so it cannot be verified",
                    "check the fingerprint with the server's owner, then run '" + trust + "'");
        }
        if (s.contains("Permission denied") || s.contains("Too many authentication failures")) {
            String line = firstLine(s, "Permission denied", "Too many authentication failures");
            return Problem.permanent(
                    Problem.Kind.AUTH,
                    "the server refused the login: " + line,
                    "check the user and key (-l/-i, or User/IdentityFile in ~/.ssh/config); a key with a"
                            + " passphrase must be loaded into the agent first: ssh-add KEYFILE");
        }
        Matcher bind = BIND.matcher(s);
        Matcher listen = LISTEN.matcher(s);
        if (bind.find()) {
            return Problem.permanent(
                    Problem.Kind.PORT_TAKEN, "local port " + bind.group(2) + " is already in use", portHint());
        }
        if (listen.find() || s.contains("Could not request local forwarding")) {
            return Problem.permanent(
                    Problem.Kind.PORT_TAKEN,
                    "ssh could not listen on a local port" + (listen.find(0) ? " (" + listen.group(1) + ")" : ""),
                    portHint());
        }
        if (s.contains("Bad configuration option")
                || s.contains("Bad local forwarding specification")
                || s.contains("command-line line")
                || s.contains("usage: ssh")
                || s.contains("no argument after keyword")) {
            return Problem.permanent(
                    Problem.Kind.BAD_ARGUMENTS,
                    "ssh rejected its arguments: " + lastLine(s),
                    "fix the 'ssh' arguments of tunnel '" + name + "'");
        }
        if (s.contains("Timeout, server") && s.contains("not responding")) {
            return Problem.transient_(
                    Problem.Kind.DEAD_LINK, "the server stopped answering keepalives (the link went dead)");
        }
        Matcher c = CONNECT.matcher(s);
        if (c.find()) {
            return Problem.transient_(
                    Problem.Kind.UNREACHABLE,
                    "cannot reach " + c.group(1) + " port " + c.group(2) + ": "
                            + c.group(3).strip());
        }
        if (s.contains("Could not resolve hostname")) {
            return Problem.transient_(
                    Problem.Kind.UNREACHABLE, "cannot resolve the host name (" + lastLine(s) + "); is the network up?");
        }
        if (s.contains("banner exchange") || s.contains("kex_exchange_identification")) {
            return Problem.transient_(
                    Problem.Kind.UNREACHABLE, "the server did not complete the SSH handshake: " + lastLine(s));
        }
        String last = lastLine(s);
        return Problem.transient_(
                Problem.Kind.CLOSED, "ssh exited with status " + exitCode + (last.isEmpty() ? "" : ": " + last));
    }

    /**
     * {@code p} completed with facts looked up on this machine (and, for an unknown host key, by
     * {@code ssh-keyscan} with a 5 s timeout): an unknown host key with its fingerprint and the
     * command that trusts it; a taken port with the process that holds it (a clash on none of the
     * forwards' ports was on the link check's own, and is retried); a refused login with the key
     * that needs its passphrase when no agent runs.
     *
     * @param sshProgram the ssh client, whose {@code ssh-keyscan} is used
     * @param target where ssh connects ({@code ssh -G})
     */
    static Problem withFacts(Problem p, String sshProgram, SshTarget target, TunnelSpec spec) {
        switch (p.kind()) {
            case HOST_KEY_UNKNOWN -> {
                String fps;
                try {
                    HostKeys.Scanned s = HostKeys.scan(sshProgram, target, Duration.ofSeconds(5));
                    fps = s.keys().isEmpty() ? "the server offered no key to ssh-keyscan" : s.describe();
                } catch (LifelineException e) {
                    fps = "fingerprint unavailable: " + e.getMessage();
                }
                return Problem.permanent(
                        p.kind(),
                        "host key of " + target.knownHostsName() + " is not known (" + fps + ")",
                        "if the server's owner confirms that fingerprint, run '" + spec.trustCommand()
                                + "' (or: ssh-keyscan -p " + target.port() + " " + target.hostname() + " >> "
                                + target.knownHostsFiles().get(0) + ")");
            }
            case PORT_TAKEN -> {
                Optional<TunnelSpec.Forward> taken = LocalPorts.firstTaken(spec.forwards());
                if (taken.isPresent()) {
                    return LocalPorts.taken(taken.get().localPort());
                }
                // every forward's port is free: the clash was on the link check's own port, taken in between
                return Problem.transient_(
                        Problem.Kind.CLOSED, p.message() + " (Lifeline's probe port; picking another)");
            }
            case AUTH -> {
                for (Path k : target.identityFiles()) {
                    if (Files.isReadable(k) && isEncryptedKey(k) && System.getenv("SSH_AUTH_SOCK") == null) {
                        return Problem.permanent(
                                p.kind(),
                                "the key " + k
                                        + " needs its passphrase and no ssh-agent holds it (Lifeline never types passphrases)",
                                "load it once: eval $(ssh-agent) && ssh-add " + k
                                        + "; then start the tunnel from that shell");
                    }
                }
                return p;
            }
            default -> {
                return p;
            }
        }
    }

    private static String portHint() {
        return "stop the program holding it, or forward to another local port";
    }

    /** True when a private key file is protected by a passphrase (OpenSSH or PEM format). */
    static boolean isEncryptedKey(Path key) {
        try {
            String text = Files.readString(key, StandardCharsets.US_ASCII);
            if (text.contains("ENCRYPTED")) {
                return true;
            }
            if (text.contains("BEGIN OPENSSH PRIVATE KEY")) {
                String b64 = text.replaceAll("-----[A-Z ]+-----", "").replaceAll("\\s", "");
                byte[] raw = java.util.Base64.getDecoder().decode(b64);
                // "openssh-key-v1\0" then a length-prefixed cipher name: "none" when unencrypted
                int off = 15;
                int len = ((raw[off] & 0xff) << 24)
                        | ((raw[off + 1] & 0xff) << 16)
                        | ((raw[off + 2] & 0xff) << 8)
                        | (raw[off + 3] & 0xff);
                return !new String(raw, off + 4, len, StandardCharsets.US_ASCII).equals("none");
            }
        } catch (IOException | RuntimeException e) {
            return false;
        }
        return false;
    }

    /**
     * The last line that can explain an exit. Not the notes ssh writes about single channels
     * (a probe, or a user's request, to a remote port where nothing listens: "channel 3: open
     * failed: connect failed: Connection refused") nor the "Connection to … closed." of a session.
     */
    static String lastLine(String s) {
        List<String> lines = s.lines()
                .map(String::strip)
                .filter(l -> !l.isEmpty())
                .filter(l -> !NOT_A_REASON.matcher(l).matches())
                .toList();
        return lines.isEmpty() ? "" : lines.get(lines.size() - 1);
    }

    private static String firstLine(String s, String... needles) {
        for (String l : s.lines().toList()) {
            for (String n : needles) {
                if (l.contains(n)) {
                    return l.strip();
                }
            }
        }
        return lastLine(s);
    }
}
