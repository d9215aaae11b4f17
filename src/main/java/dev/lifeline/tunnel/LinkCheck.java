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
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.LockSupport;

/**
 * Lifeline's probes through the running ssh.
 *
 * <p>The link check writes {@code ^R} (the terminal's "reprint line" key) into Lifeline's own
 * session ({@link Session#PTY}): the server's pty echoes it at once ({@code ^R} and a new line),
 * nothing is buffered on the server however many checks are made, and no server logs it. The echo
 * is a full round trip through the SSH connection to the server, whatever the app behind the
 * forwards is doing. Nothing back within the timeout: the link is dead (or so slow that it is
 * useless).
 *
 * <p>Forward probes then say whether each remote end answers: the server closing the connection
 * at once means nothing listens there.
 */
final class LinkCheck {
    /** VREPRINT: echoed by a pty in canonical mode (the default), never stored in its input. */
    static final int PROBE_BYTE = 0x12;

    private static final int DRAIN_MAX = 1 << 20;

    enum Result {
        /** Link check: the round trip came back. Forward probe: the remote end accepted or replied. */
        ANSWERS,
        /** Forward probe: the channel was refused (nothing listens on the remote end). */
        REFUSED,
        /** Nothing came back within the timeout. */
        SILENT
    }

    record Outcome(Result result, long millis) {}

    /**
     * The remote ends after a round of forward probes.
     *
     * @param answers per forward, in order: whether its remote end answered
     * @param down in words, what is wrong with each remote end that did not
     */
    record RemoteEnds(List<Boolean> answers, List<String> down) {
        RemoteEnds {
            answers = List.copyOf(answers);
            down = List.copyOf(down);
        }
    }

    private LinkCheck() {}

    /**
     * One round trip through the link: {@code ^R} to ssh's stdin, then its echo on ssh's stdout
     * ({@code ^R} as the pty shows it, or the byte itself where no pty turns it into two). Other
     * output (a late echo of an earlier check, or what a command of the server's own prints) is
     * discarded and does not count. No thread of its own: stdout is polled, first every 0.2 ms, so
     * a fast link measures true.
     */
    static Outcome echo(Process ssh, Duration timeout) {
        InputStream in = ssh.getInputStream();
        OutputStream out = ssh.getOutputStream();
        byte[] buf = new byte[4096];
        try {
            drain(in, buf);
            long t0 = System.nanoTime();
            long deadline = t0 + timeout.toNanos();
            out.write(PROBE_BYTE);
            out.flush();
            long pause = 200_000;
            int last = -1; // the byte before this read: "^" and "R" may come in two reads
            while (System.nanoTime() < deadline) {
                for (int n, seen = 0; seen < DRAIN_MAX && (n = in.available()) > 0; ) {
                    int got = in.read(buf, 0, Math.min(n, buf.length));
                    seen += Math.max(0, got);
                    for (int i = 0; i < got; i++) {
                        int b = buf[i] & 0xff;
                        if (b == PROBE_BYTE || (b == 'R' && last == '^')) {
                            drain(in, buf);
                            return new Outcome(Result.ANSWERS, elapsed(t0));
                        }
                        last = b;
                    }
                }
                if (!ssh.isAlive()) {
                    break; // its exit says why
                }
                LockSupport.parkNanos(pause);
                pause = Math.min(pause * 2, 5_000_000);
            }
            return new Outcome(Result.SILENT, elapsed(t0));
        } catch (IOException e) {
            return new Outcome(Result.SILENT, 0); // ssh is exiting: its exit says why
        }
    }

    /** Discards what is waiting, at most {@value #DRAIN_MAX} bytes: a session that floods stdout cannot hold us. */
    private static void drain(InputStream in, byte[] buf) throws IOException {
        int total = 0;
        for (int n; total < DRAIN_MAX && (n = in.available()) > 0; ) {
            int got = in.read(buf, 0, Math.min(n, buf.length));
            if (got < 0) {
                return;
            }
            total += got;
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

    /** Probes every forward's remote end ({@link #forward}), one after another. */
    static RemoteEnds remoteEnds(
            List<TunnelSpec.Forward> forwards, TunnelSpec.Probe probe, Duration window, Duration timeout) {
        List<Boolean> answers = new ArrayList<>();
        List<String> down = new ArrayList<>();
        for (TunnelSpec.Forward f : forwards) {
            Outcome o = forward(f, probe, window, timeout);
            boolean ok = o.result() == Result.ANSWERS;
            answers.add(ok);
            if (!ok) {
                down.add(
                        o.result() == Result.REFUSED
                                ? "nothing listens on " + f.remote() + " on the server"
                                : f.remote() + " on the server accepts but does not answer " + probe.httpPath());
            }
        }
        return new RemoteEnds(answers, down);
    }

    private static long elapsed(long t0) {
        return (System.nanoTime() - t0) / 1_000_000;
    }
}
