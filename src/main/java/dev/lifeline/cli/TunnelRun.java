package dev.lifeline.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lifeline.config.TunnelSpec;
import dev.lifeline.core.Event;
import dev.lifeline.core.Home;
import dev.lifeline.core.LifelineException;
import dev.lifeline.daemon.DaemonClient;
import dev.lifeline.daemon.Protocol;
import dev.lifeline.tunnel.TunnelManager;
import dev.lifeline.tunnel.TunnelState;
import dev.lifeline.tunnel.TunnelStatus;
import java.io.PrintWriter;
import java.time.LocalTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import picocli.CommandLine.Model.CommandSpec;

/**
 * Starts a tunnel for {@code tunnel up NAME} and the pasted {@code tunnel -- ssh …}: hands it to
 * the daemon (started if need be), or, with {@code --foreground}, keeps it up in this terminal
 * with a line per event until Ctrl-C, {@code tunnel down NAME} from another terminal, or a failure
 * retrying cannot fix. A foreground tunnel keeps its state file ({@link ForegroundTunnels}) and
 * refuses a tunnel that already runs in the daemon or another terminal.
 */
final class TunnelRun {
    private TunnelRun() {}

    /** @param again the command that starts this tunnel again, for hints */
    static int start(CommandSpec cmd, TunnelSpec t, boolean foreground, ObjectNode source, String again) {
        Optional<TunnelCommand.Tunnels> d = foreground ? Optional.empty() : TunnelCommand.daemon(true);
        if (d.isPresent()) {
            return inDaemon(cmd.commandLine().getOut(), d.get(), t, source, again);
        }
        return inTerminal(cmd.commandLine().getOut(), Context.home(), t);
    }

    private static int inDaemon(
            PrintWriter out, TunnelCommand.Tunnels daemon, TunnelSpec t, ObjectNode source, String again) {
        TunnelStatus st = daemon.up(t, source);
        out.println(TunnelStatusCommand.line(st));
        out.println("  ssh: " + st.command());
        out.flush();
        if (st.state() == TunnelState.FAILED) {
            String error = st.lastError().orElse("see its log");
            String arrow = st.hint().map(h -> " → " + h).orElse("");
            if (!arrow.isEmpty() && error.endsWith(arrow)) {
                error = error.substring(0, error.length() - arrow.length()); // the hint is said once, below
            }
            throw new LifelineException(
                    "tunnel " + t.name() + " failed: " + error,
                    st.hint().orElse("fix the cause") + ", then run '" + again + "' again");
        }
        return 0;
    }

    /** Keeps the tunnel up here until Ctrl-C or a failure; ends by throwing what stopped it. */
    private static int inTerminal(PrintWriter out, Home home, TunnelSpec t) {
        inDaemon(home, t.name()).ifPresent(s -> {
            throw new LifelineException(
                    "tunnel '" + t.name() + "' already runs in Lifeline's daemon ("
                            + s.state().label() + "), which holds its ports",
                    "use it as it is (lifeline tunnel status), or stop it first to run it here: lifeline tunnel down "
                            + t.name());
        });
        new ForegroundTunnels(home)
                .status().stream()
                        .filter(s -> s.name().equals(t.name()))
                        .findFirst()
                        .ifPresent(s -> {
                            throw new LifelineException(
                                    "tunnel '" + t.name() + "' already runs in another terminal ("
                                            + s.state().label() + ")",
                                    "stop it first: lifeline tunnel down " + t.name());
                        });
        CountDownLatch failed = new CountDownLatch(1);
        AtomicReference<Event> failure = new AtomicReference<>();
        AtomicReference<TunnelManager> ref = new AtomicReference<>();
        TunnelManager manager = new TunnelManager(TunnelManager.Options.defaults(home.logs()), e -> {
            synchronized (out) {
                out.println(LocalTime.now().format(DateTimeFormatter.ofPattern("HH:mm:ss")) + "  " + e.type() + "  "
                        + e.message());
                out.flush();
            }
            TunnelManager m = ref.get();
            if (m != null && !e.type().equals("stopped")) {
                m.status(t.name()).ifPresent(s -> ForegroundTunnels.write(home, s));
            }
            if (e.type().equals("failed")) {
                failure.set(e);
                failed.countDown();
            }
        });
        ref.set(manager);
        Thread hook = new Thread(
                () -> {
                    manager.close();
                    ForegroundTunnels.remove(home, t.name());
                },
                "lifeline-tunnel-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            manager.up(t);
            failed.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            manager.close();
            ForegroundTunnels.remove(home, t.name());
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException e) {
                // already shutting down: the hook runs (harmlessly, close is idempotent)
            }
        }
        Event f = failure.get();
        throw new LifelineException(
                f == null
                        ? "tunnel " + t.name() + " stopped"
                        : String.valueOf(f.fields().getOrDefault("reason", f.message())),
                f == null ? null : hintOf(f.message()));
    }

    /** The daemon's tunnel {@code name}, if a daemon runs (never starts one). */
    private static Optional<TunnelStatus> inDaemon(Home home, String name) {
        DaemonClient client = DaemonClient.of(home);
        if (!client.isRunning()) {
            return Optional.empty();
        }
        try {
            List<TunnelStatus> all = new ArrayList<>();
            client.call("tunnel.status", Map.of()).forEach(n -> all.add(Protocol.tunnel(n)));
            return all.stream().filter(s -> s.name().equals(name)).findFirst();
        } catch (LifelineException e) {
            return Optional.empty(); // a daemon that does not answer holds no port we can name
        }
    }

    private static String hintOf(String message) {
        int arrow = message.indexOf(" → ");
        return arrow < 0 ? null : message.substring(arrow + 3);
    }
}
