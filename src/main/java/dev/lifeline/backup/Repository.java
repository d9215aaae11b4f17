package dev.lifeline.backup;

import dev.lifeline.core.LifelineException;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;

/** A local repository folder: objects, snapshot manifests and the journal. */
final class Repository implements SnapshotSource {
    private static final DateTimeFormatter ID_TIME =
            DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss").withZone(ZoneOffset.UTC);
    static final String MARKER = "{\"format\":\"lifeline-vault/1\"}\n";

    private final Layout layout;
    private final ObjectStore store;
    private final Journal journal;
    private final Map<String, Path> sources;
    private Manifest cached;

    Repository(Layout layout, ObjectStore store, Map<String, Path> sources) {
        this.layout = layout;
        this.store = store;
        this.journal = new Journal(layout);
        this.sources = sources;
    }

    Layout layout() {
        return layout;
    }

    ObjectStore store() {
        return store;
    }

    Journal journal() {
        return journal;
    }

    boolean exists() {
        return Files.isRegularFile(layout.marker());
    }

    /** Creates the folders on first use; call under the writer lock or before taking it. */
    void create() throws IOException {
        Files.createDirectories(layout.objects());
        Files.createDirectories(layout.snapshots());
        Files.createDirectories(layout.tmp());
        Files.createDirectories(layout.journal());
        if (!exists()) {
            Durable.write(layout.marker(), MARKER.getBytes(StandardCharsets.UTF_8));
            Durable.fsyncDir(
                    layout.root().getParent() == null
                            ? layout.root()
                            : layout.root().getParent());
        }
    }

    void requireExists() {
        if (!exists()) {
            throw new LifelineException(
                    "no backup repository at " + layout.root(),
                    "run 'lifeline backup now' to create it, or check backup.repository in lifeline.yaml");
        }
    }

    Map<String, String> sourcePaths() {
        Map<String, String> m = new java.util.TreeMap<>();
        sources.forEach((k, v) -> m.put(k, v.toString()));
        return m;
    }

    static String newId(Instant t) {
        return ID_TIME.format(t) + "-"
                + String.format("%06x", ThreadLocalRandom.current().nextInt(1 << 24));
    }

