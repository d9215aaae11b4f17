package dev.lifeline.tunnel;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/** The "model web app" on the server side: an HTTP server on 127.0.0.1 answering "ok" on every path. */
public final class TestApp implements AutoCloseable {
    private final HttpServer server;
    private final ExecutorService pool;

    public TestApp() throws IOException {
        this(0);
    }

    public TestApp(int port) throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 100);
        pool = Executors.newFixedThreadPool(16, r -> {
            Thread t = new Thread(r, "test-app");
            t.setDaemon(true);
            return t;
        });
        server.setExecutor(pool);
        server.createContext("/blob", ex -> {
            int mb = Integer.parseInt(ex.getRequestURI().getQuery().replace("mb=", ""));
            ex.sendResponseHeaders(200, (long) mb << 20);
            byte[] chunk = new byte[1 << 20];
            try (OutputStream out = ex.getResponseBody()) {
                for (int i = 0; i < mb; i++) {
                    out.write(chunk);
                }
            } catch (IOException e) {
                // the client went away
            }
        });
        server.createContext("/", ex -> {
            byte[] body = "ok".getBytes(StandardCharsets.US_ASCII);
            ex.sendResponseHeaders(200, ex.getRequestMethod().equals("HEAD") ? -1 : body.length);
            try (OutputStream out = ex.getResponseBody()) {
                if (!ex.getRequestMethod().equals("HEAD")) {
                    out.write(body);
                }
            }
        });
        server.start();
    }

    public int port() {
        return server.getAddress().getPort();
    }

    @Override
    public void close() {
        server.stop(0);
        pool.shutdownNow();
        try {
            pool.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** GET over a fresh connection; returns "STATUS BODY", or the exception's text. */
    public static String get(int port, String path, int timeoutMillis) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), timeoutMillis);
            s.setSoTimeout(timeoutMillis);
            s.getOutputStream()
                    .write(("GET " + path + " HTTP/1.0\r\nHost: x\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            InputStream in = s.getInputStream();
            String resp = new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
            if (resp.isEmpty()) {
                return "EOF";
            }
            String status = resp.split(" ", 3)[1];
            return status + " " + resp.substring(resp.indexOf("\r\n\r\n") + 4);
        } catch (IOException e) {
            return e.toString();
        }
    }

    public static int freePort() {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
