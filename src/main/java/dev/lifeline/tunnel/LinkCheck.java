package dev.lifeline.tunnel;

import dev.lifeline.config.TunnelSpec;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * Lifeline's probes through the running ssh.
 *
 * <p>The link check asks the server, through a forward of its own, to connect to
 * {@value #TARGET} on its loopback, a port where nothing listens. The server answers "open
 * failed" and ssh closes the local socket: that end-of-stream is a full round trip through the
 * SSH connection, whatever the app behind the user's forwards is doing. A link check that gets
 * nothing back within the timeout means the channel never opened: the link is dead (or so slow
 * that it is useless).
 *
 * <p>Forward probes then say whether each remote end answers: the server closing the connection
 * at once means nothing listens there.
 */
final class LinkCheck {
    /** Port 1 (tcpmux) on the server's loopback: refused on any machine we know of. */
    static final String TARGET = "127.0.0.1:1";

    enum Result {
        /** Link check: the round trip came back. Forward probe: the remote end accepted or replied. */
        ANSWERS,
        /** Forward probe: the channel was refused (nothing listens on the remote end). */
        REFUSED,
        /** Nothing came back within the timeout. */
        SILENT
    }

    record Outcome(Result result, long millis) {}

    private LinkCheck() {}

    /** One round trip through the link via the closed-port forward on {@code port}. */
    static Outcome link(int port, Duration timeout) {
        long t0 = System.nanoTime();
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), (int) timeout.toMillis());
            s.setSoTimeout((int) Math.max(1, timeout.toMillis() - elapsed(t0)));
            // EOF is the expected answer; a byte would mean something listens on the target: still a round trip
            s.getInputStream().read();
            return new Outcome(Result.ANSWERS, elapsed(t0));
        } catch (SocketTimeoutException e) {
            return new Outcome(Result.SILENT, elapsed(t0));
        } catch (IOException e) {
            // reset (also a round trip) or the local listener is gone (ssh is exiting: its exit says why)
            return new Outcome(
                    e.getMessage() != null && e.getMessage().contains("reset") ? Result.ANSWERS : Result.SILENT,
                    elapsed(t0));
        }
    }

    /**
     * Whether the remote end of {@code f} answers. TCP: the connection is still open after
     * {@code window} (the server confirmed the channel) or data came. HTTP: any reply to a request
     * for the probe's path within {@code timeout}.
     */
    static Outcome forward(TunnelSpec.Forward f, TunnelSpec.Probe probe, Duration window, Duration timeout) {
        String host =
                f.bind().equals("0.0.0.0") || f.bind().equals("::") || f.bind().equals("localhost")
                        ? "127.0.0.1"
                        : f.bind();
        long t0 = System.nanoTime();
        boolean http = probe.kind() == TunnelSpec.Probe.Kind.HTTP;
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(host, f.localPort()), (int) timeout.toMillis());
            if (http) {
                OutputStream out = s.getOutputStream();
                out.write(("HEAD " + probe.httpPath() + " HTTP/1.0\r\nHost: " + f.remote()
                                + "\r\nUser-Agent: lifeline-probe\r\nConnection: close\r\n\r\n")
                        .getBytes(StandardCharsets.US_ASCII));
                out.flush();
            }
            s.setSoTimeout((int) Math.max(1, (http ? timeout : window).toMillis() - elapsed(t0)));
            InputStream in = s.getInputStream();
            int b = in.read();
            return new Outcome(b < 0 ? Result.REFUSED : Result.ANSWERS, elapsed(t0));
        } catch (SocketTimeoutException e) {
            return new Outcome(http ? Result.SILENT : Result.ANSWERS, elapsed(t0));
        } catch (IOException e) {
            return new Outcome(Result.REFUSED, elapsed(t0));
        }
    }

    private static long elapsed(long t0) {
        return (System.nanoTime() - t0) / 1_000_000;
    }
}