    static String hostName() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            return "localhost";
        }
    }

    @Override
    public List<Snapshot> snapshots() throws IOException {
        return heads().stream().map(Manifest.Head::summary).toList();
    }

    /** Every readable snapshot's head, oldest first (see {@link #readHeads} for the unreadable ones). */
    List<Manifest.Head> heads() throws IOException {
        return readHeads().ok();
    }

    /** A manifest that cannot be read: its id (from its file name), why, and when its file was last written. */
    record Bad(String id, String problem, Instant written) {}

    /** The readable heads, oldest first, and the manifests whose head cannot be read, by id. */
    record Heads(List<Manifest.Head> ok, List<Bad> bad) {
        /**
         * The unreadable manifest written last, when that was after the newest readable snapshot,
         * else null. Only names that are snapshot ids count (a stray file is no snapshot), and the
         * file's own time is compared, not its id's: the complete snapshot written to replace it
         * is newer, whatever the id (or a clock set back) says.
         */
        Bad newestIfBad() {
            Bad newest = null;
            for (Bad b : bad) {
                if (Layout.SNAPSHOT_ID.matcher(b.id()).matches()
                        && (newest == null || b.written().isAfter(newest.written()))) {
                    newest = b;
                }
            }
            if (newest == null) {
                return null;
            }
            return ok.isEmpty()
                            || newest.written()
                                    .isAfter(ok.get(ok.size() - 1).summary().time())
                    ? newest
                    : null;
        }
    }

    /** The time in a snapshot id ({@code YYYYMMDD-HHMMSS-…}, UTC); the epoch when it has none. */
    static Instant idTime(String id) {
        try {
            return java.time.LocalDateTime.parse(id.substring(0, 15), ID_TIME.withZone(null))
                    .toInstant(ZoneOffset.UTC);
        } catch (RuntimeException e) {
            return Instant.EPOCH;
        }
    }

    Heads readHeads() throws IOException {
        List<Manifest.Head> out = new ArrayList<>();
        List<Bad> bad = new ArrayList<>();
        if (!Files.isDirectory(layout.snapshots())) {
            return new Heads(out, bad);
        }
        try (var s = Files.list(layout.snapshots())) {
            for (Path p : (Iterable<Path>) s::iterator) {
                String name = p.getFileName().toString();
                if (!name.endsWith(".json") || name.startsWith(".")) {
                    continue;
                }
                String id = name.substring(0, name.length() - 5);
                try (InputStream in = Files.newInputStream(p)) {
                    Manifest.Head h = Manifest.decodeHead(in, name);
                    if (h.summary().id().equals(id)) {
                        out.add(h);
                    } else {
                        bad.add(new Bad(
                                id,
                                "its id says " + h.summary().id(),
                                Files.getLastModifiedTime(p).toInstant()));
                    }
                } catch (NoSuchFileException gone) {
                    // pruned meanwhile
                } catch (IOException | RuntimeException e) {
                    Instant written;
                    try {
                        written = Files.getLastModifiedTime(p).toInstant();
                    } catch (IOException gone) {
                        continue; // pruned meanwhile
                    }
                    bad.add(new Bad(id, String.valueOf(e.getMessage()), written));
                }
            }
        }
        out.sort(Comparator.comparing((Manifest.Head h) -> h.summary().time())
                .thenComparing(h -> h.summary().id()));
        bad.sort(Comparator.comparing(Bad::id));
        return new Heads(out, bad);
    }

    /**
     * A cheap check that a manifest is whole, for the no-change rescan that does not parse it:
     * every manifest this class writes ends with {@code ]}\n}, a truncated one does not.
     */
    boolean looksWhole(String id) {
        try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(layout.snapshot(id))) {
            long size = ch.size();
            if (size < 3) {
                return false;
            }
            java.nio.ByteBuffer tail = java.nio.ByteBuffer.allocate(3);
            while (tail.hasRemaining() && ch.read(tail, size - 3 + tail.position()) > 0) {
                // a pread of the last three bytes
            }
            return new String(tail.array(), StandardCharsets.US_ASCII).equals("]}\n");
        } catch (IOException e) {
            return false;
        }
    }

    Optional<Snapshot> latest() throws IOException {
        return latestHead().map(Manifest.Head::summary);
    }

    Optional<Manifest.Head> latestHead() throws IOException {
        List<Manifest.Head> all = heads();
        return all.isEmpty() ? Optional.empty() : Optional.of(all.get(all.size() - 1));
    }

    @Override
    public synchronized Manifest manifest(String id) throws IOException {
        if (cached != null && cached.id().equals(id)) {
            return cached;
        }
        if (!Layout.SNAPSHOT_ID.matcher(id).matches()) {
            throw new NoSuchFileException("snapshot " + id);
        }
        try (InputStream in = Files.newInputStream(layout.snapshot(id))) {
            cached = Manifest.decode(in, "snapshots/" + id + ".json");
            return cached;
        }
    }

    @Override
    public InputStream openObject(String sha256) throws IOException {
        return Files.newInputStream(layout.object(sha256));
    }

    @Override
    public java.nio.channels.ReadableByteChannel openObjectChannel(String sha256) throws IOException {
        return java.nio.channels.FileChannel.open(layout.object(sha256));
    }

    @Override
    public String describe() {
        return layout.root().toString();
    }

    void writeManifest(Manifest m) throws IOException {
        Durable.write(layout.snapshot(m.id()), m.encode());
        synchronized (this) {
            cached = m;
        }
    }

    void deleteManifest(String id) throws IOException {
        Files.deleteIfExists(layout.snapshot(id));
        synchronized (this) {
            cached = null;
        }
    }
}
