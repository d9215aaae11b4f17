package dev.lifeline.catalog.meta;

import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.Set;

/**
 * The few EXIF tags generators write, from a TIFF structure held in memory (a JPEG APP1 segment
 * or a WebP EXIF chunk, both bounded by their container). Every offset is checked against the
 * data; IFDs already visited are not read again (an IFD pointing at itself is a loop), and at
 * most {@link #MAX_IFDS} IFDs of {@link #MAX_ENTRIES} entries each are read.
 *
 * <p>Text tags are taken as UTF-8 (ComfyUI writes its JSON there), else Latin-1. UserComment's
 * 8-byte charset prefix is honoured; for {@code UNICODE} the UTF-16 byte order is sniffed from
 * the text itself, not taken from the TIFF header: A1111 writes big-endian in an MM file,
 * SwarmUI little-endian in an II file, Civitai big-endian in an II file. Without a known prefix
 * the bytes are taken as UTF-8 (Fooocus).
 */
final class Exif {
    static final int MAX_IFDS = 4;
    static final int MAX_ENTRIES = 512;

    private final byte[] b;
    private final int base;
    private final int end;
    private final boolean little;
    private final Found found;
    private final Set<Integer> visited = new HashSet<>();

    private Exif(byte[] b, int base, int end, boolean little, Found found) {
        this.b = b;
        this.base = base;
        this.end = end;
        this.little = little;
        this.found = found;
    }

    /** Reads the TIFF structure at {@code b[off..off+len)} (an optional {@code Exif\0\0} before it is skipped). */
    static void read(byte[] b, int off, int len, Found found) {
        int end = Math.min(b.length, off + len);
        if (off + 6 <= end && b[off] == 'E' && b[off + 1] == 'x' && b[off + 2] == 'i' && b[off + 3] == 'f') {
            off += 6;
        }
        if (off + 8 > end) {
            return;
        }
        boolean little;
        if (b[off] == 'I' && b[off + 1] == 'I') {
            little = true;
        } else if (b[off] == 'M' && b[off + 1] == 'M') {
            little = false;
        } else {
            return;
        }
        Exif e = new Exif(b, off, end, little, found);
        if (e.u16(2) != 42) {
            return;
        }
        e.ifd(e.u32(4), 0);
    }

    private void ifd(long at, int depth) {
        if (depth >= MAX_IFDS || at < 8 || at > end - base - 2 || !visited.add((int) at)) {
            return;
        }
        int n = u16((int) at);
        if (n > MAX_ENTRIES) {
            return;
        }
        for (int i = 0; i < n; i++) {
            int e = (int) at + 2 + i * 12;
            if (base + e + 12 > end) {
                return;
            }
            int tag = u16(e);
            int type = u16(e + 2);
            long count = u32(e + 4);
            switch (tag) {
                case 0x8769 -> ifd(u32(e + 8), depth + 1); // ExifIFD
                case 0x010E -> found.text("exif:ImageDescription", ascii(e, type, count));
                case 0x010F -> found.text("exif:Make", ascii(e, type, count));
                case 0x0110 -> found.text("exif:Model", ascii(e, type, count));
                case 0x0131 -> found.text("exif:Software", ascii(e, type, count));
                case 0x9286 -> found.text("exif:UserComment", userComment(value(e, type, count)));
                case 0x927C -> found.text("exif:MakerNote", ascii(e, type, count));
                case 0x9C9C -> { // XPComment: UTF-16LE
                    byte[] v = value(e, type, count);
                    found.text("exif:XPComment", v == null ? null : trim(new String(v, StandardCharsets.UTF_16LE)));
                }
                default -> {}
            }
        }
        // IFD0's next IFD (IFD1, the thumbnail) holds nothing a generator writes
    }

