package dev.lifeline.insight;

import dev.lifeline.core.LifelineException;
import java.io.IOException;
import java.io.InputStream;
import java.io.RandomAccessFile;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.zip.GZIPInputStream;

/**
 * A service log and the generations rotated away from it ({@code x.log.1} or {@code x.log.1.gz},
 * {@code x.log.2}…), placed on one line of offsets as the supervisor's run records count them:
 * 0 is the start of the current file and the generation before it ends where that one starts.
 */
final class LogFiles {
    static final int MAX_GENERATIONS = 20;
    private static final int CHUNK = 64 * 1024;

    private LogFiles() {}

    /**
     * One file of the log.
     *
     * @param base the offset of its first byte; {@link Long#MIN_VALUE} when not known
     * @param size its length (uncompressed)
     */
    record Generation(Path path, boolean gz, long base, long size, Instant modified) {
        boolean holdsFrom(long offset) {
            return base == Long.MIN_VALUE || base + size > offset;
        }
    }

    /** The log's files, oldest first, ending with the current one; rotated ones form an unbroken chain. */
    static List<Generation> chain(Path log) {
        List<Generation> out = new ArrayList<>();
        long base = 0;
        for (int i = 1; i <= MAX_GENERATIONS; i++) {
            Path plain = log.resolveSibling(log.getFileName() + "." + i);
            Path gz = log.resolveSibling(log.getFileName() + "." + i + ".gz");
            long after = base;
            Optional<Generation> g = generation(plain, false, after).or(() -> generation(gz, true, after));
            if (g.isEmpty()) {
                break;
            }
            Generation known = g.get();
            base = base == Long.MIN_VALUE || known.size() < 0 ? Long.MIN_VALUE : base - known.size();
            out.add(new Generation(known.path(), known.gz(), base, Math.max(0, known.size()), known.modified()));
        }
        Collections.reverse(out);
        Instant now = Instant.now();
        Instant mtime = modified(log).orElse(now);
        long size = 0;
        try {
            size = Files.size(log);
        } catch (IOException e) {
            // no log yet
        }
        out.add(new Generation(log, false, 0, size, mtime));
        return out;
    }

    private static Optional<Generation> generation(Path p, boolean gz, long after) {
        if (!Files.isRegularFile(p)) {
            return Optional.empty();
        }
        Optional<Instant> m = modified(p);
        if (m.isEmpty()) {
            return Optional.empty();
        }
        long size = after == Long.MIN_VALUE ? -1 : gz ? gzipSize(p) : size(p);
        return Optional.of(new Generation(p, gz, 0, size, m.get()));
    }

