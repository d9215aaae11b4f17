package dev.lifeline.catalog.meta;

import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * WebP (RIFF): the {@code EXIF} and {@code XMP } chunks and the canvas size. Image and
 * animation-frame chunks are skipped by seeking; EXIF may come before or after them.
 */
final class Webp {
    static final int MAX_CHUNKS = 20_000;

    private Webp() {}

    static boolean is(Input in) throws IOException {
        return in.startsWith(0, "RIFF".getBytes(StandardCharsets.US_ASCII))
                && in.startsWith(8, "WEBP".getBytes(StandardCharsets.US_ASCII));
    }

    static void read(Input in, Found found) throws IOException {
        long end = Math.min(in.size(), 8 + in.u32le(4));
        long pos = 12;
        for (int n = 0; n < MAX_CHUNKS && pos + 8 <= end; n++) {
            String type = new String(in.bytes(pos, 4), StandardCharsets.ISO_8859_1);
            long len = in.u32le(pos + 4);
            long data = pos + 8;
            if (data + len > end) {
                return;
            }
            switch (type) {
                case "VP8X" -> {
                    if (len >= 10) {
                        found.size(u24(in, data + 4) + 1, u24(in, data + 7) + 1);
                    }
                }
                case "VP8 " -> {
                    if (len >= 10) {
                        found.size(u16le(in, data + 6) & 0x3fff, u16le(in, data + 8) & 0x3fff);
                    }
                }
                case "VP8L" -> {
                    if (len >= 5 && in.u8(data) == 0x2f) {
                        long bits = in.u32le(data + 1);
                        found.size((bits & 0x3fff) + 1, ((bits >> 14) & 0x3fff) + 1);
                    }
                }
                case "EXIF" -> {
                    if (len <= Input.MAX_READ && found.spend(len)) {
                        byte[] b = in.bytes(data, len);
                        Exif.read(b, 0, b.length, found);
                    }
                }
                case "XMP " -> {
                    if (len <= Input.MAX_READ && found.spend(len)) {
                        Xmp.read(Text.utf8OrLatin1(in.bytes(data, len)), found);
                    }
                }
                default -> {}
            }
            pos = data + len + (len & 1);
        }
    }

    private static long u24(Input in, long p) throws IOException {
        return in.u8(p) | (in.u8(p + 1) << 8) | ((long) in.u8(p + 2) << 16);
    }

    private static int u16le(Input in, long p) throws IOException {
        return in.u8(p) | (in.u8(p + 1) << 8);
    }
}
