package dev.lifeline.tunnel;

import dev.lifeline.config.TunnelSpec;
import dev.lifeline.process.Ports;
import dev.lifeline.process.ProcessInfo;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.List;
import java.util.Optional;

/**
 * The local ends of a tunnel's forwards: whether each port is free to bind before ssh starts,
 * whether ssh listens on every one, and who holds a port that is taken (named on Linux, where
 * {@code /proc} says; elsewhere "another program").
 */
final class LocalPorts {
    private LocalPorts() {}

    /** The first forward whose local port another program holds. */
    static Optional<TunnelSpec.Forward> firstTaken(List<TunnelSpec.Forward> forwards) {
        for (TunnelSpec.Forward f : forwards) {
            if (!canBind(f)) {
                return Optional.of(f);
            }
        }
        return Optional.empty();
    }

    /** Whether something (ssh, once its forwards are open) listens on every forward's local port. */
    static boolean allListening(List<TunnelSpec.Forward> forwards) {
        for (TunnelSpec.Forward f : forwards) {
            if (!Ports.isListening(f.localPort())) {
                return false;
            }
        }
        return true;
    }

    /** The problem of a taken port: which process holds it, and what to do. */
    static Problem taken(int port) {
        Optional<ProcessInfo> owner = Ports.owner(port);
        String who = owner.map(
                        o -> "pid " + o.pid() + " (" + (o.command().isEmpty() ? "?" : abbreviate(o.command())) + ")")
                .orElse("another program (the OS does not say which)");
        return Problem.permanent(
                Problem.Kind.PORT_TAKEN,
                "local port " + port + " is taken by " + who,
                "stop that program, or forward another local port (e.g. " + (port + 1) + ":…)");
    }

    private static boolean canBind(TunnelSpec.Forward f) {
        try (ServerSocket s = new ServerSocket()) {
            s.setReuseAddress(true);
            s.bind(new InetSocketAddress(f.bind().equals("localhost") ? "127.0.0.1" : f.bind(), f.localPort()));
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static String abbreviate(String s) {
        return s.length() > 120 ? s.substring(0, 117) + "…" : s;
    }
}
