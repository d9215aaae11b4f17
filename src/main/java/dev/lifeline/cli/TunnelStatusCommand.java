package dev.lifeline.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import dev.lifeline.core.Json;
import dev.lifeline.daemon.Protocol;
import dev.lifeline.tunnel.TunnelState;
import dev.lifeline.tunnel.TunnelStatus;
import java.io.PrintWriter;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code lifeline tunnel status [--json]}: every tunnel, the daemon's or the foreground ones, one
 * line each ({@link #line}), or the daemon's JSON shape.
 */
@Command(name = "status", description = "Show every tunnel: state, reconnects, last error, rtt, forwards.")
final class TunnelStatusCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--json", description = "One JSON array, for scripts.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        List<TunnelStatus> all = TunnelCommand.daemon(false)
                .orElseGet(() -> new ForegroundTunnels(Context.home()))
                .status();
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            ArrayNode rows = Json.array();
            for (TunnelStatus s : all) {
                rows.add(Protocol.tunnel(s)); // the daemon's shape, not a second one
            }
            out.println(Json.write(rows, true));
        } else if (all.isEmpty()) {
            out.println("no tunnels running");
        } else {
            for (TunnelStatus s : all) {
                out.println(line(s));
            }
        }
        out.flush();
        return 0;
    }

    /** One tunnel as {@code tunnel status} prints it (and a second line when it runs without a session). */
    static String line(TunnelStatus s) {
        StringBuilder b = new StringBuilder();
        b.append(String.format(Locale.ROOT, "%-12s %-12s", s.name(), s.state().label()));
        for (TunnelStatus.ForwardStatus f : s.forwards()) {
            b.append(' ').append(f.local()).append("→").append(f.remote());
            f.remoteAnswers().ifPresent(a -> b.append(a ? "" : " (remote not answering)"));
        }
        s.rttMillis().ifPresent(r -> b.append("  rtt ").append(r).append(" ms"));
        if (s.reconnects() > 0) {
            b.append("  reconnects ").append(s.reconnects());
        }
        if (s.state() != TunnelState.UP) {
            s.lastError().ifPresent(e -> b.append("  — ").append(e));
        }
        if (!s.interactive()) {
            b.append("\n").append(" ".repeat(13)).append(s.session());
        }
        return b.toString();
    }
}
