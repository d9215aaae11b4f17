package dev.lifeline.catalog.meta;

import java.io.ByteArrayOutputStream;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;

/**
 * zlib and gzip inflation with a hard cap on what comes out: a zip bomb stops at the cap and
 * counts as unreadable, never as a gigabyte in memory. Defaults: {@link #CHUNK_CAP} 1 MiB per
 * compressed entry, {@link #TOTAL_CAP} 8 MiB per file.
 */
final class Inflate {
    static final int CHUNK_CAP = 1024 * 1024;
    static final int TOTAL_CAP = 8 * 1024 * 1024;

    private Inflate() {}

    /** Bytes one file may still inflate. */
    static final class Budget {
        private long left;

        Budget(long left) {
            this.left = left;
        }
    }

    /** The inflated bytes of a zlib stream, or null when it is broken or would pass a cap. */
    static byte[] zlib(byte[] data, int off, int len, Budget budget) {
        return run(new Inflater(false), data, off, len, budget);
    }

    /** The inflated bytes of a gzip member (header without extra fields, as Python writes it), or null. */
    static byte[] gzip(byte[] data, Budget budget) {
        if (data.length < 18 || (data[0] & 0xff) != 0x1f || (data[1] & 0xff) != 0x8b || data[2] != 8) {
            return null;
        }
        int flags = data[3] & 0xff;
        int p = 10;
        if ((flags & 4) != 0) { // FEXTRA
            if (p + 2 > data.length) {
                return null;
            }
            p += 2 + ((data[p] & 0xff) | ((data[p + 1] & 0xff) << 8));
        }
        for (int bit : new int[] {8, 16}) { // FNAME, FCOMMENT: zero-terminated
            if ((flags & bit) != 0) {
                while (p < data.length && data[p] != 0) {
                    p++;
                }
                p++;
            }
        }
        if ((flags & 2) != 0) {
            p += 2;
        }
        if (p >= data.length) {
            return null;
        }
        return run(new Inflater(true), data, p, data.length - p, budget);
    }

    private static byte[] run(Inflater inf, byte[] data, int off, int len, Budget budget) {
        long cap = Math.min(CHUNK_CAP, budget.left);
        try {
            inf.setInput(data, off, len);
            ByteArrayOutputStream out = new ByteArrayOutputStream(Math.min(len * 4 + 64, 64 * 1024));
            byte[] buf = new byte[16 * 1024];
            int stalls = 0;
            while (!inf.finished()) {
                int n = inf.inflate(buf);
                if (n == 0) {
                    if (inf.needsInput() || inf.needsDictionary() || ++stalls > 3) {
                        break; // truncated stream
                    }
                    continue;
                }
                if (out.size() + n > cap) {
                    budget.left = 0;
                    return null;
                }
                out.write(buf, 0, n);
            }
            budget.left -= out.size();
            return inf.finished() ? out.toByteArray() : null;
        } catch (DataFormatException e) {
            return null;
        } finally {
            inf.end();
        }
    }
}
