package dev.lifeline.cli;

import dev.lifeline.config.TunnelSpec;
import dev.lifeline.core.LifelineException;
import dev.lifeline.tunnel.HostKeys;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code lifeline tunnel trust NAME | -- ssh …}: show the server's host key fingerprints, ask, and
 * record them in the known_hosts file ssh reads. A different key already recorded is refused.
 */
@Command(
        name = "trust",
        description = {
            "Show the server's host key fingerprints, ask, and record them in known_hosts.",
            "Compare the fingerprint with one the server's owner gives you before answering yes."
        })
final class TunnelTrustCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--yes", description = "Record without asking (only when the fingerprint was checked another way).")
    boolean yes;

    @Parameters(
            paramLabel = "NAME | -- ssh …",
            arity = "1..*",
            description = "A tunnel from lifeline.yaml, or a pasted ssh command after '--'.")
    List<String> target;

    @Override
    public Integer call() throws Exception {
        TunnelSpec t = target.size() == 1 && !target.get(0).equals("ssh")
                ? TunnelSpec.named(Context.loadConfig(spec), target.get(0))
                : TunnelCommand.pasted(null, target);
        HostKeys.Scanned s = HostKeys.scan(t, Duration.ofSeconds(10));
        PrintWriter out = spec.commandLine().getOut();
        if (s.keys().isEmpty()) {
            throw new LifelineException(
                    "the server " + s.hostName() + " offered no host key to ssh-keyscan",
                    "check that it is reachable: ssh -v " + t.ssh().destination());
        }
        out.println("host " + s.hostName() + " offers:");
        for (HostKeys.Key k : s.keys()) {
            out.println("  " + k.type() + "  " + k.fingerprint());
        }
        switch (HostKeys.known(s)) {
            case SAME_KEY -> {
                out.println("already trusted in " + s.knownHosts() + "; nothing to do");
                return 0;
            }
            case OTHER_KEY ->
                throw new LifelineException(
                        s.knownHosts() + " holds a DIFFERENT key for " + s.hostName()
                                + ": the server's key changed, or this is not the same server",
                        "ask the server's owner; only if the change is expected: ssh-keygen -R '" + s.hostName()
                                + "' -f " + s.knownHosts() + ", then run this again");
            case NOTHING -> out.println("they would be added to " + s.knownHosts());
        }
        out.flush();
        if (!yes) {
            out.print("Is this the server's fingerprint (checked with its owner)? [y/N] ");
            out.flush();
            String answer = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
            if (answer == null || !answer.trim().toLowerCase(Locale.ROOT).startsWith("y")) {
                out.println("not recorded");
                return 1;
            }
        }
        HostKeys.record(s);
        out.println("recorded " + Plural.of(s.keys().size(), "key") + " for " + s.hostName() + " in " + s.knownHosts());
        return 0;
    }
}