    /** The raw bytes of an entry's value (BYTE, ASCII, UNDEFINED, SHORT only), or null when out of bounds. */
    private byte[] value(int e, int type, long count) {
        int unit = switch (type) {
            case 1, 2, 6, 7 -> 1;
            case 3 -> 2;
            default -> 0;
        };
        if (unit == 0 || count < 0 || count > Input.MAX_READ) {
            return null;
        }
        long len = count * unit;
        long at = len <= 4 ? e + 8 : u32(e + 8);
        if (at < 0 || base + at + len > end) {
            return null;
        }
        byte[] v = new byte[(int) len];
        System.arraycopy(b, (int) (base + at), v, 0, (int) len);
        return v;
    }

    private String ascii(int e, int type, long count) {
        byte[] v = value(e, type, count);
        if (v == null) {
            return null;
        }
        if (type == 1 && v.length >= 2 && v.length % 2 == 0 && v[v.length - 1] == 0 && v[1] == 0) {
            return trim(new String(v, StandardCharsets.UTF_16LE)); // some write UTF-16 as BYTE
        }
        String s = Text.utf8OrLatin1(v, 0, Text.trimZeros(v, 0, v.length));
        return s.isEmpty() ? null : s;
    }

    static String userComment(byte[] v) {
        if (v == null || v.length == 0) {
            return null;
        }
        if (v.length >= 8 && startsWith(v, "UNICODE\0")) {
            return utf16(v, 8);
        }
        if (v.length >= 8 && (startsWith(v, "ASCII\0\0\0") || startsWith(v, "\0\0\0\0\0\0\0\0"))) {
            return nonEmpty(Text.utf8OrLatin1(v, 8, Text.trimZeros(v, 8, v.length - 8)));
        }
        if (v.length >= 8 && startsWith(v, "JIS\0\0\0\0\0")) {
            return null;
        }
        return nonEmpty(Text.utf8OrLatin1(v, 0, Text.trimZeros(v, 0, v.length)));
    }

    /** UTF-16 text whose byte order is read from the text: a BOM, else where the zero bytes of ASCII fall. */
    static String utf16(byte[] v, int off) {
        int len = v.length - off;
        if (len < 2) {
            return null;
        }
        if ((v[off] & 0xff) == 0xFE && (v[off + 1] & 0xff) == 0xFF) {
            return nonEmpty(trim(new String(v, off + 2, len - 2, StandardCharsets.UTF_16BE)));
        }
        if ((v[off] & 0xff) == 0xFF && (v[off + 1] & 0xff) == 0xFE) {
            return nonEmpty(trim(new String(v, off + 2, len - 2, StandardCharsets.UTF_16LE)));
        }
        int evenZeros = 0;
        int oddZeros = 0;
        for (int i = off; i + 1 < v.length && i < off + 4096; i += 2) {
            if (v[i] == 0) {
                evenZeros++;
            }
            if (v[i + 1] == 0) {
                oddZeros++;
            }
        }
        return nonEmpty(trim(new String(
                v, off, len & ~1, evenZeros >= oddZeros ? StandardCharsets.UTF_16BE : StandardCharsets.UTF_16LE)));
    }

    private static boolean startsWith(byte[] v, String ascii) {
        for (int i = 0; i < ascii.length(); i++) {
            if (v[i] != (byte) ascii.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    private static String trim(String s) {
        int n = s.length();
        while (n > 0 && s.charAt(n - 1) == 0) {
            n--;
        }
        return s.substring(0, n);
    }

    private static String nonEmpty(String s) {
        return s == null || s.isBlank() ? null : s;
    }

    private int u16(int at) {
        int p = base + at;
        if (p < base || p + 2 > end) {
            return -1;
        }
        int x = b[p] & 0xff;
        int y = b[p + 1] & 0xff;
        return little ? x | (y << 8) : (x << 8) | y;
    }

    private long u32(int at) {
        int p = base + at;
        if (p < base || p + 4 > end) {
            return -1;
        }
        long v = 0;
        for (int i = 0; i < 4; i++) {
            int x = b[little ? p + 3 - i : p + i] & 0xff;
            v = (v << 8) | x;
        }
        return v;
    }
}
