package dev.lifeline.testing;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * A real HTTP server on 127.0.0.1 that records every POST body and answers from a script of
 * responses (then 200 {"errcode":0}). {@link #hold()} makes it hang until {@link #release()}.
 */
public final class WebhookReceiver implements AutoCloseable {
    public record Answer(int status, String body) {}

    private final HttpServer server;
    private final ExecutorService pool;
    private final List<String> bodies = new ArrayList<>();
    private final List<URI> uris = new ArrayList<>();
    private final Deque<Answer> script = new ArrayDeque<>();
    private int requests;
    private int arrivals;
    private volatile CountDownLatch gate = new CountDownLatch(0);

    public WebhookReceiver() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        pool = Executors.newFixedThreadPool(4, r -> {
            Thread t = new Thread(r, "test-webhook-receiver");
            t.setDaemon(true);
            return t;
        });
        server.setExecutor(pool);
        server.createContext("/", this::handle);
        server.start();
    }

    public URI uri(String pathAndQuery) {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + pathAndQuery);
    }

    public synchronized WebhookReceiver thenAnswer(int status, String body) {
        script.addLast(new Answer(status, body));
        return this;
    }

    public synchronized List<String> bodies() {
        return List.copyOf(bodies);
    }

    /** The request URIs (path and query) of the answered posts, in order. */
    public synchronized List<URI> uris() {
        return List.copyOf(uris);
    }

    public synchronized int requests() {
        return requests;
    }

    /** Requests that reached the server, answered or still held. */
    public synchronized int arrivals() {
        return arrivals;
    }

    public void hold() {
        gate = new CountDownLatch(1);
    }

    public void release() {
        gate.countDown();
    }

    private void handle(HttpExchange x) throws IOException {
        String body = new String(x.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
        synchronized (this) {
            arrivals++;
        }
        try {
            gate.await(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        Answer a;
        synchronized (this) {
            requests++;
            a = script.isEmpty() ? new Answer(200, "{\"errcode\":0,\"errmsg\":\"ok\"}") : script.removeFirst();
            if (a.status() / 100 == 2) {
                bodies.add(body);
                uris.add(x.getRequestURI());
            }
        }
        byte[] out = a.body().getBytes(StandardCharsets.UTF_8);
        x.sendResponseHeaders(a.status(), out.length == 0 ? -1 : out.length);
        try (OutputStream os = x.getResponseBody()) {
            os.write(out);
        }
    }

    @Override
    public void close() {
        release();
        server.stop(0);
        pool.shutdownNow();
    }
}
