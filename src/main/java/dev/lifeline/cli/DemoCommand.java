package dev.lifeline.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lifeline.config.LifelineConfig;
import dev.lifeline.core.Home;
import dev.lifeline.core.Json;
import dev.lifeline.daemon.DaemonClient;
import dev.lifeline.daemon.Protocol;
import dev.lifeline.daemon.StableJar;
import dev.lifeline.demo.DemoSshServer;
import dev.lifeline.process.Ports;
import dev.lifeline.tunnel.TunnelStatus;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(
        name = "demo",
        description = {
            "Run the built-in demo: a stand-in model app, supervised by the daemon and left running.",
            "The app loads for a few seconds, then serves HTTP and makes images. 'lifeline down' ends it all."
        })
final class DemoCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(
            names = "--port",
            paramLabel = "PORT",
            defaultValue = "7860",
            description = "Port for the demo app (default: ${DEFAULT-VALUE}; another free one if taken).")
    int port;

    @Option(
            names = "--load-seconds",
            paramLabel = "SECONDS",
            defaultValue = "6",
            description = "How long the demo 'model' takes to load.")
    double loadSeconds;

    @Option(
            names = "--no-tunnel",
            description = "Skip the tunnel part (a private sshd on 127.0.0.1 and a tunnel through it).")
    boolean noTunnel;

    @Override
    public Integer call() throws IOException {
        Home home = Context.home();
        PrintWriter out = spec.commandLine().getOut();
        Path dir = home.root().resolve("demo");
        Path outputs = dir.resolve("outputs");
        Files.createDirectories(outputs);
        Path file = dir.resolve("lifeline.yaml");
        int p = port;
        boolean reuse = Files.exists(file) && Files.readString(file).contains("--port\", \"" + p + "\"");
        if (!reuse && Ports.isListening(p)) {
            try (ServerSocket s = new ServerSocket(0)) {
                p = s.getLocalPort();
            }
            out.println("port " + port + " is taken; the demo uses " + p);
        }
        List<String> notes = new java.util.ArrayList<>();
        Optional<DemoSshServer.Setup> ssh =
                noTunnel ? Optional.empty() : DemoSshServer.prepare(dir.resolve("ssh"), freePort(), notes::add);
        int tunnelPort = freePort();
        String java = ProcessHandle.current().info().command().orElse("java");
        int[] portHolder = {p};
        String jar = StableJar.classPath(home);
        String yaml = String.join(
                "\n",
                List.of(
                        "# Written by 'lifeline demo'. A stand-in model app, supervised like a real one.",
                        "services:",
                        "  demo:",
                        "    command: [" + q(java)
                                + ", \"-Xmx64m\", \"-XX:+UseSerialGC\", \"-XX:TieredStopAtLevel=1\", \"-cp\", " + q(jar)
                                + ", \"dev.lifeline.demo.DemoApp\", \"--port\", \"" + p + "\", \"--load-seconds\", \""
                                + loadSeconds
                                + "\", \"--outputs\", " + q(outputs.toString()) + ", \"--generate-every\", \"10\"]",
                        "    cwd: " + q(dir.toString()),
                        "    port: " + p,
                        "    ready: { http: /, timeout: 2m }",
                        "    health: { http: /healthz, every: 5s, failures: 3, timeout: 2s }",
                        "    restart: { policy: always, backoff: 1s..30s, give-up: 5 in 5m }",
                        "    stop: { signal: TERM, timeout: 5s }",
                        "    outputs: " + q(outputs.toString()),
                        ssh.map(x -> String.join(
                                        "\n",
                                        List.of(
                                                "  demo-sshd:          # a private OpenSSH server on 127.0.0.1, to show the tunnel",
                                                "    command: ["
                                                        + String.join(
                                                                ", ",
                                                                x.sshdCommand().stream()
                                                                        .map(DemoCommand::q)
                                                                        .toList())
                                                        + "]",
                                                "    port: " + x.port(),
                                                "    ready: { tcp: true, timeout: 30s }")))
                                .orElse("  # (no demo-sshd: " + String.join("; ", notes) + ")"),
                        "backup:",
                        "  repository: " + q(dir.resolve("vault").toString()),
                        "  schedule: 2s          # a snapshot every 2 s while images arrive (default: 1h)",
                        "  exclude: [\"*.tmp\"]",
                        ssh.map(x -> String.join(
                                        "\n",
                                        List.of(
                                                "tunnels:",
                                                "  demo:",
                                                "    ssh: " + q(x.clientArgs()),
                                                "    forward: [\"" + tunnelPort + ":127.0.0.1:" + portHolder[0]
                                                        + "\"]")))
                                .orElse(""),
                        ""));
        Files.writeString(file, yaml);
        out.println("demo config: " + file);
        LifelineConfig config = LifelineConfig.load(file);
        UpCommand.apply(config, List.of(), true, out, home);
        if (ssh.isPresent()) {
            ObjectNode source = Json.object()
                    .put("name", "demo")
                    .put("path", config.file().toString())
                    .put("text", config.text());
            ObjectNode req = Json.object().put("op", "tunnel.up");
            req.set("source", source);
            TunnelStatus t = Protocol.tunnel(DaemonClient.of(home).call(req, x -> {}));
            out.println("  tunnel     " + t.state().label() + "   127.0.0.1:" + tunnelPort
                    + " → the demo app, through ssh to the demo sshd"
                    + t.rttMillis().map(r -> " (rtt " + r + " ms)").orElse(""));
        } else if (!noTunnel) {
            out.println("  tunnel     skipped: " + String.join("; ", notes));
        }
        out.println();
        out.println("The demo model app is up and supervised. Try:");
        List<String[]> tips = new java.util.ArrayList<>();
        tips.add(new String[] {"curl http://127.0.0.1:" + p + "/generate", "make an image in " + outputs});
        tips.add(new String[] {"./lifeline status", "state, pid, uptime, restarts, memory"});
        tips.add(new String[] {"./lifeline logs demo -f", "its log"});
        tips.add(new String[] {
            "./lifeline -c " + file + " backup snapshots", "every image is in the vault within a second"
        });
        tips.add(new String[] {
            "find " + dir.resolve("vault/objects") + " -type f | head -3 | xargs sha256sum",
            "objects are named by their SHA-256"
        });
        tips.add(new String[] {"curl http://127.0.0.1:" + p + "/crash", "crash it: it is back within a second"});
        tips.add(new String[] {"curl http://127.0.0.1:" + p + "/hang", "hang it: the health checks restart it in ~15 s"
        });
        if (ssh.isPresent()) {
            tips.add(new String[] {"curl http://127.0.0.1:" + tunnelPort + "/", "the app through the SSH tunnel"});
            tips.add(new String[] {"./lifeline tunnel status", "up, rtt, whether the remote end answers"});
        }
        tips.add(new String[] {"./lifeline down", "stop it all"});
        int width = tips.stream().mapToInt(t -> t[0].length()).max().orElse(0);
        for (String[] t : tips) {
            out.println("  " + t[0] + " ".repeat(width - t[0].length()) + "   # " + t[1]);
        }
        out.flush();
        return 0;
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private static String q(String s) {
        return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }
}
