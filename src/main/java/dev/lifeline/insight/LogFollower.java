package dev.lifeline.insight;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;
import java.util.zip.GZIPInputStream;

/**
 * Follows a log by name, as {@code tail -F} does, and loses no line across a rotation:
 *
 * <ul>
 *   <li>renamed away ({@code x.log} → {@code x.log.1}, a new {@code x.log} started): the old
 *       file is read to its end first, and still read for a while in case the app goes on
 *       writing to it (it holds the old file open), then the new one from its start;
 *   <li>copied and truncated in place: what was appended since the last read is read from the
 *       copy ({@code x.log.1} or {@code x.log.1.gz}), then the file from its start.
 * </ul>
 *
 * <p>Call {@link #poll()} from one thread; each call reads what is new and returns. Lines reach
 * {@code sink} whole, in their last state ({@link LineSplitter}); {@code notes} hears about
 * rotations. Defaults: a renamed-away file is still read until it has not grown for 20 polls.
 */
public final class LogFollower implements AutoCloseable {
    private static final int CHUNK = 64 * 1024;
    private static final int DRAIN_IDLE_POLLS = 20;

    private final Path log;
    private final Consumer<String> sink;
    private final Consumer<String> notes;
    private final ByteBuffer buf = ByteBuffer.allocate(CHUNK);
    private Source current;
    private final List<Source> draining = new ArrayList<>();

    /** One open file and where its reader is. */
    private final class Source {
        final FileChannel ch;
        final Object key;
        final LineSplitter split;
        int idle;

        Source(FileChannel ch, Object key, long position) {
            this.ch = ch;
            this.key = key;
            this.split = new LineSplitter(position, l -> sink.accept(l.text()));
        }

        /** Reads to the current end; true when anything came. */
        boolean read() throws IOException {
            boolean any = false;
            for (int n; (n = ch.read(buf.clear(), split.position())) > 0; ) {
                split.feed(buf.array(), 0, n);
                any = true;
            }
            return any;
        }
    }

    /**
     * @param fromEnd true to start at the end of the file (only new lines), false for its start
     */
    public LogFollower(Path log, boolean fromEnd, Consumer<String> sink, Consumer<String> notes) throws IOException {
        this.log = Objects.requireNonNull(log);
        this.sink = sink;
        this.notes = notes;
        open(fromEnd);
    }

    /** Reads whatever is new. Returns true when any line or part of one was read. */
    public boolean poll() throws IOException {
        boolean any = false;
        for (Iterator<Source> it = draining.iterator(); it.hasNext(); ) {
            Source s = it.next();
            if (s.read()) {
                any = true;
                s.idle = 0;
            } else if (++s.idle >= DRAIN_IDLE_POLLS) {
                s.split.finish();
                s.ch.close();
                it.remove();
            }
        }
        if (current == null) {
            return open(false) | any;
        }
        if (current.read()) {
            return true;
        }
        Object nowKey = key(log);
        if (nowKey == null) {
            return any; // between the rename and the new file: keep reading the old one
        }
        if (!nowKey.equals(current.key)) {
            current.read(); // whatever came between the two looks
            notes.accept("log rotated: " + log.getFileName() + " is a new file; reading it from its start");
            draining.add(current);
            current = null;
            return open(false) | true;
        }
        long size = current.ch.size();
        if (size < current.split.position()) {
            recoverFromCopy(current.split.position());
            current.split.finish();
            notes.accept("log rotated (copied and truncated): reading " + log.getFileName() + " from its start");
            current.ch.close();
            current = null;
            open(false);
            return true;
        }
        return any;
    }

    /** Lines held back without a newline yet are passed on (the follower is closing or idle long). */
    public void finishLine() {
        if (current != null) {
            current.split.finish();
        }
    }

    /** Reads the bytes after {@code position} from the copy the rotation made, if it has them. */
    private void recoverFromCopy(long position) throws IOException {
        Path plain = log.resolveSibling(log.getFileName() + ".1");
        Path gz = log.resolveSibling(log.getFileName() + ".1.gz");
        Path copy = Files.isRegularFile(plain) ? plain : Files.isRegularFile(gz) ? gz : null;
        if (copy == null) {
            return;
        }
        try (InputStream in =
                copy == gz ? new GZIPInputStream(Files.newInputStream(copy), CHUNK) : Files.newInputStream(copy)) {
            long skipped = in.skip(position);
            while (skipped < position) {
                if (in.read() < 0) {
                    return; // the copy is older than what was read: nothing to recover
                }
                skipped++;
            }
            byte[] b = new byte[CHUNK];
            for (int n; (n = in.read(b)) > 0; ) {
                current.split.feed(b, 0, n);
            }
        } catch (NoSuchFileException e) {
            // rotated again meanwhile
        }
    }

    private boolean open(boolean fromEnd) throws IOException {
        for (int attempt = 0; attempt < 3; attempt++) {
            Object before = key(log);
            FileChannel ch;
            try {
                ch = FileChannel.open(log, StandardOpenOption.READ);
            } catch (NoSuchFileException e) {
                return false;
            }
            Object after = key(log);
            if (before != null && before.equals(after)) { // the file opened is the one the key names
                current = new Source(ch, after, fromEnd ? ch.size() : 0);
                return current.read();
            }
            ch.close(); // rotated while opening: look again
        }
        return false;
    }

    private static Object key(Path p) {
        try {
            return Files.readAttributes(p, BasicFileAttributes.class).fileKey();
        } catch (IOException e) {
            return null;
        }
    }

    @Override
    public void close() throws IOException {
        for (Source s : draining) {
            s.ch.close();
        }
        draining.clear();
        if (current != null) {
            current.ch.close();
            current = null;
        }
    }
}
