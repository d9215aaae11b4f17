package dev.lifeline.daemon;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lifeline.core.Json;
import dev.lifeline.core.LifelineException;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
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
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The daemon's control socket: a Unix domain socket in the state folder, readable and writable
 * by its owner only. One request per connection, handled on its own named thread.
 */
final class ControlServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ControlServer.class);

    /** Handles one request; may send progress lines before its result. */
    @FunctionalInterface
    interface Op {
        JsonNode handle(JsonNode request, Consumer<ObjectNode> progress) throws Exception;
    }

    private final Path socketPath;
    private final Map<String, Op> ops = new ConcurrentHashMap<>();
    private final ExecutorService workers;
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
    }

    void register(String name, Op op) {
        ops.put(name, op);
    }

    void start() throws IOException {
        Files.deleteIfExists(socketPath); // stale: the daemon lock proved no daemon owns it
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

    private void serve(SocketChannel ch) {
        try (ch;
                BufferedReader in =
                        new BufferedReader(new InputStreamReader(Channels.newInputStream(ch), StandardCharsets.UTF_8));
                OutputStream out = Channels.newOutputStream(ch)) {
            String line = in.readLine();
            if (line == null) {
                return;
            }
            ObjectNode reply = Json.object();
            try {
                JsonNode req = Json.parse(line);
                String name = req.path("op").asText();
                Op op = ops.get(name);
                if (op == null) {
                    throw new LifelineException(
                            "the daemon does not know the request '" + name + "'",
                            "the daemon may be older than this command: run 'lifeline down' and 'lifeline up' again");
                }
                JsonNode result = op.handle(req, p -> {
                    ObjectNode msg = Json.object();
                    msg.set("progress", p);
                    write(out, msg);
                });
                reply.put("ok", true);
                reply.set("result", result);
            } catch (LifelineException e) {
                reply.put("ok", false);
                reply.put("error", e.getMessage());
                if (e.hint() != null) {
                    reply.put("hint", e.hint());
                }
            } catch (ClientGone e) {
                return;
            } catch (Exception | LinkageError e) {
                // LinkageError: a class the daemon had not loaded yet is gone from its jar.
                LOG.error("request failed", e);
                reply.put("ok", false);
                reply.put("error", "the daemon failed: " + e);
                reply.put("hint", "see the daemon log");
            }
            write(out, reply);
        } catch (IOException | RuntimeException e) {
            LOG.debug("control connection ended: {}", e.toString());
        }
    }

    /** The client hung up (Ctrl-C while waiting); the work it asked for goes on. */
    static final class ClientGone extends RuntimeException {
        ClientGone(IOException cause) {
            super(cause);
        }
    }

    private static void write(OutputStream out, JsonNode msg) {
        try {
            out.write((Json.write(msg) + "\n").getBytes(StandardCharsets.UTF_8));
            out.flush();
        } catch (IOException e) {
            throw new ClientGone(e);
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            if (server != null) {
                server.close();
            }
            Files.deleteIfExists(socketPath);
        } catch (IOException e) {
            // closing anyway
        }
        workers.shutdownNow();
        try {
            workers.awaitTermination(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
