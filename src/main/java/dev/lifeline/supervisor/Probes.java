package dev.lifeline.supervisor;

import dev.lifeline.process.Ports;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/** The checks behind readiness and liveness. Each answers within its timeout. */
final class Probes {
    private Probes() {}

    /**
     * An HTTP GET on 127.0.0.1; any answer below 500 counts (a login redirect is a live app). A
     * plain socket and HTTP/1.0, not {@code HttpURLConnection}: no keep-alive cache or its timer
     * thread, no proxy look-up, and a few hundred fewer classes in the daemon.
     */
    static boolean http(int port, String path, int timeoutMillis) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), timeoutMillis);
            s.setSoTimeout(timeoutMillis);
            OutputStream out = s.getOutputStream();
            out.write(("GET " + path + " HTTP/1.0\r\nHost: 127.0.0.1:" + port + "\r\nUser-Agent: lifeline-probe\r\n"
                            + "Connection: close\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = s.getInputStream();
            byte[] head = new byte[16];
            int n = 0;
            while (n < 12) {
                int r = in.read(head, n, head.length - n);
                if (r < 0) {
                    return false;
                }
                n += r;
            }
            String status = new String(head, 0, n, StandardCharsets.US_ASCII);
            if (!status.startsWith("HTTP/")) {
                return false;
            }
            int sp = status.indexOf(' ');
            int code = Integer.parseInt(status.substring(sp + 1, sp + 4));
            return code < 500;
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    static boolean tcp(int port, int timeoutMillis) {
        return Ports.answers("127.0.0.1", port, timeoutMillis);
    }
}
