package dev.lifeline.supervisor;

import dev.lifeline.core.PrivateFiles;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPOutputStream;

/**
 * Service log files: the tail for messages, and rotation by size with copy-truncate, so the app
 * keeps writing to the file descriptor it has (it opened the log with O_APPEND, so after the
 * truncate its next write lands at the new end, not at a hole). No step follows a link: a link
 * planted in place of the log or of a rotated file is refused or replaced, never written through.
 */
public final class LogFiles {
    private LogFiles() {}

    /** The last {@code n} lines of {@code log} (reads at most the last 256 KiB). */
    public static List<String> tail(Path log, int n) {
        List<String> out = new ArrayList<>();
        if (n <= 0) {
            return out;
        }
        try (FileChannel f = FileChannel.open(log, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS)) {
            long len = f.size();
            int size = (int) Math.min(len, 256 * 1024);
            ByteBuffer bb = ByteBuffer.allocate(size);
            while (bb.hasRemaining() && f.read(bb, len - size + bb.position()) > 0) {
                // positional reads until the buffer is full
            }
            byte[] buf = bb.array();
            String[] lines = new String(buf, StandardCharsets.UTF_8).split("\r?\n|\r");
            int from = Math.max(0, lines.length - n);
            for (int i = from; i < lines.length; i++) {
                if (i == 0 && size < len) {
                    continue; // a partial first line
                }
                out.add(lines[i]);
            }
        } catch (IOException e) {
            // no log yet
        }
        return out;
    }

    /** The last non-blank line, shortened for one status line. */
    public static String lastLine(Path log) {
        List<String> t = tail(log, 5);
        for (int i = t.size() - 1; i >= 0; i--) {
            String s = t.get(i).strip();
            if (!s.isEmpty()) {
                return s.length() > 120 ? s.substring(0, 117) + "…" : s;
            }
        }
        return "";
    }

    /**
     * Rotates {@code log} when it is larger than {@code maxBytes}: {@code log.1.gz} … {@code
     * log.KEEP.gz}, oldest dropped.
     *
     * @return true when it rotated
     */
    public static boolean rotateIfLarger(Path log, long maxBytes, int keep) throws IOException {
        return rotate(log, maxBytes, keep) > 0;
    }

    /**
     * As {@link #rotateIfLarger}, telling how many bytes moved out of {@code log}, so that byte
     * offsets recorded in it can be shifted (a run's offset then goes negative: it lies in an
     * older generation).
     *
     * @return the bytes rotated out, 0 when it did not rotate
     */
    static long rotate(Path log, long maxBytes, int keep) throws IOException {
        if (maxBytes <= 0 || !Files.exists(log, LinkOption.NOFOLLOW_LINKS)) {
            return 0;
        }
        long moved = PrivateFiles.requireRegular(log).size();
        if (moved <= maxBytes) {
            return 0;
        }
        Path dir = log.getParent();
        String name = log.getFileName().toString();
        if (keep > 0) {
            Files.deleteIfExists(dir.resolve(name + "." + keep + ".gz")); // a link is deleted, not followed
            for (int i = keep - 1; i >= 1; i--) {
                Path from = dir.resolve(name + "." + i + ".gz");
                if (Files.exists(from, LinkOption.NOFOLLOW_LINKS)) { // a rename moves a link as a link
                    Files.move(from, dir.resolve(name + "." + (i + 1) + ".gz"), StandardCopyOption.REPLACE_EXISTING);
                }
            }
            Path tmp = dir.resolve(name + ".1.gz.tmp");
            Files.deleteIfExists(tmp); // left by a crash, or planted: never written through
            try (InputStream in = Files.newInputStream(log, LinkOption.NOFOLLOW_LINKS);
                    OutputStream out = new GZIPOutputStream(
                            Files.newOutputStream(
                                    tmp,
                                    StandardOpenOption.CREATE_NEW,
                                    StandardOpenOption.WRITE,
                                    LinkOption.NOFOLLOW_LINKS),
                            64 * 1024)) {
                moved = in.transferTo(out);
            }
            Files.move(
                    tmp,
                    dir.resolve(name + ".1.gz"),
                    StandardCopyOption.REPLACE_EXISTING,
                    StandardCopyOption.ATOMIC_MOVE);
        }
        try (FileChannel ch = FileChannel.open(log, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS)) {
            ch.truncate(0);
        }
        return moved;
    }

    /**
     * The last {@code n} lines written at or after byte {@code from} (a run's offset): the lines of
     * that run only. A negative offset (the run began in an older generation) reads the current file
     * from its start.
     */
    static List<String> tailFrom(Path log, long from, int n) {
        List<String> out = new ArrayList<>();
        try (FileChannel f = FileChannel.open(log, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS)) {
            long len = f.size();
            long start = Math.max(Math.max(0, from), len - 256 * 1024);
            if (start >= len) {
                return out;
            }
            ByteBuffer bb = ByteBuffer.allocate((int) (len - start));
            while (bb.hasRemaining() && f.read(bb, start + bb.position()) > 0) {
                // positional reads until the buffer is full
            }
            byte[] buf = java.util.Arrays.copyOf(bb.array(), bb.position());
            String[] lines = new String(buf, StandardCharsets.UTF_8).split("\r?\n|\r");
            boolean partialFirst = start > Math.max(0, from);
            for (int i = Math.max(partialFirst ? 1 : 0, lines.length - n); i < lines.length; i++) {
                if (!lines[i].isBlank()) {
                    out.add(lines[i]);
                }
            }
        } catch (IOException e) {
            // no log yet
        }
        return out;
    }
}
