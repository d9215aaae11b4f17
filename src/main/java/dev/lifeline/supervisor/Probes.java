package dev.lifeline.supervisor;

import dev.lifeline.process.Ports;
import java.io.IOException;
import java.io.InputStream;
import java.io.RandomAccessFile;
import java.net.HttpURLConnection;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.regex.Pattern;

/** The checks behind readiness and liveness. Each answers within its timeout. */
final class Probes {
    private Probes() {}

    /** An HTTP GET on 127.0.0.1; any answer below 500 counts (a login redirect is a live app). */
    static boolean http(int port, String path, int timeoutMillis) {
        HttpURLConnection c = null;
        try {
            c = (HttpURLConnection) new URL("http://127.0.0.1:" + port + path).openConnection();
            c.setConnectTimeout(timeoutMillis);
            c.setReadTimeout(timeoutMillis);
            c.setInstanceFollowRedirects(false);
            c.setUseCaches(false);
            int code = c.getResponseCode();
            try (InputStream in = code < 400 ? c.getInputStream() : c.getErrorStream()) {
                if (in != null) {
                    in.readNBytes(64 * 1024);
                }
            }
            return code < 500;
        } catch (IOException e) {
            return false;
        } finally {
            if (c != null) {
                c.disconnect();
            }
        }
    }

    static boolean tcp(int port, int timeoutMillis) {
        return Ports.answers("127.0.0.1", port, timeoutMillis);
    }

    /**
     * Scans the log from {@code offset[0]} for {@code pattern}, advancing the offset past whole
     * lines read, so each byte is read once however long the model takes to load.
     */
    static boolean logMatches(Path log, long[] offset, Pattern pattern) {
        try (RandomAccessFile f = new RandomAccessFile(log.toFile(), "r")) {
            long len = f.length();
            if (len < offset[0]) {
                offset[0] = 0; // rotated (copy-truncate)
            }
            if (len == offset[0]) {
                return false;
            }
            int n = (int) Math.min(len - offset[0], 4 << 20);
            byte[] buf = new byte[n];
            f.seek(offset[0]);
            f.readFully(buf);
            int lastNl = -1;
            for (int i = n - 1; i >= 0; i--) {
                if (buf[i] == '\n') {
                    lastNl = i;
                    break;
                }
            }
            String text = new String(buf, 0, n, StandardCharsets.UTF_8);
            for (String line : text.split("\n")) {
                if (pattern.matcher(line).find()) {
                    return true;
                }
            }
            if (lastNl >= 0) {
                offset[0] += lastNl + 1;
            }
            return false;
        } catch (IOException e) {
            return false;
        }
    }
}
