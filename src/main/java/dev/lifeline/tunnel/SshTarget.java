package dev.lifeline.tunnel;

import dev.lifeline.config.TunnelSpec;
import dev.lifeline.core.LifelineException;
import dev.lifeline.process.Exec;
import dev.lifeline.process.Ports;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Where ssh will really connect, as {@code ssh -G} resolves it from the arguments and
 * {@code ~/.ssh/config}: no network is touched. Used for the reachability watch, host-key
 * messages and {@code tunnel trust}.
 *
 * @param directHost the host a plain TCP connect reaches first (the first jump host with
 *     {@code -J}), empty behind a ProxyCommand
 */
record SshTarget(
        String hostname,
        int port,
        String user,
        List<Path> knownHostsFiles,
        Optional<String> hostKeyAlias,
        Optional<String> directHost,
        int directPort,
        List<Path> identityFiles) {

    /**
     * How often, at most, the reachability watch tries {@link #directConnects}, and only while it
     * fails: each connect that succeeds is a pre-auth connection in the server's log (and counts
     * toward OpenSSH's PerSourcePenalties), so there is at most one per outage.
     */
    static final long REACH_EVERY_MILLIS = 500;

    /** Whether a plain TCP connect to {@link #directHost} succeeds within 400 ms; false without one. */
    boolean directConnects() {
        return directHost.isPresent() && Ports.answers(directHost.get(), directPort, 400);
    }

    /** The name known_hosts uses: {@code host} on port 22, else {@code [host]:port}. */
    String knownHostsName() {
        String h = hostKeyAlias.orElse(hostname);
        return port == 22 || hostKeyAlias.isPresent() ? h : "[" + h + "]:" + port;
    }

    static SshTarget resolve(String program, TunnelSpec spec) {
        List<String> argv = SshCommandLine.resolveArgv(program, spec);
        String out;
        try {
            Exec.Result r = Exec.of(argv).timeout(Duration.ofSeconds(10)).run();
            out = r.output();
            if (r.timedOut()) {
                throw new LifelineException(
                        "'" + SshCommandLine.display(argv) + "' did not answer within 10s",
                        "check the ssh config for tunnel '" + spec.name() + "' (a Match exec or a hung ProxyCommand?)");
            }
            if (r.exitCode() != 0) {
                throw new LifelineException(
                        "ssh rejects the arguments of tunnel '" + spec.name() + "': " + out.strip(),
                        "check the 'ssh' arguments (" + SshCommandLine.display(argv) + ")");
            }
        } catch (IOException e) {
            throw new LifelineException(
                    "cannot run '" + program + "': " + e.getMessage(),
                    "install the OpenSSH client (Debian/Ubuntu: apt install openssh-client;"
                            + " Windows: Settings → Optional features → OpenSSH Client)");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new LifelineException("interrupted while resolving tunnel '" + spec.name() + "'");
        }
        return parse(out);
    }

    static SshTarget parse(String sshG) {
        Map<String, String> kv = new LinkedHashMap<>();
        List<Path> identities = new java.util.ArrayList<>();
        String home = System.getProperty("user.home");
        for (String line : sshG.split("\\R")) {
            int sp = line.indexOf(' ');
            if (sp > 0) {
                String key = line.substring(0, sp).toLowerCase(Locale.ROOT);
                String value = line.substring(sp + 1).trim();
                kv.putIfAbsent(key, value);
                if (key.equals("identityfile")) {
                    identities.add(Path.of(value.startsWith("~/") ? home + value.substring(1) : value));
                }
            }
        }
        String hostname = kv.getOrDefault("hostname", "localhost");
        int port = Integer.parseInt(kv.getOrDefault("port", "22"));
        List<Path> known = java.util.Arrays.stream(kv.getOrDefault("userknownhostsfile", "~/.ssh/known_hosts")
                        .split("\\s+"))
                .map(s -> Path.of(s.startsWith("~/") ? home + s.substring(1) : s))
                .toList();
        Optional<String> alias = Optional.ofNullable(kv.get("hostkeyalias"));
        Optional<String> direct = Optional.of(hostname);
        int directPort = port;
        String jump = kv.get("proxyjump");
        if (jump != null && !jump.equalsIgnoreCase("none")) {
            String first = jump.split(",")[0];
            first = first.startsWith("ssh://") ? first.substring(6) : first;
            first = first.substring(first.lastIndexOf('@') + 1);
            int colon = first.lastIndexOf(':');
            directPort = 22;
            if (colon > 0 && !first.endsWith("]")) {
                directPort = Integer.parseInt(first.substring(colon + 1));
                first = first.substring(0, colon);
            }
            // a jump host may itself be an alias; its real name is not resolved here
            direct = Optional.of(first.replace("[", "").replace("]", ""));
        } else if (kv.containsKey("proxycommand") && !kv.get("proxycommand").equalsIgnoreCase("none")) {
            direct = Optional.empty();
        }
        return new SshTarget(hostname, port, kv.getOrDefault("user", ""), known, alias, direct, directPort, identities);
    }
}
