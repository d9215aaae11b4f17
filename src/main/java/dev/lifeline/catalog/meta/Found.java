package dev.lifeline.catalog.meta;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What a container reader found in one file: its text entries by key, in file order (PNG text
 * chunks under their own keys; EXIF tags as {@code exif:UserComment}, {@code exif:Make}, …; XMP
 * as {@code xmp:UserComment}, {@code xmp:CreatorTool}), the pixel size from the image header, and
 * the inflate budget shared by every compressed chunk of the file.
 */
final class Found {
    /** At most this much text per file, all entries together. */
    static final int MAX_TEXT = 8 * 1024 * 1024;

    final Map<String, String> texts = new LinkedHashMap<>();
    final Inflate.Budget budget = new Inflate.Budget(Inflate.TOTAL_CAP);
    Integer width;
    Integer height;
    /** PNG only: whether the image has an alpha channel (for stealth reading). */
    boolean pngAlpha;

    /** At most this many bytes of metadata segments are read per file, whatever the file's size. */
    static final long MAX_READ_TOTAL = 32L * 1024 * 1024;

    private long textChars;
    private long bytesRead;

    /** Counts {@code n} bytes about to be read; false when the file's read budget is spent. */
    boolean spend(long n) {
        bytesRead += n;
        return bytesRead <= MAX_READ_TOTAL;
    }

    /** Keeps the first value of each key, within the per-file text budget. */
    void text(String key, String value) {
        if (value == null || texts.containsKey(key) || textChars + value.length() > MAX_TEXT) {
            return;
        }
        textChars += value.length();
        texts.put(key, value);
    }

    void size(long w, long h) {
        if (w > 0 && h > 0 && w <= 1_000_000 && h <= 1_000_000 && width == null) {
            width = (int) w;
            height = (int) h;
        }
    }
}
