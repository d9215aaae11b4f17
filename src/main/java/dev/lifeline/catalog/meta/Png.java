package dev.lifeline.catalog.meta;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Set;

/**
 * PNG text chunks ({@code tEXt}, {@code zTXt}, {@code iTXt}) and the size from {@code IHDR}.
 * Chunks are walked by their headers only: pixel data ({@code IDAT}) is skipped by seeking,
 * never read. Text after the pixels (ImageMagick puts it there) is found by going on past
 * IDAT, unless a known generator key was already found before it. CRCs are not checked;
 * lengths are: a chunk that runs past the end stops the walk (what came before it is kept).
 */
final class Png {
    static final byte[] SIGNATURE = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    /** A text chunk larger than this is skipped (no generator writes one). */
    static final int MAX_TEXT_CHUNK = 4 * 1024 * 1024;
    /** At most this many chunks are looked at (a file of empty chunks ends here). */
    static final int MAX_CHUNKS = 20_000;

    /** Keys that carry generation metadata; once one is seen, the walk stops at the pixels. */
    static final Set<String> KNOWN = Set.of(
            "parameters",
            "prompt",
            "workflow",
            "invokeai_metadata",
            "invokeai_graph",
            "sd-metadata",
            "Dream",
            "Comment",
            "sui_image_params",
            "use_stable_diffusion_model",
            "Stable Diffusion model");

    private Png() {}

    static void read(Input in, Found found) throws IOException {
        long pos = SIGNATURE.length;
        long size = in.size();
        boolean known = false;
        for (int n = 0; n < MAX_CHUNKS && pos + 8 <= size; n++) {
            long len = in.u32be(pos);
            int t0 = in.u8(pos + 4);
            int t1 = in.u8(pos + 5);
            int t2 = in.u8(pos + 6);
            int t3 = in.u8(pos + 7);
            long data = pos + 8;
            if (len > Integer.MAX_VALUE || data + len > size) {
                return; // runs past the end: truncated or hostile
            }
            String type = new String(new char[] {(char) t0, (char) t1, (char) t2, (char) t3});
            switch (type) {
                case "IHDR" -> {
                    if (len >= 13) {
                        found.size(in.u32be(data), in.u32be(data + 4));
                        int colorType = in.u8(data + 9);
                        found.pngAlpha = colorType == 6 || colorType == 4;
                    }
                }
                case "tEXt", "zTXt", "iTXt" -> {
                    if (!found.spend(len)) {
                        return;
                    }
                    if (len <= MAX_TEXT_CHUNK) {
                        String key = text(type, in.bytes(data, len), found);
                        known |= key != null && KNOWN.contains(key);
                    }
                }
                case "IDAT" -> {
                    if (known) {
                        return;
                    }
                }
                case "IEND" -> {
                    return;
                }
                default -> {}
            }
            pos = data + len + 4;
        }
    }

    /** Adds one text chunk to {@code found}; its key, or null when the chunk is broken. */
    private static String text(String type, byte[] b, Found found) {
        int z = Text.zero(b, 0, Math.min(b.length, 80));
        if (z <= 0) {
            return null;
        }
        String key = new String(b, 0, z, StandardCharsets.ISO_8859_1);
        String value;
        switch (type) {
            case "tEXt" -> value = Text.utf8OrLatin1(b, z + 1, b.length - z - 1);
            case "zTXt" -> {
                if (z + 2 > b.length || b[z + 1] != 0) {
                    return null;
                }
                byte[] raw = Inflate.zlib(b, z + 2, b.length - z - 2, found.budget);
                value = raw == null ? null : Text.utf8OrLatin1(raw);
            }
            default -> { // iTXt: key, compression flag, method, language\0, translated key\0, UTF-8 text
                int p = z + 1;
                if (p + 2 > b.length) {
                    return null;
                }
                boolean compressed = b[p] == 1;
                p += 2;
                int lang = Text.zero(b, p, b.length);
                int tk = lang < 0 ? -1 : Text.zero(b, lang + 1, b.length);
                if (tk < 0) {
                    return null;
                }
                p = tk + 1;
                if (compressed) {
                    byte[] raw = Inflate.zlib(b, p, b.length - p, found.budget);
                    value = raw == null ? null : new String(raw, StandardCharsets.UTF_8);
                } else {
                    value = new String(b, p, b.length - p, StandardCharsets.UTF_8);
                }
            }
        }
        if (value == null) {
            return null;
        }
        found.text(key, value);
        return key;
    }
}
