package dev.lifeline.config;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The arguments of an {@code ssh} command as a user would type them, parsed into what a tunnel
 * needs: the destination, the {@code -L} forwards, and everything else passed on to OpenSSH
 * unchanged (so {@code ~/.ssh/config} aliases, keys, agents and jump hosts work as in a terminal).
 *
 * <p>Accepted: {@code -L [bind:]LPORT:HOST:RPORT}, {@code -p PORT}, {@code -i FILE}, {@code -l USER},
 * {@code -J JUMP}, {@code -F FILE}, {@code -o Key=Value} (or {@code -o "Key Value"}), the flags
 * {@code -4 -6 -A -a -C -g -K -k -x -X -y -Y -v}, a destination {@code [user@]host} or
 * {@code ssh://[user@]host[:port]}, and a leading {@code ssh}. Flags that make no sense for a
 * supervised tunnel ({@code -f -N -n -T -q}) are dropped; a remote command, {@code -R}, {@code -D}
 * and switches that turn host-key checking off are refused.
 *
 * @param destination as given (an alias or {@code user@host})
 * @param host the host part of the destination (may be a {@code ~/.ssh/config} alias)
 * @param user from {@code -l} or {@code user@}, if given
 * @param port from {@code -p} or the URI form, if given
 * @param identityFiles {@code -i} files, in order
 * @param jump {@code -J} value, if given
 * @param options {@code -o} options other than those Lifeline sets itself, keys as written
 * @param keepalive {@code ServerAliveInterval} / {@code ServerAliveCountMax} seconds/count given with -o
 * @param forwards the {@code -L} forwards
 * @param passThrough every argument to hand to ssh, in order, without {@code -L}, the destination
 *     and the dropped flags
 */
public record SshArgs(
        String destination,
        String host,
        Optional<String> user,
        Optional<Integer> port,
        List<String> identityFiles,
        Optional<String> jump,
        Map<String, String> options,
        Map<String, String> keepalive,
        List<TunnelSpec.Forward> forwards,
        List<String> passThrough) {

    public SshArgs {
        identityFiles = List.copyOf(identityFiles);
        options = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(options));
        keepalive = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(keepalive));
        forwards = List.copyOf(forwards);
        passThrough = List.copyOf(passThrough);
    }

    /** A problem with the arguments; the caller adds where they came from. */
    public static final class Invalid extends IllegalArgumentException {
        private final String hint;

        Invalid(String message, String hint) {
            super(message);
            this.hint = hint;
        }

        public String hint() {
            return hint;
        }
    }

    private static final Set<Character> WITH_VALUE = Set.of(
            'B', 'b', 'c', 'D', 'E', 'e', 'F', 'I', 'i', 'J', 'L', 'l', 'm', 'O', 'o', 'p', 'Q', 'R', 'S', 'W', 'w');
    private static final Set<Character> PASSED_FLAGS =
            Set.of('4', '6', 'A', 'a', 'C', 'g', 'K', 'k', 'x', 'X', 'y', 'Y', 'v');
    private static final Set<Character> DROPPED_FLAGS = Set.of('f', 'N', 'n', 'T', 'q');
    private static final Set<Character> PASSED_WITH_VALUE = Set.of('B', 'b', 'c', 'E', 'F', 'I', 'm', 'w');
    /** Options Lifeline sets itself; a user's value would be ignored or would break supervision. */
    static final Set<String> OWNED_OPTIONS = Set.of(
            "batchmode",
            "exitonforwardfailure",
            "controlmaster",
            "controlpath",
            "controlpersist",
            "sessiontype",
            "requesttty",
            "permitlocalcommand",
            "localcommand");

    /** Splits a command line the way a POSIX shell would for plain words, quotes and backslashes. */
    public static List<String> split(String text) {
        List<String> out = new ArrayList<>();
        StringBuilder cur = new StringBuilder();
        boolean inWord = false;
        char quote = 0;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (quote != 0) {
                if (c == quote) {
                    quote = 0;
                } else if (c == '\\' && quote == '"' && i + 1 < text.length()) {
                    cur.append(text.charAt(++i));
                } else {
                    cur.append(c);
                }
            } else if (c == '\'' || c == '"') {
                quote = c;
                inWord = true;
            } else if (c == '\\' && i + 1 < text.length()) {
                cur.append(text.charAt(++i));
                inWord = true;
            } else if (Character.isWhitespace(c)) {
                if (inWord) {
                    out.add(cur.toString());
                    cur.setLength(0);
                    inWord = false;
                }
            } else {
                cur.append(c);
                inWord = true;
            }
        }
        if (quote != 0) {
            throw new Invalid("unclosed " + quote + " quote in '" + text + "'", "close the quote");
        }
        if (inWord) {
            out.add(cur.toString());
        }
        return out;
    }

    /** Parses {@code args} (a leading {@code ssh} is skipped). */
    public static SshArgs parse(List<String> args) {
        List<String> a = new ArrayList<>(args);
        if (!a.isEmpty()
                && (a.get(0).equals("ssh")
                        || a.get(0).endsWith("/ssh")
                        || a.get(0).endsWith("ssh.exe"))) {
            a.remove(0);
        }
        String destination = null;
        Optional<String> user = Optional.empty();
        Optional<Integer> port = Optional.empty();
        List<String> identities = new ArrayList<>();
        Optional<String> jump = Optional.empty();
        Map<String, String> options = new LinkedHashMap<>();
        Map<String, String> keepalive = new LinkedHashMap<>();
        List<TunnelSpec.Forward> forwards = new ArrayList<>();
        List<String> pass = new ArrayList<>();
        Optional<Integer> uriPort = Optional.empty();

        for (int i = 0; i < a.size(); i++) {
            String t = a.get(i);
            if (destination != null && (!t.startsWith("-") || t.length() == 1)) {
                // like OpenSSH, options may follow the destination; a plain word there is a command
                throw new Invalid(
                        "a tunnel runs no remote command, but '" + String.join(" ", a.subList(i, a.size()))
                                + "' follows the destination",
                        "remove the command after '" + destination + "' (Lifeline adds -N itself)");
            }
            if (t.equals("--")) {
                continue;
            }
            if (!t.startsWith("-") || t.length() == 1) {
                destination = t;
                if (t.startsWith("ssh://")) {
                    String rest = t.substring(6);
                    int colon = rest.lastIndexOf(':');
                    if (colon > rest.indexOf('@') && colon > rest.lastIndexOf(']')) {
                        uriPort = Optional.of(port(rest.substring(colon + 1), "port in " + t));
                    }
                }
                continue;
            }
            // a cluster of flags such as -CN, possibly ending with one that takes a value (-NL 80:h:80)
            for (int j = 1; j < t.length(); j++) {
                char f = t.charAt(j);
                if (WITH_VALUE.contains(f)) {
                    String v;
                    if (j + 1 < t.length()) {
                        v = t.substring(j + 1);
                    } else if (i + 1 < a.size()) {
                        v = a.get(++i);
                    } else {
                        throw new Invalid("-" + f + " needs a value", "see 'man ssh'");
                    }
                    switch (f) {
                        case 'L' -> forwards.add(TunnelSpec.Forward.parse(v));
                        case 'p' -> {
                            port = Optional.of(port(v, "-p"));
                            pass.add("-p");
                            pass.add(v);
                        }
                        case 'l' -> {
                            user = Optional.of(v);
                            pass.add("-l");
                            pass.add(v);
                        }
                        case 'i' -> {
                            identities.add(v);
                            pass.add("-i");
                            pass.add(v);
                        }
                        case 'J' -> {
                            jump = Optional.of(v);
                            pass.add("-J");
                            pass.add(v);
                        }
                        case 'o' -> option(v, options, keepalive, pass);
                        case 'R', 'D' ->
                            throw new Invalid(
                                    "-" + f + " forwarding is not supported by lifeline tunnel yet",
                                    "use -L forwards; keep -" + f + " in a plain ssh session");
                        default -> {
                            if (!PASSED_WITH_VALUE.contains(f)) {
                                throw new Invalid(
                                        "-" + f + " does not fit a supervised tunnel",
                                        "remove it; Lifeline runs ssh -N with the forwards itself");
                            }
                            pass.add("-" + f);
                            pass.add(v);
                        }
                    }
                    break;
                } else if (PASSED_FLAGS.contains(f)) {
                    pass.add("-" + f);
                } else if (!DROPPED_FLAGS.contains(f)) {
                    throw new Invalid(
                            "unknown or unsupported ssh option -" + f,
                            "supported: -L -p -i -l -J -F -o and the flags -4 -6 -A -C -v");
                }
            }
        }
        if (destination == null) {
            throw new Invalid("no destination host", "add [user@]host, e.g. root@gpu-host");
        }
        String host = destination.startsWith("ssh://") ? destination.substring(6) : destination;
        int at = host.lastIndexOf('@');
        if (at >= 0) {
            if (user.isEmpty()) {
                user = Optional.of(host.substring(0, at));
            }
            host = host.substring(at + 1);
        }
        if (destination.startsWith("ssh://")) {
            if (uriPort.isPresent()) {
                host = host.substring(0, host.lastIndexOf(':'));
                if (port.isEmpty()) {
                    port = uriPort;
                }
            }
            if (host.startsWith("[") && host.endsWith("]")) {
                host = host.substring(1, host.length() - 1);
            }
        }
        if (host.isEmpty()) {
            throw new Invalid("no host in '" + destination + "'", "write [user@]host");
        }
        return new SshArgs(destination, host, user, port, identities, jump, options, keepalive, forwards, pass);
    }

    private static void option(
            String v, Map<String, String> options, Map<String, String> keepalive, List<String> pass) {
        String s = v.trim();
        int eq = s.indexOf('=');
        int sp = s.indexOf(' ');
        int cut = eq < 0 ? sp : (sp < 0 ? eq : Math.min(eq, sp));
        if (cut <= 0) {
            throw new Invalid("-o '" + v + "' has no value", "write -o Key=Value, e.g. -o ServerAliveInterval=5");
        }
        String key = s.substring(0, cut).trim();
        String value = s.substring(cut + 1).trim();
        String k = key.toLowerCase(Locale.ROOT);
        if (k.equals("stricthostkeychecking") && !value.equalsIgnoreCase("yes")) {
            throw new Invalid(
                    "-o " + key + "=" + value + " would skip host key verification; Lifeline always verifies",
                    "remove it; to trust a new server run 'lifeline tunnel trust NAME' after checking its fingerprint");
        }
        if (k.equals("userknownhostsfile") && (value.equals("/dev/null") || value.equalsIgnoreCase("none"))) {
            throw new Invalid(
                    "-o " + key + "=" + value + " would make every host unknown and skip verification",
                    "point it at a real known_hosts file, or leave it out to use ~/.ssh/known_hosts");
        }
        if (k.equals("serveraliveinterval") || k.equals("serveralivecountmax")) {
            keepalive.put(k, value);
            return;
        }
        if (OWNED_OPTIONS.contains(k) || k.equals("stricthostkeychecking")) {
            return; // Lifeline sets these itself (see the tunnel's command line)
        }
        options.put(key, value);
        pass.add("-o");
        pass.add(key + "=" + value);
    }

    static int port(String v, String what) {
        try {
            int p = Integer.parseInt(v.trim());
            if (p >= 1 && p <= 65535) {
                return p;
            }
        } catch (NumberFormatException e) {
            // fall through
        }
        throw new Invalid("'" + v + "' is not a port (" + what + ")", "use a number from 1 to 65535");
    }
}
