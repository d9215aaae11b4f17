package dev.lifeline.backup;

import java.io.IOException;
import java.io.OutputStream;
import java.io.Writer;

/**
 * How a manifest path (which may hold the lone surrogates of a name that is not UTF-8, see {@link
 * Names}) reaches a person or a tool.
 *
 * <ul>
 *   <li>For a person ({@code backup ls}, {@code backup diff}): {@link #shell} quotes a name that is
 *       not UTF-8 or holds a control character the way bash's {@code printf %q} and GNU {@code ls}
 *       on a terminal do, {@code $'img\377.png'}, so it can be recognised and pasted into a shell,
 *       and a name cannot send escape sequences to the terminal. Other names print as they are.
 *   <li>For a tool ({@code backup sums} into {@code sha256sum -c}): {@link #bytes} writes every
 *       such surrogate as its original byte (Python's "surrogateescape" on output), so the
 *       checker opens the very file.
 * </ul>
 */
public final class NameOutput {
    private NameOutput() {}

    /** {@code path} as a person can read it and a shell can take it back. */
    public static String shell(String path) {
        boolean plain = true;
        for (int i = 0; i < path.length() && plain; i++) {
            char c = path.charAt(i);
            plain = c >= 0x20 && c != 0x7f && !(c >= 0x80 && c <= 0x9f) && !Character.isSurrogate(c);
            if (Character.isHighSurrogate(c) && i + 1 < path.length() && Character.isLowSurrogate(path.charAt(i + 1))) {
                plain = true; // a pair: a character outside the BMP
                i++;
            }
        }
        if (plain) {
            return path;
        }
        StringBuilder sb = new StringBuilder(path.length() + 8).append("$'");
        for (int i = 0; i < path.length(); i++) {
            char c = path.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < path.length() && Character.isLowSurrogate(path.charAt(i + 1))) {
                sb.append(c).append(path.charAt(++i));
            } else if (c == '\'' || c == '\\') {
                sb.append('\\').append(c);
            } else if (c >= 0x20 && c != 0x7f && !(c >= 0x80 && c <= 0x9f) && !Character.isSurrogate(c)) {
                sb.append(c);
            } else {
                // a byte that is not UTF-8 (or a lone surrogate's UTF-8), or a control character's bytes
                for (byte b : Names.encode(String.valueOf(c))) {
                    sb.append('\\').append(Integer.toOctalString(0x200 | (b & 0xFF)), 1, 4);
                }
            }
        }
        return sb.append('\'').toString();
    }

    /**
     * A writer of UTF-8 to {@code out} that writes each lone surrogate U+DC80..U+DCFF as the byte it
     * stands for: the exact bytes of every name. Flushing flushes {@code out}.
     */
    public static Writer bytes(OutputStream out) {
        return new Writer() {
            private final StringBuilder pending = new StringBuilder();

            @Override
            public void write(char[] cbuf, int off, int len) throws IOException {
                pending.append(cbuf, off, len);
                if (pending.length() >= 8192) {
                    drain(false);
                }
            }

            private void drain(boolean all) throws IOException {
                int n = pending.length();
                if (!all && n > 0 && Character.isHighSurrogate(pending.charAt(n - 1))) {
                    n--; // its low half may come with the next write
                }
                out.write(Names.encode(pending.substring(0, n)));
                pending.delete(0, n);
            }

            @Override
            public void flush() throws IOException {
                drain(false);
                out.flush();
            }

            @Override
            public void close() throws IOException {
                drain(true);
                out.close();
            }
        };
    }
}
