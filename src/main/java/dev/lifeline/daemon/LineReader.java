package dev.lifeline.daemon;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

/** Reads protocol lines of at most a given length, so a peer cannot make us hold an unbounded one. */
final class LineReader {
    private final InputStream in;
    private final int max;
    private final byte[] buf = new byte[8192];
    private int pos;
    private int end;

    /** A line longer than the limit; the rest of it is not read. */
    static final class TooLong extends IOException {
        TooLong(int max) {
            super("a line longer than " + max + " bytes");
        }
    }

    LineReader(InputStream in, int max) {
        this.in = in;
        this.max = max;
    }

    /** The next line without its newline, or null at the end of the stream. */
    String readLine() throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        while (true) {
            if (pos == end) {
                end = in.read(buf);
                pos = 0;
                if (end <= 0) {
                    end = 0;
                    return line.size() == 0 ? null : line.toString(StandardCharsets.UTF_8);
                }
            }
            int start = pos;
            while (pos < end && buf[pos] != '\n') {
                pos++;
            }
            if (line.size() + (pos - start) > max) {
                throw new TooLong(max);
            }
            line.write(buf, start, pos - start);
            if (pos < end) {
                pos++; // the newline
                return line.toString(StandardCharsets.UTF_8);
            }
        }
    }
}
