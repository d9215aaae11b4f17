package dev.lifeline.daemon;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lifeline.core.Json;
import dev.lifeline.core.LifelineException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The daemon's control socket: a Unix domain socket in the state folder, readable and writable
 * by its owner only. One request per connection (see {@link Protocol} for the lines).
 *
 * <p>Each connection has two threads: the connection's own, which is the only one that writes to
 * it and sends a heartbeat when the operation has had nothing to say for {@link #HEARTBEAT}, and
 * the operation's, which never blocks on the client. A client that sends no full request within
 * {@link #REQUEST_TIMEOUT}, a request line over {@link #MAX_REQUEST} bytes, or a client that stops
 * reading for {@link #WRITE_TIMEOUT} ends its connection; nobody else waits for it.
 */
final class ControlServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ControlServer.class);
    /** The longest request line: a 1 MiB config (the client's limit) escaped as JSON, with room. */
    static final int MAX_REQUEST = 4 << 20;

    static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(10);
    static final Duration HEARTBEAT = Duration.ofMillis(500);
    static final Duration WRITE_TIMEOUT = Duration.ofSeconds(30);

    /** What an operation can send before its result. */
    interface Replies {
        /** A progress line ({@code {"progress": …}}). */
        default void progress(JsonNode p) {
            send("progress", p);
        }

        /** A message {@code {kind: body}} before the result. */
        void send(String kind, JsonNode body);
    }

    /** Handles one request; may send messages before its result. */
    @FunctionalInterface
    interface Op {
        JsonNode handle(JsonNode request, Replies replies) throws Exception;
    }

    private final Path socketPath;
    private final Map<String, Op> ops = new ConcurrentHashMap<>();
    private final ExecutorService workers;
    private final ScheduledExecutorService timer;
    private ServerSocketChannel server;
    private Thread acceptor;
    private volatile boolean closed;

    ControlServer(Path socketPath) {
        this.socketPath = socketPath;
        AtomicInteger n = new AtomicInteger();
        this.workers = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "lifeline-control-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        ScheduledThreadPoolExecutor t = new ScheduledThreadPoolExecutor(1, r -> {
            Thread th = new Thread(r, "lifeline-control-timeouts");
            th.setDaemon(true);
            return th;
        });
        t.setRemoveOnCancelPolicy(true);
        t.setKeepAliveTime(30, TimeUnit.SECONDS);
        t.allowCoreThreadTimeOut(true); // no thread while no connection is open
        this.timer = t;
    }

    void register(String name, Op op) {
        ops.put(name, op);
    }

    /** An op nobody registered. */
    static final class UnknownOp extends LifelineException {
        UnknownOp(String name) {
            super(
                    "the daemon does not know the request '" + name + "'",
                    "the daemon may be older than this command: run 'lifeline down' and 'lifeline up' again");
        }
    }

    /**
     * Runs a registered op in the calling thread as a socket request would (the dashboard's way
     * in: one table of ops, no second code path); progress messages are dropped.
     *
     * @throws UnknownOp when no op has that name
     */
    JsonNode invoke(String name, ObjectNode request) throws Exception {
        Op op = ops.get(name);
        if (op == null) {
            throw new UnknownOp(name);
        }
        ObjectNode req = request.deepCopy();
        req.put("op", name);
        return op.handle(req, (kind, body) -> {});
    }

    /** Binds the socket; call only while holding the daemon lock (a socket file left there is stale). */
    void start() throws IOException {
        Files.deleteIfExists(socketPath);
        server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(socketPath));
        try {
            Files.setPosixFilePermissions(socketPath, PosixFilePermissions.fromString("rw-------"));
        } catch (UnsupportedOperationException e) {
            // not POSIX
        }
        acceptor = new Thread(this::acceptLoop, "lifeline-control-accept");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    private void acceptLoop() {
        while (!closed) {
            try {
                SocketChannel ch = server.accept();
                workers.execute(() -> serve(ch));
            } catch (IOException e) {
                if (!closed) {
                    LOG.warn("control socket accept failed: {}", e.toString());
                }
                return;
            }
        }
    }

    private static final JsonNode END = Json.object();

    private void serve(SocketChannel ch) {
        JsonNode req;
        IdleTimeout waiting = new IdleTimeout(ch, REQUEST_TIMEOUT, timer);
        try {
            String line = new LineReader(Channels.newInputStream(ch), MAX_REQUEST).readLine();
            if (line == null) {
                closeQuietly(ch);
                return;
            }
            req = Json.parse(line);
        } catch (LineReader.TooLong e) {
            reject(ch, "the request is over " + (MAX_REQUEST >> 20) + " MiB", "configs are limited to 1 MiB");
            return;
        } catch (IOException | RuntimeException e) {
            LOG.debug("control connection ended before its request: {}", e.toString());
            closeQuietly(ch);
            return;
        } finally {
            waiting.close();
        }
        BlockingQueue<JsonNode> out = new LinkedBlockingQueue<>();
        Connection conn = new Connection(out);
        try {
            workers.execute(() -> out.add(answer(req, conn)));
        } catch (java.util.concurrent.RejectedExecutionException e) {
            reject(ch, "the daemon is shutting down", "run the command again");
            return;
        }
        try (ch;
                OutputStream os = Channels.newOutputStream(ch);
                IdleTimeout writing = new IdleTimeout(ch, WRITE_TIMEOUT, timer)) {
            while (true) {
                JsonNode msg = out.poll(HEARTBEAT.toMillis(), TimeUnit.MILLISECONDS);
                if (msg == null) {
                    msg = Json.object().put("heartbeat", true);
                }
                write(os, msg);
                writing.touch();
                if (msg.has("ok")) {
                    return;
                }
            }
        } catch (IOException e) {
            LOG.debug("control connection ended: {}", e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            conn.gone = true;
        }
    }

    /** Runs the request's operation; the final line. */
    private JsonNode answer(JsonNode req, Connection conn) {
        ObjectNode reply = Json.object();
        try {
            String name = req.path("op").asText();
            Op op = ops.get(name);
            if (op == null) {
                throw new UnknownOp(name);
            }
            JsonNode result = op.handle(req, conn);
            reply.put("ok", true);
            reply.set("result", result);
        } catch (LifelineException e) {
            reply.put("ok", false);
            reply.put("error", e.getMessage());
            if (e.hint() != null) {
                reply.put("hint", e.hint());
            }
        } catch (ClientGone e) {
            reply.put("ok", false).put("error", "the client left");
        } catch (Exception | LinkageError e) {
            // LinkageError: a class the daemon had not loaded yet is gone from its jar.
            LOG.error("request failed", e);
            reply.put("ok", false);
            reply.put("error", "the daemon failed: " + e);
            reply.put("hint", "see the daemon log");
        }
        return reply;
    }

    /** One client's message queue; sending never blocks on the client. */
    private static final class Connection implements Replies {
        private final BlockingQueue<JsonNode> out;
        volatile boolean gone;

        Connection(BlockingQueue<JsonNode> out) {
            this.out = out;
        }

        @Override
        public void send(String kind, JsonNode body) {
            if (gone) {
                throw new ClientGone();
            }
            out.add(Json.object().set(kind, body));
        }
    }

    /** The client hung up (Ctrl-C while waiting); what it asked for so far goes on, its waiting ends. */
    static final class ClientGone extends RuntimeException {
        ClientGone() {
            super("the client left");
        }
    }

    private void reject(SocketChannel ch, String error, String hint) {
        IdleTimeout writing = new IdleTimeout(ch, WRITE_TIMEOUT, timer);
        try (ch;
                OutputStream os = Channels.newOutputStream(ch)) {
            write(os, Json.object().put("ok", false).put("error", error).put("hint", hint));
        } catch (IOException e) {
            LOG.debug("control connection ended: {}", e.toString());
        } finally {
            writing.close();
        }
    }

    private static void write(OutputStream out, JsonNode msg) throws IOException {
        out.write((Json.write(msg) + "\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    private static void closeQuietly(SocketChannel ch) {
        try {
            ch.close();
        } catch (IOException e) {
            // closing anyway
        }
    }

    /** Closes the socket and removes its file, if this server bound it. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            if (server != null) {
                server.close();
                Files.deleteIfExists(socketPath);
            }
        } catch (IOException e) {
            // closing anyway
        }
        workers.shutdownNow();
        timer.shutdownNow();
        try {
            workers.awaitTermination(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
