package dev.lifeline.backup;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * File names are bytes; manifest paths are strings. A name that is valid UTF-8 is that string; in
 * one that is not, each byte that is not part of a valid UTF-8 sequence becomes the lone surrogate
 * U+DC80 plus the byte (PEP 383's "surrogateescape", what Python's {@code os.fsdecode} gives), which
 * no valid UTF-8 decodes to. So every name has one string and back, distinct names stay distinct,
 * and JSON carries the surrogate as an escape (backslash, {@code udcXX}).
 *
 * <p>The JDK decodes a name it lists with {@code sun.jnu.encoding}, replacing what it cannot
 * decode by U+FFFD, and encodes a string the same way; so a name whose string holds U+FFFD, a
 * surrogate, or (where that encoding is not UTF-8) anything outside ASCII goes through the
 * path's URI, which carries the exact bytes.
 */
final class Names {
    private Names() {}

    private static final boolean UTF8_NAMES = "UTF-8".equalsIgnoreCase(System.getProperty("sun.jnu.encoding", ""))
            || "UTF8".equalsIgnoreCase(System.getProperty("sun.jnu.encoding", ""));

    /** True when the JDK may have decoded {@code listed} (a name as the JDK shows it) lossily. */
    static boolean lossy(String listed) {
        if (UTF8_NAMES) {
            return listed.indexOf('\uFFFD') >= 0;
        }
        for (int i = 0; i < listed.length(); i++) {
            if (listed.charAt(i) >= 0x80) {
                return true;
            }
        }
        return false;
    }

    /** True when {@code manifestPath} cannot be handed to the JDK as a string. */
    static boolean needsBytes(String manifestPath) {
        for (int i = 0; i < manifestPath.length(); i++) {
            char c = manifestPath.charAt(i);
            if (c >= 0x80 && (!UTF8_NAMES || Character.isSurrogate(c) || c == '\uFFFD')) {
                return true;
            }
        }
        return false;
    }

    /** The string of a name's bytes (see the class comment). */
    static String decode(byte[] raw) {
        CharsetDecoder d = StandardCharsets.UTF_8
                .newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        try {
            return d.decode(ByteBuffer.wrap(raw)).toString();
        } catch (CharacterCodingException e) {
            // fall through: decode piece by piece
        }
        StringBuilder sb = new StringBuilder(raw.length);
        ByteBuffer in = ByteBuffer.wrap(raw);
        CharBuffer out = CharBuffer.allocate(raw.length);
        d.reset();
        while (true) {
            var r = d.decode(in, out, true);
            out.flip();
            sb.append(out);
            out.clear();
            if (r.isMalformed() || r.isUnmappable()) {
                for (int i = 0; i < r.length(); i++) {
                    sb.append((char) (0xDC00 | (in.get() & 0xFF)));
                }
            } else if (r.isUnderflow()) {
                break;
            }
        }
        return sb.toString();
    }

    /** The bytes of a manifest path or name: the inverse of {@link #decode}. */
    static byte[] encode(String s) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream(s.length() + 8);
        int from = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            boolean escaped = c >= 0xDC80 && c <= 0xDCFF && (i == 0 || !Character.isHighSurrogate(s.charAt(i - 1)));
            if (escaped) {
                out.writeBytes(s.substring(from, i).getBytes(StandardCharsets.UTF_8));
                out.write(c & 0xFF);
                from = i + 1;
            }
        }
        out.writeBytes(s.substring(from).getBytes(StandardCharsets.UTF_8));
        return out.toByteArray();
    }

    /** The exact bytes of {@code p}'s last element (one stat: the JDK's URI of a path checks for a folder). */
    static byte[] nameBytes(Path p) {
        String raw = p.toAbsolutePath().toUri().getRawPath();
        if (raw.endsWith("/") && raw.length() > 1) {
            raw = raw.substring(0, raw.length() - 1);
        }
        return percentDecode(raw.substring(raw.lastIndexOf('/') + 1));
    }

    /** The manifest string of {@code p}'s last element, exact even where the JDK's string of it is not. */
    static String name(Path p) {
        Path f = p.getFileName();
        String s = f == null ? "" : f.toString();
        return lossy(s) ? decode(nameBytes(p)) : s;
    }

    /**
     * {@code base} with the '/'-separated manifest path {@code rel} under it, holding the exact
     * bytes {@link #encode} gives: what a restore must use to create or open an entry's file.
     */
    static Path resolve(Path base, String rel) {
        if (!needsBytes(rel)) {
            return base.resolve(rel);
        }
        StringBuilder uri = new StringBuilder(base.toAbsolutePath().toUri().getRawPath());
        if (uri.charAt(uri.length() - 1) != '/') {
            uri.append('/');
        }
        for (byte b : encode(rel)) {
            int c = b & 0xFF;
            if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || "/-._~".indexOf(c) >= 0) {
                uri.append((char) c);
            } else {
                uri.append('%').append(Character.forDigit(c >> 4, 16)).append(Character.forDigit(c & 15, 16));
            }
        }
        try {
            return Path.of(new URI("file://" + uri));
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("cannot make a path of " + rel, e);
        }
    }

    /**
     * One name (no '/') as a relative path of one element with the exact bytes {@link #encode}
     * gives: what to hand a {@link java.nio.file.SecureDirectoryStream} (openat) for an entry.
     */
    static Path element(String name) {
        if (name.isEmpty() || name.indexOf('/') >= 0) {
            throw new IllegalArgumentException("not a single name: " + name);
        }
        return needsBytes(name) ? resolve(Path.of("/"), name).getFileName() : Path.of(name);
    }

    /**
     * A symbolic link's target (a manifest string: relative or absolute, may hold {@code ..}) as a
     * path with the exact bytes {@link #encode} gives, not normalised beyond what the JDK does to
     * any path (repeated and trailing '/' go).
     */
    static Path target(String link) {
        if (!needsBytes(link)) {
            return Path.of(link);
        }
        boolean absolute = link.startsWith("/");
        Path abs = resolve(Path.of("/"), absolute ? link.substring(1) : link);
        // subpath keeps every element's bytes (relativize would normalise '..' away)
        return absolute || abs.getNameCount() == 0 ? abs : abs.subpath(0, abs.getNameCount());
    }

    /**
     * The manifest string of a link target as {@link java.nio.file.Files#readSymbolicLink} gives it:
     * exact even where the JDK's string of it is not (then one stat, for the path's URI).
     */
    static String target(Path read) {
        String s = read.toString();
        if (!lossy(s)) {
            return s;
        }
        String raw =
                (read.isAbsolute() ? read : Path.of("/").resolve(read)).toUri().getRawPath();
        if (raw.endsWith("/") && !s.endsWith("/") && raw.length() > 1) {
            raw = raw.substring(0, raw.length() - 1); // the URI marks a folder so
        }
        if (!read.isAbsolute()) {
            raw = raw.substring(1);
        }
        return decode(percentDecode(raw));
    }

    private static byte[] percentDecode(String s) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '%' && i + 2 < s.length()) {
                out.write(Integer.parseInt(s, i + 1, i + 3, 16));
                i += 2;
            } else {
                out.writeBytes(String.valueOf(c).getBytes(StandardCharsets.UTF_8));
            }
        }
        return out.toByteArray();
    }
}
