package dev.lifeline.catalog.meta;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;

/**
 * Stealth PNG info (the A1111 "stealth pnginfo" extension, NovelAI): the metadata hidden in the
 * least significant bits of the alpha channel ({@code stealth_pnginfo} plain,
 * {@code stealth_pngcomp} gzip) or of R, G and B ({@code stealth_rgbinfo}, {@code
 * stealth_rgbcomp}), read column by column (x outer, y inner), most significant bit first:
 * the 15-byte magic, a 32-bit big-endian length in bits, the payload.
 *
 * <p>This is the only reader that decodes pixels, so it runs only when asked ({@link
 * MetaOptions#stealth()}) and only on 8-bit, non-interlaced RGB/RGBA images of at most {@link
 * #MAX_PIXELS} pixels; it keeps one bit (alpha) or three (RGB) per pixel, not the image.
 */
final class Stealth {
    static final long MAX_PIXELS = 32L * 1024 * 1024;

    private Stealth() {}

    /** The payload text, or null. */
    static String read(Input in, Found found) throws IOException {
        long pos = Png.SIGNATURE.length;
        int w = 0;
        int h = 0;
        int colorType = -1;
        Inflater inf = new Inflater();
        try {
            Bits bits = null;
            int bpp = 0;
            byte[] prev = null;
            byte[] cur = null;
            byte[] row = null;
            int rowFill = 0;
            int y = 0;
            byte[] buf = new byte[64 * 1024];
            for (int n = 0; n < Png.MAX_CHUNKS && pos + 8 <= in.size(); n++) {
                long len = in.u32be(pos);
                String type = new String(in.bytes(pos + 4, 4), StandardCharsets.ISO_8859_1);
                long data = pos + 8;
                if (len > Input.MAX_READ || data + len > in.size()) {
                    return null;
                }
                if (type.equals("IHDR")) {
                    w = (int) Math.min(in.u32be(data), Integer.MAX_VALUE);
                    h = (int) Math.min(in.u32be(data + 4), Integer.MAX_VALUE);
                    colorType = in.u8(data + 9);
                    if (in.u8(data + 8) != 8
                            || in.u8(data + 12) != 0
                            || (colorType != 6 && colorType != 2)
                            || w <= 0
                            || h <= 0
                            || (long) w * h > MAX_PIXELS) {
                        return null;
                    }
                    bpp = colorType == 6 ? 4 : 3;
                    bits = new Bits(w, h, colorType == 6);
                    prev = new byte[w * bpp];
                    cur = new byte[w * bpp];
                    row = new byte[1 + w * bpp];
                } else if (type.equals("IDAT") && bits != null) {
                    inf.setInput(in.bytes(data, len));
                    while (!inf.needsInput() && !inf.finished() && y < h) {
                        int k = inf.inflate(buf);
                        if (k == 0 && (inf.needsDictionary() || !inf.needsInput())) {
                            return null;
                        }
                        for (int i = 0; i < k && y < h; ) {
                            int take = Math.min(k - i, row.length - rowFill);
                            System.arraycopy(buf, i, row, rowFill, take);
                            rowFill += take;
                            i += take;
                            if (rowFill == row.length) {
                                if (!unfilter(row, prev, cur, bpp)) {
                                    return null;
                                }
                                bits.row(y++, cur);
                                byte[] t = prev;
                                prev = cur;
                                cur = t;
                                rowFill = 0;
                            }
                        }
                    }
                } else if (type.equals("IEND")) {
                    break;
                }
                pos = data + len + 4;
            }
            if (bits == null || y < h) {
                return null;
            }
            return bits.payload(found);
        } catch (DataFormatException e) {
            return null;
        } finally {
            inf.end();
        }
    }

