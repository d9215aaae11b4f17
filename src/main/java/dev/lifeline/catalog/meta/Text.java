package dev.lifeline.catalog.meta;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/** Bytes to text the way image writers actually encode it. */
final class Text {
    private Text() {}

    /** Strict UTF-8 when the bytes are valid UTF-8 (many tools put UTF-8 in "Latin-1" tEXt), else Latin-1. */
    static String utf8OrLatin1(byte[] b, int off, int len) {
        try {
            return StandardCharsets.UTF_8
                    .newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(b, off, len))
                    .toString();
        } catch (CharacterCodingException e) {
            return new String(b, off, len, StandardCharsets.ISO_8859_1);
        }
    }

    static String utf8OrLatin1(byte[] b) {
        return utf8OrLatin1(b, 0, b.length);
    }

    /** Index of the first zero byte at or after {@code from} and before {@code end}, or -1. */
    static int zero(byte[] b, int from, int end) {
        for (int i = from; i < end; i++) {
            if (b[i] == 0) {
                return i;
            }
        }
        return -1;
    }

    /** Without trailing zero bytes (EXIF ASCII values end in one; some writers pad more). */
    static int trimZeros(byte[] b, int off, int len) {
        while (len > 0 && b[off + len - 1] == 0) {
            len--;
        }
        return len;
    }
}
