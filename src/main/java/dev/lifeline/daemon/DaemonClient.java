package dev.lifeline.daemon;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lifeline.config.LifelineConfig;
import dev.lifeline.core.Home;
import dev.lifeline.core.Json;
import dev.lifeline.core.LifelineException;
import dev.lifeline.process.LaunchSpec;
import dev.lifeline.process.Launcher;
import dev.lifeline.process.Procfs;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

/** Talks to the daemon over its control socket, starting the daemon first when asked to. */
public final class DaemonClient {
    /** JVM flags for the daemon: small and steady (measured: see docs/benchmarks.md). */
    static final List<String> DAEMON_JVM_FLAGS = List.of(
            "-XX:+UseSerialGC",
            "-Xms4m",
            "-Xmx64m",
            "-Xss512k",
            "-XX:-UsePerfData",
            "-XX:MaxMetaspaceSize=96m",
            "-XX:ReservedCodeCacheSize=24m",
            "-Dorg.slf4j.simpleLogger.defaultLogLevel=info");

    /**
     * Without a vault the daemon only supervises: the C1 compiler alone, a 2 MiB young generation
     * and no mapped JDK class archive keep it ~18 MiB smaller (55 vs 73 MiB, measured here).
     * With one it hashes every new file, and the JDK's SHA-256 runs on the CPU's SHA instructions
     * only in C2-compiled code (C1: 60–90 MB/s; C2: ~800 MB/s per core, measured here).
     */
    static final List<String> SUPERVISE_ONLY =
            List.of("-XX:TieredStopAtLevel=1", "-XX:CICompilerCount=1", "-XX:MaxNewSize=2m", "-Xshare:off");

    static final List<String> WITH_VAULT = List.of("-XX:CICompilerCount=2", "-Xmx128m");
    private final Home home;

    private DaemonClient(Home home) {
        this.home = home;
    }

    public static DaemonClient of(Home home) {
        return new DaemonClient(home);
    }

    public boolean isRunning() {
        try (SocketChannel ch = open()) {
            return ch.isConnected();
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * Whether an earlier daemon left work behind (an applied config, or tunnels it hosted), so that
     * a new one should start and take it over.
     */
    public boolean hasState() {
        return Files.exists(home.appliedConfig()) || Files.exists(home.root().resolve("tunnels.json"));
    }

    /**
     * Starts the daemon in the background unless one answers, and waits until it does.
     *
     * @return true when this call started it
     */
    public boolean ensureRunning() {
        return ensureRunning(appliedConfigHasVault());
    }

    /**
     * Starts the daemon unless one answers.
     *
     * @param withVault whether the config it will run has a {@code backup:} section (picks the JIT)
     * @return true when this call started it
     */
    public boolean ensureRunning(boolean withVault) {
        if (isRunning()) {
            return false;
        }
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> argv = new ArrayList<>();
        argv.add(java);
        String extra = System.getenv("LIFELINE_DAEMON_JAVA_OPTS");
        argv.addAll(DAEMON_JVM_FLAGS);
        argv.addAll(withVault ? WITH_VAULT : SUPERVISE_ONLY);
        if (extra != null && !extra.isBlank()) {
            argv.addAll(List.of(extra.trim().split("\\s+")));
        }
        argv.add("-cp");
        argv.add(StableJar.classPath(home));
        argv.add("dev.lifeline.cli.Main");
        argv.add("daemon");
        Launcher.Started s = Launcher.start(new LaunchSpec(
                argv,
                home.root(),
                Map.of("LIFELINE_HOME", home.root().toString()),
                home.daemonLog(),
                Map.of(),
                Optional.empty()));
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (System.nanoTime() < deadline) {
            if (isRunning()) {
                return true;
            }
            if (!s.process().isAlive()) {
                throw new LifelineException(
                        "the daemon exited at start (code " + s.process().exitValue() + ")",
                        "see its log: " + home.daemonLog());
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new LifelineException("interrupted while starting the daemon");
            }
        }
        throw new LifelineException(
                "the daemon did not open its control socket within 30s", "see its log: " + home.daemonLog());
    }

    private boolean appliedConfigHasVault() {
        try {
            JsonNode n = Json.parse(Files.readString(home.appliedConfig()));
            return LifelineConfig.parse(
                            n.path("text").asText(), Path.of(n.path("path").asText()))
                    .backup()
                    .isPresent();
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    /** Sends one request and returns its result, passing progress lines to {@code progress}. */
    public JsonNode call(ObjectNode request, Consumer<JsonNode> progress) {
        try (SocketChannel ch = open();
                OutputStream out = Channels.newOutputStream(ch);
                BufferedReader in = new BufferedReader(
                        new InputStreamReader(Channels.newInputStream(ch), StandardCharsets.UTF_8))) {
            out.write((Json.write(request) + "\n").getBytes(StandardCharsets.UTF_8));
            out.flush();
            String line;
            while ((line = in.readLine()) != null) {
                JsonNode msg = Json.parse(line);
                if (msg.has("progress")) {
                    progress.accept(msg.get("progress"));
                    continue;
                }
                if (msg.path("ok").asBoolean()) {
                    return msg.get("result");
                }
                throw new LifelineException(
                        msg.path("error").asText("the daemon refused"),
                        msg.hasNonNull("hint") ? msg.get("hint").asText() : null);
            }
            throw new LifelineException(
                    "the daemon closed the connection without an answer", "see its log: " + home.daemonLog());
        } catch (IOException e) {
            throw new LifelineException(
                    "cannot reach the daemon at " + home.socket() + ": " + e.getMessage(),
                    "start it with 'lifeline up' (or see " + home.daemonLog() + ")");
        }
    }

    public JsonNode call(String op, Map<String, ?> args) {
        ObjectNode req = Json.object();
        req.put("op", op);
        req.setAll(Json.object(args));
        return call(req, p -> {});
    }

    /** The daemon's pid from its pid file, if that process is alive and is a Lifeline daemon. */
    public Optional<Long> daemonPid() {
        try {
            long pid = Long.parseLong(Files.readString(home.daemonPidFile()).trim());
            if (Procfs.cmdline(pid).contains("dev.lifeline.cli.Main daemon")) {
                return Optional.of(pid);
            }
        } catch (IOException | RuntimeException e) {
            // no daemon
        }
        return Optional.empty();
    }

    private SocketChannel open() throws IOException {
        Path sock = home.socket();
        SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            ch.connect(UnixDomainSocketAddress.of(sock));
            return ch;
        } catch (IOException e) {
            ch.close();
            throw e;
        }
    }
}
