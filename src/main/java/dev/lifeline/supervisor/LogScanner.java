package dev.lifeline.supervisor;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.regex.Pattern;

/**
 * Looks for a readiness line in a service's log as it grows, reading each byte once: a poll reads
 * at most {@link #CHUNK} new bytes from where the last one stopped. Lines end at {@code \n} or
 * {@code \r} (a progress bar redraws its line with {@code \r} alone), and of a line without an end
 * (a tqdm bar of many megabytes) only the last {@link #CARRY} bytes are kept, so neither hides a
 * later ready line and memory stays bounded. The log is never opened through a link. Thread-safe; no lock is held across anything but a
 * file read.
 */
final class LogScanner {
    static final int CHUNK = 1 << 20;
    static final int CARRY = 64 << 10;

    private final Path log;
    private final Pattern pattern;
    private long offset;
    private byte[] carry = new byte[0];
    private long bytesRead;

    /** Scans {@code log} from byte {@code from} (where this run's output begins). */
    LogScanner(Path log, Pattern pattern, long from) {
        this.log = log;
        this.pattern = pattern;
        this.offset = from;
    }

    /** True when a line written since the last call (or the unfinished last one) matches. */
    synchronized boolean matches() {
        try (FileChannel f = FileChannel.open(log, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS)) {
            long len = f.size();
            if (len < offset) {
                offset = 0; // truncated under us (copy-truncate rotation)
                carry = new byte[0];
            }
            if (len == offset) {
                return false;
            }
            int n = (int) Math.min(len - offset, CHUNK);
            byte[] buf = new byte[carry.length + n];
            System.arraycopy(carry, 0, buf, 0, carry.length);
            ByteBuffer bb = ByteBuffer.wrap(buf, carry.length, n);
            while (bb.hasRemaining() && f.read(bb, offset + bb.position() - carry.length) > 0) {
                // positional reads until the chunk is in
            }
            n = bb.position() - carry.length;
            if (n < buf.length - carry.length) {
                buf = Arrays.copyOf(buf, carry.length + n);
            }
            offset += n;
            bytesRead += n;
            int lineStart = 0;
            for (int i = 0; i < buf.length; i++) {
                if (buf[i] == '\n' || buf[i] == '\r') {
                    if (i > lineStart && matches(buf, lineStart, i)) {
                        carry = new byte[0];
                        return true;
                    }
                    lineStart = i + 1;
                }
            }
            int rest = buf.length - lineStart;
            int keep = Math.min(rest, CARRY);
            carry = Arrays.copyOfRange(buf, buf.length - keep, buf.length);
            return keep > 0 && matches(carry, 0, keep);
        } catch (IOException e) {
            return false; // no log yet
        }
    }

    private boolean matches(byte[] b, int from, int to) {
        return pattern.matcher(new String(b, from, to - from, StandardCharsets.UTF_8))
                .find();
    }

    /** The log was rotated: {@code rotatedBytes} moved to the older generation. */
    synchronized void rotated(long rotatedBytes) {
        offset = Math.max(0, offset - rotatedBytes);
    }

    /** How many bytes all polls together have read (each byte once). */
    synchronized long bytesRead() {
        return bytesRead;
    }
}
