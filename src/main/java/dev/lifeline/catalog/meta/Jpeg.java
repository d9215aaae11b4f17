package dev.lifeline.catalog.meta;

import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * JPEG segments before the scan: APP1 EXIF and XMP, COM, and the size from the frame header.
 * The walk stops at the start of scan (pixel data) and reads nothing after it.
 */
final class Jpeg {
    static final int MAX_SEGMENTS = 1000;
    private static final byte[] XMP = "http://ns.adobe.com/xap/1.0/\0".getBytes(StandardCharsets.US_ASCII);

    private Jpeg() {}

    static boolean is(Input in) throws IOException {
        return in.size() >= 3 && in.u8(0) == 0xFF && in.u8(1) == 0xD8 && in.u8(2) == 0xFF;
    }

    static void read(Input in, Found found) throws IOException {
        long pos = 2;
        long size = in.size();
        for (int n = 0; n < MAX_SEGMENTS && pos + 4 <= size; n++) {
            if (in.u8(pos) != 0xFF) {
                return;
            }
            int marker = in.u8(pos + 1);
            if (marker == 0xFF) {
                pos++; // fill byte
                continue;
            }
            if (marker == 0xD8 || marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7)) {
                pos += 2;
                continue;
            }
            if (marker == 0xDA || marker == 0xD9) {
                return; // start of scan / end of image
            }
            int len = in.u16be(pos + 2);
            if (len < 2 || pos + 2 + len > size) {
                return;
            }
            long data = pos + 4;
            int dataLen = len - 2;
            if ((marker == 0xE1 || marker == 0xFE) && !found.spend(dataLen)) {
                return;
            }
            if (marker == 0xE1) {
                byte[] seg = in.bytes(data, dataLen);
                if (dataLen > XMP.length && startsWith(seg, XMP)) {
                    Xmp.read(Text.utf8OrLatin1(seg, XMP.length, dataLen - XMP.length), found);
                } else {
                    Exif.read(seg, 0, dataLen, found);
                }
            } else if (marker == 0xFE) {
                byte[] seg = in.bytes(data, dataLen);
                found.text("jpeg:Comment", Text.utf8OrLatin1(seg, 0, Text.trimZeros(seg, 0, dataLen)));
            } else if (marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC) {
                if (dataLen >= 5) {
                    found.size(in.u16be(data + 3), in.u16be(data + 1));
                }
            }
            pos += 2 + len;
        }
    }

    private static boolean startsWith(byte[] b, byte[] magic) {
        for (int i = 0; i < magic.length; i++) {
            if (b[i] != magic[i]) {
                return false;
            }
        }
        return true;
    }
}
