package dev.lifeline.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lifeline.config.LifelineConfig;
import dev.lifeline.config.SshArgs;
import dev.lifeline.config.TunnelSpec;
import dev.lifeline.core.Event;
import dev.lifeline.core.Home;
import dev.lifeline.core.Json;
import dev.lifeline.core.LifelineException;
import dev.lifeline.daemon.DaemonClient;
import dev.lifeline.daemon.Protocol;
import dev.lifeline.tunnel.HostKeys;
import dev.lifeline.tunnel.TunnelManager;
import dev.lifeline.tunnel.TunnelState;
import dev.lifeline.tunnel.TunnelStatus;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.LocalTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
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
 */
@Command(
        name = "tunnel",
        mixinStandardHelpOptions = true,
        description = {
            "Keep an SSH port forward up: fast dead-link detection, reconnects, and clear reasons.",
            "Paste the ssh command you already use after '--', or name a tunnel from lifeline.yaml."
        },
        subcommands = {
            TunnelCommand.Up.class,
            TunnelCommand.Down.class,
            TunnelCommand.Status.class,
            TunnelCommand.Trust.class
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
        return runHere(spec, t, foreground, source, again);
    }

    static TunnelSpec pasted(String name, List<String> args) {
        try {
            return TunnelSpec.fromCommand(name, args);
        } catch (SshArgs.Invalid e) {
            throw new LifelineException("cannot use '" + String.join(" ", args) + "': " + e.getMessage(), e.hint());
        }
    }

    static TunnelSpec fromConfig(CommandSpec spec, String name) {
        return TunnelSpec.named(Context.loadConfig(spec), name);
    }

    /** Hands the tunnel to the daemon when one runs, else keeps it up in this terminal until Ctrl-C. */
    /** @param again the command that starts this tunnel again, for hints */
    static int runHere(CommandSpec cmd, TunnelSpec t, boolean foreground, ObjectNode source, String again) {
        PrintWriter out = cmd.commandLine().getOut();
        Optional<Tunnels> d = foreground ? Optional.empty() : daemon(true);
        if (d.isPresent()) {
            TunnelStatus st = d.get().up(t, source);
            out.println(line(st));
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
        Home home = Context.home();
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

    @Command(name = "up", description = "Start a tunnel from lifeline.yaml and keep it up.")
    static final class Up implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Parameters(paramLabel = "NAME", description = "The tunnel's name under 'tunnels:'.")
        String name;

        @Option(names = "--foreground", description = "Run it in this terminal with live state lines.")
        boolean foreground;

        @Override
        public Integer call() {
            LifelineConfig config = Context.loadConfig(spec);
            ObjectNode source = Json.object().put("name", name);
            source.put("path", config.file().toString());
            source.put("text", config.text());
            return runHere(spec, TunnelSpec.named(config, name), foreground, source, "lifeline tunnel up " + name);
        }
    }

    @Command(name = "down", description = "Stop a tunnel.")
    static final class Down implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Parameters(paramLabel = "NAME", description = "The tunnel's name (see 'lifeline tunnel status').")
        String name;

        @Override
        public Integer call() {
            Tunnels d = daemon(false).orElseGet(() -> new ForegroundTunnels(Context.home()));
            if (!d.down(name)) {
                throw new LifelineException("tunnel '" + name + "' is not running", "see: lifeline tunnel status");
            }
            spec.commandLine().getOut().println(name + " stopped");
            return 0;
        }
    }

    @Command(name = "status", description = "Show every tunnel: state, reconnects, last error, rtt, forwards.")
    static final class Status implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Option(names = "--json", description = "One JSON array, for scripts.")
        boolean json;

        @Override
        public Integer call() throws Exception {
            List<TunnelStatus> all = daemon(false)
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
    }

    @Command(
            name = "trust",
            description = {
                "Show the server's host key fingerprints, ask, and record them in known_hosts.",
                "Compare the fingerprint with one the server's owner gives you before answering yes."
            })
    static final class Trust implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Option(
                names = "--yes",
                description = "Record without asking (only when the fingerprint was checked another way).")
        boolean yes;

        @Parameters(
                paramLabel = "NAME | -- ssh …",
                arity = "1..*",
                description = "A tunnel from lifeline.yaml, or a pasted ssh command after '--'.")
        List<String> target;

        @Override
        public Integer call() throws Exception {
            TunnelSpec t = target.size() == 1 && !target.get(0).equals("ssh")
                    ? fromConfig(spec, target.get(0))
                    : pasted(null, target);
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
            out.println(
                    "recorded " + Plural.of(s.keys().size(), "key") + " for " + s.hostName() + " in " + s.knownHosts());
            return 0;
        }
    }
}
