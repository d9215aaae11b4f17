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
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
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

    /**
     * How long a command waits for the daemon's next line (it sends one at least every half second
     * while it works, so only a daemon that does not run — stopped, stuck — takes this long).
     * {@code LIFELINE_DAEMON_TIMEOUT} (seconds) overrides it.
     */
    static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(10);

    private Duration timeout() {
        String env = System.getenv("LIFELINE_DAEMON_TIMEOUT");
        if (env != null && !env.isBlank()) {
            try {
                return Duration.ofMillis((long) (Double.parseDouble(env.trim()) * 1000));
            } catch (NumberFormatException e) {
                // the default then
            }
        }
        return DEFAULT_TIMEOUT;
    }

    /** Whether a daemon accepts connections on the socket (it may still not answer: see {@link #call}). */
    public boolean isRunning() {
        try (SocketChannel ch = connect()) {
            return ch.isConnected();
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * Connects without ever blocking: a daemon accepts at once, so a connection that cannot be made
     * at once (a stopped daemon's full queue) is one that would not be answered.
     */
    private SocketChannel connect() throws IOException {
        SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            ch.configureBlocking(false);
            if (!ch.connect(UnixDomainSocketAddress.of(home.socket())) && !ch.finishConnect()) {
                throw new IOException("the daemon accepts no connection (its queue is full)");
            }
            return ch;
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    /**
     * Whether an earlier daemon left work behind (an applied project, or tunnels it hosted), so
     * that a new one should start and take it over.
     */
    public boolean hasState() {
        return nonEmpty(home.appliedConfig(), "projects")
                || nonEmpty(home.root().resolve("tunnels.json"), null);
    }

    /** A JSON file whose array (top level, or under {@code field}) has an element; an old applied.json counts. */
    private static boolean nonEmpty(Path file, String field) {
        if (!Files.exists(file)) {
            return false;
        }
        try {
            JsonNode n = Json.parse(Files.readString(file));
            JsonNode a = field != null && n.has(field) ? n.get(field) : n;
            return a.isArray() ? a.size() > 0 : a.has("text");
        } catch (IOException | RuntimeException e) {
            return true; // unreadable: let a daemon look at it and say what is wrong in its log
        }
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
     * Starts the daemon unless one answers. Commands racing to start one (two {@code lifeline up}
     * on a fresh home) take turns on {@code daemon-start.lock}: the first starts it, the others
     * find it running.
     *
     * @param withVault whether the config it will run has a {@code backup:} section (picks the JIT)
     * @return true when this call started it
     */
    public boolean ensureRunning(boolean withVault) {
        if (isRunning()) {
            return false;
        }
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        try (FileChannel ch = FileChannel.open(
                home.root().resolve("daemon-start.lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            FileLock turn = waitForTurn(ch, deadline);
            try {
                if (isRunning()) {
                    return false; // the command before us started it
                }
                return start(withVault, deadline);
            } finally {
                turn.release();
            }
        } catch (IOException e) {
            throw new LifelineException(
                    "cannot start the daemon: " + e.getMessage(), "check the permissions of " + home.root());
        }
    }

    private static final Duration START_TIMEOUT = Duration.ofSeconds(30);

    private FileLock waitForTurn(FileChannel ch, long deadline) throws IOException {
        while (true) {
            try {
                FileLock l = ch.tryLock();
                if (l != null) {
                    return l;
                }
            } catch (java.nio.channels.OverlappingFileLockException e) {
                // another thread of this JVM has its turn
            }
            if (System.nanoTime() > deadline) {
                throw new LifelineException(
                        "another command has been starting the daemon for " + START_TIMEOUT.toSeconds() + "s",
                        "see its log: " + home.daemonLog());
            }
            pause();
        }
    }

    private boolean start(boolean withVault, long deadline) {
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
        while (System.nanoTime() < deadline) {
            if (isRunning()) {
                return true;
            }
            if (!s.process().isAlive() && daemonPid().isEmpty()) {
                // (A daemon started another way — systemd — may hold the lock and be about to listen.)
                throw new LifelineException(
                        "the daemon exited at start (code " + s.process().exitValue() + ")",
                        "see its log: " + home.daemonLog());
            }
            pause();
        }
        throw new LifelineException(
                "the daemon did not open its control socket within " + START_TIMEOUT.toSeconds() + "s",
                "see its log: " + home.daemonLog());
    }

    private static void pause() {
        try {
            Thread.sleep(20);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new LifelineException("interrupted while starting the daemon");
        }
    }

    private boolean appliedConfigHasVault() {
        try {
            JsonNode n = Json.parse(Files.readString(home.appliedConfig()));
            List<JsonNode> projects = new ArrayList<>();
            if (n.has("projects")) {
                n.get("projects").forEach(projects::add);
            } else {
                projects.add(n);
            }
            for (JsonNode p : projects) {
                if (LifelineConfig.parse(
                                p.path("text").asText(), Path.of(p.path("path").asText()))
                        .backup()
                        .isPresent()) {
                    return true;
                }
            }
            return false;
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    private static final Messages IGNORE = new Messages() {
        @Override
        public void accept(String kind, JsonNode body) {}
    };

    /** Receives the lines the daemon sends before its result. */
    @FunctionalInterface
    public interface Messages {
        /** {@code kind} is {@code progress} or {@code applied} (see {@link Protocol}). */
        void accept(String kind, JsonNode body);
    }

    /** Sends one request and returns its result, passing progress lines to {@code progress}. */
    public JsonNode call(ObjectNode request, Consumer<JsonNode> progress) {
        return call(request, new Messages() {
            @Override
            public void accept(String kind, JsonNode body) {
                if (kind.equals("progress")) {
                    progress.accept(body);
                }
            }
        });
    }

    /**
     * Sends one request and returns its result, passing the lines before it to {@code messages}.
     * Fails, rather than waiting for ever, when the daemon sends nothing for {@link #timeout()}
     * (a non-blocking channel and a selector: no thread, nothing to interrupt).
     */
    public JsonNode call(ObjectNode request, Messages messages) {
        byte[] bytes = (Json.write(request) + "\n").getBytes(StandardCharsets.UTF_8);
        if (bytes.length > ControlServer.MAX_REQUEST) {
            // The daemon would stop reading it, and this side would wait writing the rest.
            throw new LifelineException(
                    "the request to the daemon is " + (bytes.length >> 20) + " MiB, over its limit of "
                            + (ControlServer.MAX_REQUEST >> 20) + " MiB",
                    "keep lifeline.yaml under 1 MiB");
        }
        Duration limit = timeout();
        try (SocketChannel ch = connect();
                Selector selector = Selector.open()) {
            SelectionKey key = ch.register(selector, SelectionKey.OP_WRITE);
            ByteBuffer out = ByteBuffer.wrap(bytes);
            while (out.hasRemaining()) {
                if (ch.write(out) == 0) {
                    await(selector, limit);
                }
            }
            key.interestOps(SelectionKey.OP_READ);
            ByteBuffer in = ByteBuffer.allocate(16 << 10);
            ByteArrayOutputStream line = new ByteArrayOutputStream();
            while (true) {
                int n = ch.read(in);
                if (n < 0) {
                    throw new LifelineException(
                            "the daemon closed the connection without an answer", "see its log: " + home.daemonLog());
                }
                if (n == 0) {
                    await(selector, limit);
                    continue;
                }
                in.flip();
                while (in.hasRemaining()) {
                    byte b = in.get();
                    if (b != '\n') {
                        line.write(b);
                        if (line.size() > MAX_REPLY) {
                            throw new LifelineException(
                                    "the daemon sent a line over " + (MAX_REPLY >> 20) + " MiB", "see its log");
                        }
                        continue;
                    }
                    JsonNode msg = Json.parse(line.toString(StandardCharsets.UTF_8));
                    line.reset();
                    if (msg.has("ok")) {
                        if (msg.path("ok").asBoolean()) {
                            return msg.get("result");
                        }
                        throw new LifelineException(
                                msg.path("error").asText("the daemon refused"),
                                msg.hasNonNull("hint") ? msg.get("hint").asText() : null);
                    }
                    if (!msg.has("heartbeat") && msg.size() > 0) {
                        Map.Entry<String, JsonNode> e =
                                msg.properties().iterator().next();
                        messages.accept(e.getKey(), e.getValue());
                    }
                }
                in.clear();
            }
        } catch (IOException e) {
            throw new LifelineException(
                    "cannot reach the daemon at " + home.socket() + ": " + e.getMessage(),
                    "start it with 'lifeline up' (or see " + home.daemonLog() + ")");
        }
    }

    /** Waits until the channel can go on; the daemon does not answer when that takes {@code limit}. */
    private void await(Selector selector, Duration limit) throws IOException {
        if (selector.select(Math.max(1, limit.toMillis())) == 0) {
            throw notAnswering(limit);
        }
        selector.selectedKeys().clear();
    }

    /** The longest line the daemon may send (a status of very many services fits easily). */
    private static final int MAX_REPLY = 64 << 20;

    private LifelineException notAnswering(Duration limit) {
        Optional<Long> pid = daemonPid();
        String who = pid.map(p -> "the daemon (pid " + p + ")").orElse("the daemon");
        String state = pid.flatMap(Procfs::read)
                .map(p -> p.state() == 'T' || p.state() == 't' ? " — it is stopped (state " + p.state() + ")" : "")
                .orElse("");
        String p = pid.map(String::valueOf).orElse("PID");
        return new LifelineException(
                who + " does not answer: nothing from it for " + limit.toSeconds() + "s" + state,
                (state.isEmpty() ? "" : "'kill -CONT " + p + "' resumes it; ")
                        + "if it stays stuck, 'kill " + p + "' ends it (the services keep running; the next"
                        + " lifeline command starts a new daemon, which adopts them); its log: " + home.daemonLog());
    }

    public JsonNode call(String op, Map<String, ?> args) {
        ObjectNode req = Json.object();
        req.put("op", op);
        req.setAll(Json.object(args));
        return call(req, IGNORE);
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
}
