package dev.lifeline.dashboard;

import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One open Server-Sent Events response. Producers ({@link #offer}) never block: each stream has a
 * bounded queue, and a client that falls {@link #QUEUE} messages behind is closed (it reconnects
 * and reloads what it shows). Its own thread writes, each write under the {@link Watchdog}'s
 * deadline, so a client that stops reading ends its stream and holds nothing.
 */
final class SseStream implements AutoCloseable {
    static final int QUEUE = 256;
    private static final String CLOSE = new String("close");

    private final HttpExchange exchange;
    private final BlockingQueue<String> queue = new ArrayBlockingQueue<>(QUEUE);
    private final AtomicBoolean closed = new AtomicBoolean();
    private final long heartbeatMillis;
    private final Watchdog watchdog;
    private final long writeMillis;
    private volatile AutoCloseable source;

    SseStream(HttpExchange exchange, long heartbeatMillis, Watchdog watchdog, long writeMillis) {
        this.exchange = exchange;
        this.heartbeatMillis = heartbeatMillis;
        this.watchdog = watchdog;
        this.writeMillis = writeMillis;
    }

    void source(AutoCloseable s) {
        this.source = s;
        if (closed.get()) {
            closeSource();
        }
    }

    /** Queues one event; false (and the stream closes) when the client is too far behind. */
    boolean offer(String event, String data) {
        if (closed.get()) {
            return false;
        }
        StringBuilder b = new StringBuilder(data.length() + 32);
        b.append("event: ").append(event.replaceAll("[\\r\\n]", "")).append('\n');
        for (String line : data.split("\n", -1)) {
            b.append("data: ").append(line.replace("\r", "")).append('\n');
        }
        b.append('\n');
        if (!queue.offer(b.toString())) {
            close(); // a slow client: dropped, never waited for
            return false;
        }
        return true;
    }

    /** Writes until closed; runs on the stream's own thread. */
    @SuppressWarnings("try") // the guard only sets a deadline
    void run() {
        OutputStream out = exchange.getResponseBody();
        try {
            write(out, ": connected\n\n");
            while (!closed.get()) {
                String m = queue.poll(heartbeatMillis, TimeUnit.MILLISECONDS);
                if (m == CLOSE) {
                    break;
                }
                write(out, m == null ? ": heartbeat\n\n" : m);
            }
        } catch (IOException e) {
            // the client left, or stopped reading past the deadline
        } catch (InterruptedException e) {
            // the server closes
        } finally {
            close();
            try (Watchdog.Guard g = watchdog.guard(writeMillis)) {
                exchange.close(); // writes the last chunk: under the deadline too
            }
        }
    }

    @SuppressWarnings("try")
    private void write(OutputStream out, String s) throws IOException {
        try (Watchdog.Guard g = watchdog.guard(writeMillis)) {
            out.write(s.getBytes(StandardCharsets.UTF_8));
            out.flush();
        }
    }

    boolean isClosed() {
        return closed.get();
    }

    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        closeSource();
        queue.clear();
        queue.offer(CLOSE); // the writer thread ends the response; a producer never touches the socket
    }

    private void closeSource() {
        AutoCloseable s = source;
        if (s != null) {
            try {
                s.close();
            } catch (Exception e) {
                // closing anyway
            }
        }
    }
}
