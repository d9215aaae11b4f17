package dev.lifeline.catalog.meta;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

/**
 * AVIF/HEIF (ISO base media): the {@code Exif} item and the XMP ({@code mime},
 * {@code application/rdf+xml}) item of the top-level {@code meta} box, located through
 * {@code iinf} and {@code iloc}; the size from the first {@code ispe} property. Only the
 * {@code meta} box and the items' own extents are read; {@code mdat} pixels are skipped.
 */
final class Avif {
    private static final int MAX_BOXES = 1000;
    private static final int MAX_META = 1024 * 1024;
    private static final int MAX_ITEM = 4 * 1024 * 1024;

    private Avif() {}

    static boolean is(Input in) throws IOException {
        if (in.size() < 16 || !in.startsWith(4, "ftyp".getBytes(StandardCharsets.US_ASCII))) {
            return false;
        }
        String brand = new String(in.bytes(8, 4), StandardCharsets.ISO_8859_1);
        return brand.equals("avif")
                || brand.equals("avis")
                || brand.equals("heic")
                || brand.equals("heix")
                || brand.equals("mif1")
                || brand.equals("msf1");
    }

    static void read(Input in, Found found) throws IOException {
        long pos = 0;
        for (int n = 0; n < MAX_BOXES && pos + 8 <= in.size(); n++) {
            long size = in.u32be(pos);
            String type = new String(in.bytes(pos + 4, 4), StandardCharsets.ISO_8859_1);
            int header = 8;
            if (size == 1) {
                long hi = in.u32be(pos + 8);
                size = (hi << 32) | in.u32be(pos + 12);
                header = 16;
            } else if (size == 0) {
                size = in.size() - pos;
            }
            if (size < header || pos + size > in.size()) {
                return;
            }
            if (type.equals("meta")) {
                if (size > MAX_META) {
                    return;
                }
                byte[] meta = in.bytes(pos + header, size - header);
                meta(in, meta, found);
                return;
            }
            pos += size;
        }
    }

    /** The {@code meta} box body (a full box: version and flags first). */
    private static void meta(Input in, byte[] b, Found found) throws IOException {
        Map<Long, String> types = new HashMap<>();
        Map<Long, long[]> extents = new HashMap<>();
        int p = 4;
        for (int n = 0; n < MAX_BOXES && p + 8 <= b.length; n++) {
            long size = u32(b, p);
            String type = new String(b, p + 4, 4, StandardCharsets.ISO_8859_1);
            if (size < 8 || p + size > b.length) {
                return;
            }
            int body = p + 8;
            int end = (int) (p + size);
            switch (type) {
                case "iinf" -> iinf(b, body, end, types);
                case "iloc" -> iloc(b, body, end, extents);
                case "iprp" -> ispe(b, body, end, found);
                default -> {}
            }
            p = end;
        }
        for (Map.Entry<Long, String> t : types.entrySet()) {
            long[] ext = extents.get(t.getKey());
            if (ext == null || ext[1] <= 0 || ext[1] > MAX_ITEM) {
                continue;
            }
            if (t.getValue().equals("Exif")) {
                byte[] item = in.bytes(ext[0], ext[1]);
                if (item.length >= 4) {
                    long skip = u32(item, 0);
                    if (skip >= 0 && 4 + skip < item.length) {
                        Exif.read(item, (int) (4 + skip), item.length - 4 - (int) skip, found);
                    }
                }
            } else if (t.getValue().equals("xmp")) {
                Xmp.read(Text.utf8OrLatin1(in.bytes(ext[0], ext[1])), found);
            }
        }
    }