    private static Optional<Instant> modified(Path p) {
        try {
            return Optional.of(Files.getLastModifiedTime(p).toInstant());
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    private static long size(Path p) {
        try {
            return Files.size(p);
        } catch (IOException e) {
            return -1;
        }
    }

    /** The uncompressed size a gzip file records in its last four bytes (modulo 4 GiB), or -1. */
    static long gzipSize(Path p) {
        try (RandomAccessFile f = new RandomAccessFile(p.toFile(), "r")) {
            long len = f.length();
            if (len < 18) {
                return -1;
            }
            f.seek(len - 4);
            long b0 = f.read();
            long b1 = f.read();
            long b2 = f.read();
            long b3 = f.read();
            return b0 | b1 << 8 | b2 << 16 | b3 << 24;
        } catch (IOException e) {
            return -1;
        }
    }

    /**
     * {@code runs} if they fit this log, else none: when the current file is shorter than where
     * the last run began, the log was truncated or replaced behind the supervisor's back and the
     * offsets point at nothing.
     */
    static ServiceRuns consistent(List<Generation> chain, ServiceRuns runs) {
        Generation current = chain.get(chain.size() - 1);
        if (runs.last().isPresent() && runs.last().get().offset() > current.size()) {
            return new ServiceRuns(runs.state(), runs.reason(), List.of(), runs.damage());
        }
        return runs;
    }

    /** The generations a reader needs: the current file, and older ones changed since {@code since} or holding offsets from {@code from}. */
    static List<Generation> needed(List<Generation> chain, Optional<Instant> since, long from) {
        List<Generation> out = new ArrayList<>();
        Generation current = chain.get(chain.size() - 1);
        for (Generation g : chain) {
            boolean wanted = g == current
                    || (since.isPresent() && !g.modified().isBefore(since.get()))
                    || (from != Long.MIN_VALUE && g.base() != Long.MIN_VALUE && g.holdsFrom(from));
            if (wanted) {
                out.add(g);
            }
        }
        return out;
    }

    /** Feeds the lines of {@code g} that begin at or after {@code from} to {@code sink}, each ended at run starts too. */
    static void lines(Generation g, long from, ServiceRuns runs, Consumer<LineSplitter.Line> sink) {
        boolean known = g.base() != Long.MIN_VALUE;
        long skip = known && from != Long.MIN_VALUE && from > g.base() ? from - g.base() : 0;
        try (InputStream in = open(g, skip)) {
            long start = known ? g.base() + skip : 0;
            LineSplitter split = new LineSplitter(
                    start, l -> sink.accept(known ? l : new LineSplitter.Line(Long.MIN_VALUE, l.text())));
            if (known) {
                split.breakAt(
                        runs.runs().stream().mapToLong(ServiceRuns.Run::offset).toArray());
            }
            byte[] buf = new byte[CHUNK];
            for (int n; (n = in.read(buf)) > 0; ) {
                split.feed(buf, 0, n);
            }
            split.finish();
        } catch (NoSuchFileException e) {
            // rotated away while reading: its lines are in the next generation's place
        } catch (java.util.zip.ZipException | java.io.EOFException e) {
            // a damaged or half-written rotated file: what could be read was read; the rest is lost
        } catch (IOException e) {
            throw new LifelineException(
                    "cannot read " + g.path() + ": " + e.getMessage(), "check that the file is readable by this user");
        }
    }

    private static InputStream open(Generation g, long skip) throws IOException {
        if (g.gz()) {
            InputStream in = new GZIPInputStream(Files.newInputStream(g.path()), CHUNK);
            in.skipNBytes(Math.min(skip, g.size()));
            return in;
        }
        FileChannel ch = FileChannel.open(g.path(), StandardOpenOption.READ);
        ch.position(skip);
        return Channels.newInputStream(ch);
    }

    /** The last {@code n} lines of the current file of {@code log}; see {@link LogInsight#tail}. */
    static List<LogLine> tail(Path log, ServiceRuns runs, int n) {
        ArrayDeque<LogLine> last = new ArrayDeque<>();
        if (n <= 0) {
            return List.of();
        }
        try (FileChannel ch = FileChannel.open(log, StandardOpenOption.READ)) {
            long start = startOfLastLines(ch, n);
            ch.position(start);
            LineSplitter split = new LineSplitter(start, l -> {
                last.addLast(new LogLine(l.offset(), l.text(), runs.runAt(l.offset())));
                if (last.size() > n) {
                    last.removeFirst();
                }
            });
            split.breakAt(
                    runs.runs().stream().mapToLong(ServiceRuns.Run::offset).toArray());
            InputStream in = Channels.newInputStream(ch);
            byte[] buf = new byte[CHUNK];
            for (int k; (k = in.read(buf)) > 0; ) {
                split.feed(buf, 0, k);
            }
            split.finish();
        } catch (NoSuchFileException e) {
            return List.of();
        } catch (IOException e) {
            throw new LifelineException(
                    "cannot read " + log + ": " + e.getMessage(), "check that the file is readable by this user");
        }
        return List.copyOf(last);
    }

    /** Where the last {@code n} newline-ended lines begin, scanning back from the end in chunks. */
    private static long startOfLastLines(FileChannel ch, int n) throws IOException {
        long len = ch.size();
        long end = len > 0 ? len - 1 : 0; // a newline as the very last byte ends the last line
        int seen = 0;
        java.nio.ByteBuffer buf = java.nio.ByteBuffer.allocate(CHUNK);
        for (long pos = end; pos > 0; ) {
            int size = (int) Math.min(CHUNK, pos);
            long from = pos - size;
            buf.clear().limit(size);
            while (buf.hasRemaining() && ch.read(buf, from + buf.position()) > 0) {
                // fill the chunk
            }
            for (int i = buf.position() - 1; i >= 0; i--) {
                if (buf.get(i) == '\n' && ++seen == n) {
                    return from + i + 1;
                }
            }
            pos = from;
        }
        return 0;
    }
}
