package dev.lifeline.insight;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.function.Consumer;

/**
 * Splits the bytes of a log into lines, with the byte offset where each begins, in bounded
 * memory. A progress bar redraws its line with {@code \r}: such a line is kept in its last state
 * (what a terminal shows), so a tqdm bar of many megabytes without a newline is one short line
 * and never hides the lines after it. A line longer than {@link #MAX_LINE_BYTES} keeps its head
 * and says how much was cut. {@code \r\n} ends a line as {@code \n} does.
 *
 * <p>Lines can also be ended at given offsets ({@link #breakAt}): where a new run of the app
 * began, even if the previous run died in the middle of a line.
 *
 * <p>Not thread-safe: one splitter per reader.
 */
final class LineSplitter {
    /** Bytes of one line kept; the rest is counted, not kept. */
    static final int MAX_LINE_BYTES = 64 * 1024;

    /** One line of the log. */
    record Line(long offset, String text) {}

    private final Consumer<Line> out;
    private final int max;
    private final byte[] buf;
    private int len;
    private long cut;
    private long position;
    private long lineStart;
    private boolean afterCr;
    private boolean open;
    private long[] breaks = new long[0];
    private int nextBreak;

    LineSplitter(long startOffset, Consumer<Line> out) {
        this(startOffset, MAX_LINE_BYTES, out);
    }

    LineSplitter(long startOffset, int maxLineBytes, Consumer<Line> out) {
        this.out = out;
        this.max = maxLineBytes;
        this.buf = new byte[maxLineBytes];
        this.position = startOffset;
        this.lineStart = startOffset;
    }

    /** Lines also end at these offsets (sorted or not); offsets already passed are ignored. */
    void breakAt(long... offsets) {
        breaks = offsets.clone();
        Arrays.sort(breaks);
        nextBreak = 0;
        skipPassedBreaks();
    }

    /** The offset of the next byte to feed. */
    long position() {
        return position;
    }

    void feed(byte[] b, int off, int n) {
        for (int i = off; i < off + n; i++) {
            if (nextBreak < breaks.length && position == breaks[nextBreak]) {
                if (open) {
                    end();
                }
                nextBreak++;
                skipPassedBreaks();
            }
            byte c = b[i];
            if (!open) {
                lineStart = position;
                open = true;
            }
            position++;
            if (c == '\n') {
                end();
            } else if (c == '\r') {
                afterCr = true;
            } else {
                if (afterCr) {
                    len = 0; // the line was redrawn: keep only its last state
                    cut = 0;
                    afterCr = false;
                }
                if (len < max) {
                    buf[len++] = c;
                } else {
                    cut++;
                }
            }
        }
    }

    /** Ends a last line that has no newline (end of file). */
    void finish() {
        if (open) {
            end();
        }
    }

    private void skipPassedBreaks() {
        while (nextBreak < breaks.length && breaks[nextBreak] < position) {
            nextBreak++;
        }
    }

    private void end() {
        String text = new String(buf, 0, len, StandardCharsets.UTF_8);
        if (cut > 0) {
            text += " … [" + cut + " more bytes not shown]";
        }
        long start = lineStart;
        len = 0;
        cut = 0;
        afterCr = false;
        open = false;
        out.accept(new Line(start, text));
    }
}