    private static void iinf(byte[] b, int p, int end, Map<Long, String> types) {
        int version = b[p] & 0xff;
        p += 4;
        long count = version == 0 ? u16(b, p) : u32(b, p);
        p += version == 0 ? 2 : 4;
        for (int i = 0; i < count && i < MAX_BOXES && p + 8 <= end; i++) {
            long size = u32(b, p);
            if (size < 8 || p + size > end) {
                return;
            }
            int q = p + 8;
            int v = b[q] & 0xff;
            q += 4;
            if (v >= 2 && q + 8 <= p + size) {
                long id = v == 2 ? u16(b, q) : u32(b, q);
                q += v == 2 ? 2 : 4;
                q += 2; // protection index
                String itemType = new String(b, q, 4, StandardCharsets.ISO_8859_1);
                q += 4;
                if (itemType.equals("mime")) {
                    int z = Text.zero(b, q, (int) (p + size)); // item name
                    int c = z < 0 ? -1 : Text.zero(b, z + 1, (int) (p + size)); // content type
                    if (c > z + 1
                            && new String(b, z + 1, c - z - 1, StandardCharsets.ISO_8859_1)
                                    .equals("application/rdf+xml")) {
                        itemType = "xmp";
                    }
                }
                types.put(id, itemType);
            }
            p += (int) size;
        }
    }

    /** Each item's first extent: {offset, length} in the file (construction method 0 only). */
    private static void iloc(byte[] b, int p, int end, Map<Long, long[]> extents) {
        if (p + 8 > end) {
            return;
        }
        int version = b[p] & 0xff;
        p += 4;
        int offsetSize = (b[p] >> 4) & 0xf;
        int lengthSize = b[p] & 0xf;
        int baseSize = (b[p + 1] >> 4) & 0xf;
        int indexSize = version >= 1 ? b[p + 1] & 0xf : 0;
        p += 2;
        long count = version < 2 ? u16(b, p) : u32(b, p);
        p += version < 2 ? 2 : 4;
        for (int i = 0; i < count && i < MAX_BOXES; i++) {
            int idSize = version < 2 ? 2 : 4;
            if (p + idSize > end) {
                return;
            }
            long id = idSize == 2 ? u16(b, p) : u32(b, p);
            p += idSize;
            int method = 0;
            if (version >= 1) {
                method = (int) (u16(b, p) & 0xf);
                p += 2;
            }
            p += 2; // data reference index
            long base = sized(b, p, baseSize, end);
            p += baseSize;
            if (p + 2 > end) {
                return;
            }
            int extentCount = (int) u16(b, p);
            p += 2;
            for (int e = 0; e < extentCount && e < 1000; e++) {
                p += indexSize;
                long off = sized(b, p, offsetSize, end);
                p += offsetSize;
                long len = sized(b, p, lengthSize, end);
                p += lengthSize;
                if (p > end || base < 0 || off < 0 || len < 0) {
                    return;
                }
                if (e == 0 && method == 0) {
                    extents.put(id, new long[] {base + off, len});
                }
            }
        }
    }

    private static void ispe(byte[] b, int p, int end, Found found) {
        // iprp → ipco → properties; the first ispe is the primary image's size in the files seen
        for (int n = 0; n < MAX_BOXES && p + 8 <= end; n++) {
            long size = u32(b, p);
            if (size < 8 || p + size > end) {
                return;
            }
            String type = new String(b, p + 4, 4, StandardCharsets.ISO_8859_1);
            if (type.equals("ipco")) {
                ispe(b, p + 8, (int) (p + size), found);
                return;
            }
            if (type.equals("ispe") && size >= 20) {
                found.size(u32(b, p + 12), u32(b, p + 16));
                return;
            }
            p += (int) size;
        }
    }

    private static long sized(byte[] b, int p, int size, int end) {
        if (size == 0) {
            return 0;
        }
        if (p + size > end || (size != 4 && size != 8)) {
            return -1;
        }
        return size == 4 ? u32(b, p) : (u32(b, p) << 32) | u32(b, p + 4);
    }

    private static long u16(byte[] b, int p) {
        return p + 2 > b.length ? 0 : ((b[p] & 0xff) << 8) | (b[p + 1] & 0xff);
    }

    private static long u32(byte[] b, int p) {
        if (p < 0 || p + 4 > b.length) {
            return -1;
        }
        return ((b[p] & 0xffL) << 24) | ((b[p + 1] & 0xff) << 16) | ((b[p + 2] & 0xff) << 8) | (b[p + 3] & 0xff);
    }
}
