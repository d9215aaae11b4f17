package dev.lifeline.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lifeline.config.SshArgs;
import dev.lifeline.config.TunnelSpec;
import dev.lifeline.core.Json;
import dev.lifeline.core.LifelineException;
import dev.lifeline.daemon.DaemonClient;
import dev.lifeline.daemon.Protocol;
import dev.lifeline.tunnel.TunnelStatus;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code lifeline tunnel}: keep an SSH port forward up.
 *
 * <pre>
 * lifeline tunnel up NAME            # a tunnel from lifeline.yaml
 * lifeline tunnel down NAME
 * lifeline tunnel status [--json]
 * lifeline tunnel trust NAME         # show the server's host key fingerprint, ask, record it
 * lifeline tunnel [--foreground] -- ssh -L 7860:127.0.0.1:7860 -p 31099 root@gpu-host
 * </pre>
 *
 * <p>Until the daemon hosts the tunnels, {@code up} and the pasted form run the tunnel in this
 * terminal (Ctrl-C stops it), and {@code down}/{@code status} reach such foreground tunnels through
 * their state files ({@link ForegroundTunnels}). The daemon hosts tunnels through {@link #daemon(boolean)};
 * everything else is already written against {@link Tunnels}.
 *
 * <p>This class is the pasted form and what the sub-commands share; {@link TunnelRun} starts a
 * tunnel (in the daemon, or in this terminal), and each sub-command is a class of its own:
 * {@link TunnelUpCommand}, {@link TunnelDownCommand}, {@link TunnelStatusCommand}, {@link
 * TunnelTrustCommand}.
 */
@Command(
        name = "tunnel",
        mixinStandardHelpOptions = true,
        description = {
            "Keep an SSH port forward up: fast dead-link detection, reconnects, and clear reasons.",
            "Paste the ssh command you already use after '--', or name a tunnel from lifeline.yaml."
        },
        subcommands = {
            TunnelUpCommand.class,
            TunnelDownCommand.class,
            TunnelStatusCommand.class,
            TunnelTrustCommand.class
        })
public final class TunnelCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(
            names = "--foreground",
            description = "Run the tunnel in this terminal with live state lines (Ctrl-C stops it).")
    boolean foreground;

    @Option(names = "--name", paramLabel = "NAME", description = "Name for a pasted tunnel (default: the host).")
    String name;

    @Parameters(
            paramLabel = "SSH-COMMAND",
            arity = "0..*",
            description = "After '--': the ssh command, e.g. ssh -L 7860:127.0.0.1:7860 -p 31099 root@gpu-host")
    List<String> sshCommand = new ArrayList<>();

    /** What the tunnel commands need; the daemon client will implement it over the control socket. */
    interface Tunnels {
        /** @param source what the daemon re-reads the spec from: {@code {name, args}} or {@code {name, path, text}} */
        TunnelStatus up(TunnelSpec spec, ObjectNode source);

        boolean down(String name);

        List<TunnelStatus> status();
    }

    /**
     * The daemon's tunnels: started when {@code start} (a tunnel run by the daemon outlives the
     * terminal), else only when a daemon already runs.
     */
    static Optional<Tunnels> daemon(boolean start) {
        DaemonClient client = DaemonClient.of(Context.home());
        if (start || client.hasState()) {
            client.ensureRunning(); // a daemon started after a crash brings its tunnels back
        } else if (!client.isRunning()) {
            return Optional.empty();
        }
        return Optional.of(new Tunnels() {
            @Override
            public TunnelStatus up(TunnelSpec spec, ObjectNode source) {
                ObjectNode req = Json.object().put("op", "tunnel.up");
                req.set("source", source);
                return Protocol.tunnel(client.call(req, p -> {}));
            }

            @Override
            public boolean down(String name) {
                return client.call("tunnel.down", Map.of("name", name))
                        .path("stopped")
                        .asBoolean();
            }

            @Override
            public List<TunnelStatus> status() {
                List<TunnelStatus> out = new ArrayList<>();
                client.call("tunnel.status", Map.of()).forEach(n -> out.add(Protocol.tunnel(n)));
                return out;
            }
        });
    }

    @Override
    public Integer call() {
        if (sshCommand.isEmpty()) {
            spec.commandLine().usage(spec.commandLine().getOut());
            return 2;
        }
        TunnelSpec t = pasted(name, sshCommand);
        ObjectNode source = Json.object().put("name", t.name());
        source.set("args", Json.strings(sshCommand));
        // a pasted tunnel is in no lifeline.yaml: 'tunnel up NAME' would not find it
        String again = "lifeline tunnel " + (name == null ? "" : "--name " + name + " ") + "-- " + t.pasted();
        return TunnelRun.start(spec, t, foreground, source, again);
    }

    static TunnelSpec pasted(String name, List<String> args) {
        try {
            return TunnelSpec.fromCommand(name, args);
        } catch (SshArgs.Invalid e) {
            throw new LifelineException("cannot use '" + String.join(" ", args) + "': " + e.getMessage(), e.hint());
        }
    }
}
