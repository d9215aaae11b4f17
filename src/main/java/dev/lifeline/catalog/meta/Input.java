package dev.lifeline.catalog.meta;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;

/**
 * Random access to an image's bytes with every read bounded: the first {@link #HEAD} bytes are
 * read at open (most metadata lives there), anything further is read where it is asked for
 * ({@code pread}), never more than {@link #MAX_READ} at once and never past the size the file had
 * when opened. A read past the end is {@link Malformed}, which the reader turns into "no
 * metadata".
 */
final class Input implements Closeable {
    static final int HEAD = 8 * 1024;
    static final int MAX_READ = 8 * 1024 * 1024;

    private final FileChannel channel;
    private final long size;
    private final byte[] head;
    private final int headLength;

    private Input(FileChannel channel, long size, byte[] head, int headLength) {
        this.channel = channel;
        this.size = size;
        this.head = head;
        this.headLength = headLength;
    }

    static Input of(byte[] bytes) {
        return new Input(null, bytes.length, bytes, bytes.length);
    }

    /**
     * Opens {@code file} without following a link, and only when it is a regular file: a FIFO,
     * a folder or a device is refused before it is opened, so an open never waits for a writer.
     */
    static Input open(Path file) throws IOException {
        BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        if (!a.isRegularFile()) {
            throw new NotAnImage(file + " is "
                    + (a.isDirectory()
                            ? "a folder"
                            : a.isSymbolicLink() ? "a symbolic link" : "a FIFO, socket or device")
                    + ", not a regular file");
        }
        FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS);
        boolean ok = false;
        try {
            long size = ch.size();
            byte[] head = new byte[(int) Math.min(size, HEAD)];
            int n = fill(ch, ByteBuffer.wrap(head), 0);
            ok = true;
            return new Input(ch, size, head, n);
        } finally {
            if (!ok) {
                ch.close();
            }
        }
    }

    private static int fill(FileChannel ch, ByteBuffer b, long pos) throws IOException {
        int total = 0;
        while (b.hasRemaining()) {
            int n = ch.read(b, pos + total);
            if (n < 0) {
                break;
            }
            total += n;
        }
        return total;
    }

    long size() {
        return size;
    }

    /** {@code len} bytes at {@code pos}; {@link Malformed} when they are not all there. */
    byte[] bytes(long pos, long len) throws IOException {
        if (pos < 0 || len < 0 || len > MAX_READ || pos + len > size) {
            throw new Malformed("a read of " + len + " bytes at " + pos + " is past the end (" + size + ")");
        }
        byte[] out = new byte[(int) len];
        if (pos + len <= headLength) {
            System.arraycopy(head, (int) pos, out, 0, (int) len);
            return out;
        }
        if (channel == null) {
            throw new Malformed("truncated");
        }
        int n = fill(channel, ByteBuffer.wrap(out), pos);
        if (n != len) {
            throw new Malformed("the file shrank while being read");
        }
        return out;
    }

    int u8(long pos) throws IOException {
        if (pos >= 0 && pos < headLength) {
            return head[(int) pos] & 0xff;
        }
        return bytes(pos, 1)[0] & 0xff;
    }

    long u32be(long pos) throws IOException {
        byte[] b = pos >= 0 && pos + 4 <= headLength ? null : bytes(pos, 4);
        if (b == null) {
            int p = (int) pos;
            return ((head[p] & 0xffL) << 24)
                    | ((head[p + 1] & 0xff) << 16)
                    | ((head[p + 2] & 0xff) << 8)
                    | (head[p + 3] & 0xff);
        }
        return ((b[0] & 0xffL) << 24) | ((b[1] & 0xff) << 16) | ((b[2] & 0xff) << 8) | (b[3] & 0xff);
    }

    long u32le(long pos) throws IOException {
        byte[] b = bytes(pos, 4);
        return ((b[3] & 0xffL) << 24) | ((b[2] & 0xff) << 16) | ((b[1] & 0xff) << 8) | (b[0] & 0xff);
    }

    int u16be(long pos) throws IOException {
        return (u8(pos) << 8) | u8(pos + 1);
    }

    /** Whether the bytes at {@code pos} are {@code magic} (false past the end). */
    boolean startsWith(long pos, byte[] magic) throws IOException {
        if (pos < 0 || pos + magic.length > size) {
            return false;
        }
        byte[] b = bytes(pos, magic.length);
        return java.util.Arrays.equals(b, magic);
    }

    @Override
    public void close() throws IOException {
        if (channel != null) {
            channel.close();
        }
    }

    /** The bytes are not what their container says: the reader gives up on the file. */
    static class Malformed extends IOException {
        private static final long serialVersionUID = 1L;

        Malformed(String message) {
            super(message);
        }
    }

    /** The path is not something the reader opens (a folder, a FIFO, a link). */
    static final class NotAnImage extends IOException {
        private static final long serialVersionUID = 1L;

        NotAnImage(String message) {
            super(message);
        }
    }
}
