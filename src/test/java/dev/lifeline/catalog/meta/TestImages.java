package dev.lifeline.catalog.meta;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.Deflater;

/** Small image files built byte by byte, as the writing tools lay them out. */
final class TestImages {
    private TestImages() {}

    // ---- PNG

    static byte[] png(byte[]... chunks) {
        return HostileFilesTest.png(chunks);
    }

    static byte[] text(String key, String value) {
        return HostileFilesTest.chunk("tEXt", key + "\0" + value);
    }

    static byte[] ztxt(String key, String value) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.writeBytes((key + "\0\0").getBytes(StandardCharsets.ISO_8859_1));
        b.writeBytes(deflate(value.getBytes(StandardCharsets.UTF_8)));
        return HostileFilesTest.chunk("zTXt", b.toByteArray());
    }

    static byte[] itxt(String key, String value, boolean compressed) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.writeBytes(key.getBytes(StandardCharsets.ISO_8859_1));
        b.write(0);
        b.write(compressed ? 1 : 0);
        b.write(0);
        b.writeBytes("en\0\0".getBytes(StandardCharsets.ISO_8859_1));
        byte[] v = value.getBytes(StandardCharsets.UTF_8);
        b.writeBytes(compressed ? deflate(v) : v);
        return HostileFilesTest.chunk("iTXt", b.toByteArray());
    }

    static byte[] idat() {
        return HostileFilesTest.chunk("IDAT", deflate(new byte[] {0, 0, 0, 0, 0}));
    }

    static byte[] deflate(byte[] raw) {
        Deflater d = new Deflater();
        d.setInput(raw);
        d.finish();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buf = new byte[8192];
        while (!d.finished()) {
            out.write(buf, 0, d.deflate(buf));
        }
        d.end();
        return out.toByteArray();
    }

    // ---- TIFF / EXIF

    /** One IFD entry: tag, TIFF type (2 ASCII, 7 UNDEFINED), value bytes. */
    record Entry(int tag, int type, byte[] value) {}

    static Entry ascii(int tag, String s) {
        byte[] b = (s + "\0").getBytes(StandardCharsets.UTF_8);
        return new Entry(tag, 2, b);
    }

    /** UserComment as {@code UNICODE\0} + UTF-16 in the given byte order. */
    static Entry unicodeComment(String s, boolean bigEndian) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.writeBytes("UNICODE\0".getBytes(StandardCharsets.US_ASCII));
        b.writeBytes(s.getBytes(bigEndian ? StandardCharsets.UTF_16BE : StandardCharsets.UTF_16LE));
        return new Entry(0x9286, 7, b.toByteArray());
    }

    static Entry rawComment(String s) {
        return new Entry(0x9286, 7, s.getBytes(StandardCharsets.UTF_8));
    }

    /** A TIFF structure: IFD0 with {@code ifd0} and, if any, an ExifIFD with {@code exif}. */
    static byte[] tiff(boolean little, List<Entry> ifd0, List<Entry> exif) {
        List<Entry> first = new ArrayList<>(ifd0);
        if (!exif.isEmpty()) {
            first.add(new Entry(0x8769, 4, new byte[4])); // patched below
        }
        int ifd0Size = 2 + 12 * first.size() + 4;
        int exifAt = 8 + ifd0Size;
        int exifSize = exif.isEmpty() ? 0 : 2 + 12 * exif.size() + 4;
        ByteBuffer b = ByteBuffer.allocate(1 << 20).order(little ? ByteOrder.LITTLE_ENDIAN : ByteOrder.BIG_ENDIAN);
        b.put((byte) (little ? 'I' : 'M'))
                .put((byte) (little ? 'I' : 'M'))
                .putShort((short) 42)
                .putInt(8);
        int[] data = {exifAt + exifSize};
        ByteArrayOutputStream area = new ByteArrayOutputStream();
        writeIfd(b, first, data, area, exifAt);
        if (!exif.isEmpty()) {
            writeIfd(b, exif, data, area, 0);
        }
        b.put(area.toByteArray());
        byte[] out = new byte[b.position()];
        b.flip();
        b.get(out);
        return out;
    }

    private static void writeIfd(
            ByteBuffer b, List<Entry> entries, int[] data, ByteArrayOutputStream area, int exifAt) {
        b.putShort((short) entries.size());
        for (Entry e : entries) {
            b.putShort((short) e.tag()).putShort((short) e.type());
            if (e.tag() == 0x8769) {
                b.putInt(1).putInt(exifAt);
                continue;
            }
            b.putInt(e.value().length);
            if (e.value().length <= 4) {
                byte[] v = java.util.Arrays.copyOf(e.value(), 4);
                b.put(v);
            } else {
                b.putInt(data[0]);
                area.writeBytes(e.value());
                data[0] += e.value().length;
            }
        }
        b.putInt(0);
    }

    // ---- JPEG and WebP

    static byte[] jpeg(byte[]... app1Payloads) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(0xFF);
        out.write(0xD8);
        for (byte[] p : app1Payloads) {
            out.write(0xFF);
            out.write(0xE1);
            int len = 2 + p.length;
            out.write(len >> 8);
            out.write(len & 0xff);
            out.writeBytes(p);
        }
        // SOF0 for 640x480, then SOS and EOI
        out.writeBytes(new byte[] {(byte) 0xFF, (byte) 0xC0, 0, 11, 8, 1, (byte) 0xE0, 2, (byte) 0x80, 1, 1, 0x11, 0});
        out.writeBytes(new byte[] {(byte) 0xFF, (byte) 0xDA, 0, 2, (byte) 0xFF, (byte) 0xD9});
        return out.toByteArray();
    }

    static byte[] exifApp1(byte[] tiff) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes("Exif\0\0".getBytes(StandardCharsets.US_ASCII));
        out.writeBytes(tiff);
        return out.toByteArray();
    }

    static byte[] xmpApp1(String xml) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes("http://ns.adobe.com/xap/1.0/\0".getBytes(StandardCharsets.US_ASCII));
        out.writeBytes(xml.getBytes(StandardCharsets.UTF_8));
        return out.toByteArray();
    }

    /** A WebP with a VP8X canvas of 832x480 and the given chunks (fourcc, body) after an image chunk. */
    static byte[] webp(Object... fourccAndBody) {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.writeBytes("WEBP".getBytes(StandardCharsets.US_ASCII));
        byte[] vp8x = {
            0x08, 0, 0, 0, (byte) (831 & 0xff), (byte) (831 >> 8), 0, (byte) (479 & 0xff), (byte) (479 >> 8), 0
        };
        riff(body, "VP8X", vp8x);
        riff(body, "VP8L", new byte[] {0x2f, 0, 0, 0, 0, 0, 0});
        for (int i = 0; i < fourccAndBody.length; i += 2) {
            riff(body, (String) fourccAndBody[i], (byte[]) fourccAndBody[i + 1]);
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes("RIFF".getBytes(StandardCharsets.US_ASCII));
        out.writeBytes(ByteBuffer.allocate(4)
                .order(ByteOrder.LITTLE_ENDIAN)
                .putInt(body.size())
                .array());
        out.writeBytes(body.toByteArray());
        return out.toByteArray();
    }

    private static void riff(ByteArrayOutputStream out, String fourcc, byte[] body) {
        out.writeBytes(fourcc.getBytes(StandardCharsets.US_ASCII));
        out.writeBytes(ByteBuffer.allocate(4)
                .order(ByteOrder.LITTLE_ENDIAN)
                .putInt(body.length)
                .array());
        out.writeBytes(body);
        if (body.length % 2 == 1) {
            out.write(0);
        }
    }

    // ---- AVIF

    /** ftyp, meta (hdlr, iinf with an Exif infe, iloc, iprp/ipco/ispe), mdat holding the Exif item. */
    static byte[] avif(byte[] tiff, int ilocVersion) {
        java.io.ByteArrayOutputStream exifItem = new java.io.ByteArrayOutputStream();
        exifItem.writeBytes(new byte[] {0, 0, 0, 6}); // offset to the TIFF header
        exifItem.writeBytes("Exif\0\0".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        exifItem.writeBytes(tiff);
        byte[] ftyp = box(
                "ftyp",
                cat(
                        "avif".getBytes(java.nio.charset.StandardCharsets.US_ASCII),
                        new byte[4],
                        "mif1avif".getBytes(java.nio.charset.StandardCharsets.US_ASCII)));
        byte[] hdlr = box(
                "hdlr", cat(new byte[8], "pict".getBytes(java.nio.charset.StandardCharsets.US_ASCII), new byte[13]));
        byte[] infe = box(
                "infe",
                cat(
                        new byte[] {2, 0, 0, 0, 0, 1, 0, 0},
                        "Exif".getBytes(java.nio.charset.StandardCharsets.US_ASCII),
                        new byte[1]));
        byte[] iinf = box("iinf", cat(new byte[] {0, 0, 0, 0, 0, 1}, infe));
        byte[] ispe = box("ispe", cat(new byte[4], be32(1280), be32(720)));
        byte[] iprp = box("iprp", box("ipco", ispe));
        // iloc is written last with the real offset; its size does not depend on the offset
        int ilocSize = 8 + 4 + 2 + 2 + (ilocVersion == 1 ? 2 : 0) + 2 + 2 + (ilocVersion == 1 ? 4 : 0) + 2 + 4 + 4;
        int metaSize = 8 + 4 + hdlr.length + iinf.length + ilocSize + iprp.length;
        int mdatData = ftyp.length + metaSize + 8;
        java.io.ByteArrayOutputStream iloc = new java.io.ByteArrayOutputStream();
        iloc.writeBytes(new byte[] {(byte) ilocVersion, 0, 0, 0});
        iloc.writeBytes(new byte[] {0x44, (byte) (ilocVersion == 1 ? 0x40 : 0x00)}); // offset 4, length 4, base 4|0
        iloc.writeBytes(new byte[] {0, 1, 0, 1}); // one item, id 1
        if (ilocVersion == 1) {
            iloc.writeBytes(new byte[] {0, 0}); // construction method 0
        }
        iloc.writeBytes(new byte[] {0, 0}); // data reference index
        int base = ilocVersion == 1 ? mdatData - 100 : 0;
        if (ilocVersion == 1) {
            iloc.writeBytes(be32(base));
        }
        iloc.writeBytes(new byte[] {0, 1});
        iloc.writeBytes(be32(mdatData - base));
        iloc.writeBytes(be32(exifItem.size()));
        byte[] meta = box("meta", cat(new byte[4], hdlr, iinf, box("iloc", iloc.toByteArray()), iprp));
        if (meta.length != metaSize) {
            throw new IllegalStateException("meta box size " + meta.length + " != " + metaSize);
        }
        return cat(ftyp, meta, box("mdat", exifItem.toByteArray()));
    }

    private static byte[] box(String type, byte[] body) {
        return cat(be32(8 + body.length), type.getBytes(java.nio.charset.StandardCharsets.US_ASCII), body);
    }

    private static byte[] be32(int v) {
        return java.nio.ByteBuffer.allocate(4).putInt(v).array();
    }

    private static byte[] cat(byte[]... parts) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }
}
