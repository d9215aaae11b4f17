package dev.lifeline.tunnel;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A TCP relay on 127.0.0.1 that injects the faults real networks have: a black hole (bytes stop
 * moving both ways, sockets stay open, no FIN or RST; new connections wait unanswered, like a
 * dead NAT entry or a Wi-Fi switch), a reset of every connection, and added delay.
 */
final class FaultRelay implements AutoCloseable {
    private final ServerSocket server;
    private final int target;
    private final Object gate = new Object();
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();
    private final List<Thread> threads = new CopyOnWriteArrayList<>();
    private final Thread acceptor;
    private volatile boolean blackhole;
    private volatile long delayMillis;
    private volatile boolean closed;

    FaultRelay(int targetPort) throws IOException {
        this(targetPort, 0);
    }

    FaultRelay(int targetPort, int listenPort) throws IOException {
        this.target = targetPort;
        this.server = new ServerSocket();
        server.setReuseAddress(true);
        server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), listenPort), 50);
        acceptor = new Thread(this::acceptLoop, "test-relay-accept-" + server.getLocalPort());
        acceptor.setDaemon(true);
        acceptor.start();
    }

    int port() {
        return server.getLocalPort();
    }

    void blackhole() {
        blackhole = true;
    }

    void restore() {
        synchronized (gate) {
            blackhole = false;
            gate.notifyAll();
        }
    }

    void delay(Duration d) {
        delayMillis = d.toMillis();
    }

    /** Resets every open connection (RST, as when a NAT box or server drops its state). */
    void resetAll() {
        for (Socket s : new ArrayList<>(sockets)) {
            try {
                s.setSoLinger(true, 0);
                s.close();
            } catch (IOException e) {
                // already gone
            }
        }
        sockets.clear();
    }

    int openConnections() {
        return (int) sockets.stream().filter(s -> !s.isClosed()).count() / 2;
    }

    private void acceptLoop() {
        while (!closed) {
            Socket c;
            try {
                c = server.accept();
            } catch (IOException e) {
                return;
            }
            try {
                awaitPassing();
                Socket d = new Socket(InetAddress.getLoopbackAddress(), target);
                sockets.add(c);
                sockets.add(d);
                pump(c, d);
                pump(d, c);
            } catch (IOException e) {
                close(c);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private void pump(Socket from, Socket to) {
        Thread t = new Thread(
                () -> {
                    byte[] buf = new byte[64 * 1024];
                    try (InputStream in = from.getInputStream();
                            OutputStream out = to.getOutputStream()) {
                        int n;
                        while ((n = in.read(buf)) >= 0) {
                            awaitPassing();
                            long d = delayMillis;
                            if (d > 0) {
                                Thread.sleep(d); // the injected fault itself: added latency on the link
                            }
                            out.write(buf, 0, n);
                        }
                    } catch (IOException | InterruptedException e) {
                        // connection ended or relay closed
                    } finally {
                        close(from);
                        close(to);
                        sockets.remove(from);
                        sockets.remove(to);
                        threads.remove(Thread.currentThread());
                    }
                },
                "test-relay-pump-" + server.getLocalPort());
        t.setDaemon(true);
        threads.add(t);
        t.start();
    }

    private void awaitPassing() throws InterruptedException {
        synchronized (gate) {
            while (blackhole && !closed) {
                gate.wait(100);
            }
        }
    }

    private static void close(Socket s) {
        try {
            s.close();
        } catch (IOException e) {
            // nothing to do
        }
    }

    @Override
    public void close() {
        closed = true;
        restore();
        try {
            server.close();
        } catch (IOException e) {
            // closing
        }
        resetAll();
        try {
            acceptor.join(2000);
            for (Thread t : new ArrayList<>(threads)) {
                t.join(2000);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