    /** Undoes a row's PNG filter into {@code cur}, given the decoded row above in {@code prior}. */
    private static boolean unfilter(byte[] row, byte[] prior, byte[] cur, int bpp) {
        int f = row[0];
        if (f < 0 || f > 4) {
            return false;
        }
        for (int i = 0; i < cur.length; i++) {
            int x = row[i + 1] & 0xff;
            int a = i >= bpp ? cur[i - bpp] & 0xff : 0;
            int b = prior[i] & 0xff;
            int c = i >= bpp ? prior[i - bpp] & 0xff : 0;
            int v = switch (f) {
                case 0 -> x;
                case 1 -> x + a;
                case 2 -> x + b;
                case 3 -> x + ((a + b) >> 1);
                default -> x + paeth(a, b, c);
            };
            cur[i] = (byte) v;
        }
        return true;
    }

    private static int paeth(int a, int b, int c) {
        int p = a + b - c;
        int pa = Math.abs(p - a);
        int pb = Math.abs(p - b);
        int pc = Math.abs(p - c);
        return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
    }

    /** The low bits of every pixel, column-major, then the payload they carry. */
    private static final class Bits {
        private final int w;
        private final int h;
        private final boolean alpha;
        private final long[] a;
        private final long[] rgb;

        Bits(int w, int h, boolean alpha) {
            this.w = w;
            this.h = h;
            this.alpha = alpha;
            long n = (long) w * h;
            a = alpha ? new long[(int) ((n + 63) / 64)] : null;
            rgb = new long[(int) ((n * 3 + 63) / 64)];
        }

        void row(int y, byte[] px) {
            int bpp = alpha ? 4 : 3;
            for (int x = 0; x < w; x++) {
                long idx = (long) x * h + y; // column-major
                int p = x * bpp;
                if (alpha) {
                    set(a, idx, px[p + 3] & 1);
                }
                set(rgb, idx * 3, px[p] & 1);
                set(rgb, idx * 3 + 1, px[p + 1] & 1);
                set(rgb, idx * 3 + 2, px[p + 2] & 1);
            }
        }

        private static void set(long[] bits, long i, int v) {
            if (v != 0) {
                bits[(int) (i >>> 6)] |= 1L << (i & 63);
            }
        }

        String payload(Found found) {
            String s = alpha ? payload(a, (long) w * h, "stealth_pnginfo", "stealth_pngcomp", found) : null;
            return s != null ? s : payload(rgb, (long) w * h * 3, "stealth_rgbinfo", "stealth_rgbcomp", found);
        }

        private static String payload(long[] bits, long count, String plain, String compressed, Found found) {
            if (count < (15 + 4) * 8) {
                return null;
            }
            String magic = new String(bytes(bits, 0, 15), StandardCharsets.ISO_8859_1);
            boolean gz = magic.equals(compressed);
            if (!gz && !magic.equals(plain)) {
                return null;
            }
            byte[] l = bytes(bits, 15 * 8, 4);
            long lenBits = ((l[0] & 0xffL) << 24) | ((l[1] & 0xff) << 16) | ((l[2] & 0xff) << 8) | (l[3] & 0xff);
            long len = lenBits / 8;
            if (len <= 0 || 19 * 8 + len * 8 > count || len > Input.MAX_READ) {
                return null;
            }
            byte[] body = bytes(bits, 19 * 8, (int) len);
            if (!gz) {
                return Text.utf8OrLatin1(body);
            }
            byte[] raw = Inflate.gzip(body, found.budget);
            return raw == null ? null : new String(raw, StandardCharsets.UTF_8);
        }

        private static byte[] bytes(long[] bits, long from, int n) {
            byte[] out = new byte[n];
            for (int i = 0; i < n; i++) {
                int v = 0;
                for (int j = 0; j < 8; j++) {
                    long k = from + i * 8L + j;
                    v = (v << 1) | (int) ((bits[(int) (k >>> 6)] >>> (k & 63)) & 1);
                }
                out[i] = (byte) v;
            }
            return out;
        }
    }
}
