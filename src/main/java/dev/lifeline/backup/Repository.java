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

    /** Every snapshot's head, oldest first. */
    List<Manifest.Head> heads() throws IOException {
        List<Manifest.Head> out = new ArrayList<>();
        if (!Files.isDirectory(layout.snapshots())) {
            return out;
        }
        try (var s = Files.list(layout.snapshots())) {
            for (Path p : (Iterable<Path>) s::iterator) {
                String name = p.getFileName().toString();
                if (!name.endsWith(".json") || name.startsWith(".")) {
                    continue;
                }
                try (InputStream in = Files.newInputStream(p)) {
                    out.add(Manifest.decodeHead(in, name));
                } catch (NoSuchFileException gone) {
                    // pruned meanwhile
                }
            }
        }
        out.sort(Comparator.comparing((Manifest.Head h) -> h.summary().time())
                .thenComparing(h -> h.summary().id()));
        return out;
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
