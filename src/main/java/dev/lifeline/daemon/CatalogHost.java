package dev.lifeline.daemon;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lifeline.backup.Vault;
import dev.lifeline.catalog.Catalog;
import dev.lifeline.catalog.Query;
import dev.lifeline.catalog.SearchResult;
import dev.lifeline.catalog.SyncResult;
import dev.lifeline.catalog.meta.ImageMeta;
import dev.lifeline.catalog.meta.MetaOptions;
import dev.lifeline.catalog.meta.MetaReader;
import dev.lifeline.config.BackupSpec;
import dev.lifeline.config.CatalogSpec;
import dev.lifeline.core.Event;
import dev.lifeline.core.EventListener;
import dev.lifeline.core.Json;
import dev.lifeline.core.LifelineException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import java.util.stream.Stream;

/**
 * The catalog of one watched vault, in the daemon: an {@link EventListener} on the vault
 * watcher's {@code stored} events that feeds one indexing thread ({@code lifeline-catalog}, the
 * index's only writer) through a bounded queue. The thread writes what arrived within
 * {@link #BATCH_WINDOW} (at most {@link #BATCH_MAX} files) in one transaction, so a new image is
 * searchable well within 2 s of being stored.
 *
 * <p>On start it first catches up ({@link Catalog#sync}: whatever the repository has that the
 * index lacks — a kill -9 of the daemon loses nothing, the journal has it); then, every
 * {@link #LOOK_EVERY}, it lists the repository's snapshot folder and syncs when it changed (a
 * snapshot cut, a prune or a backup from the CLI). A full queue drops events and syncs instead.
 * Searches open their own read-only connection, so they never wait for the writer.
 */
final class CatalogHost implements AutoCloseable {
    static final Duration BATCH_WINDOW = Duration.ofMillis(200);
    static final int BATCH_MAX = 512;
    static final int QUEUE = 10_000;
    static final Duration LOOK_EVERY = Duration.ofSeconds(10);

    private final BackupSpec spec;
    private final EventListener events;
    private final Function<Path, Optional<ImageMeta>> reader;
    private final BlockingQueue<Catalog.Stored> queue = new ArrayBlockingQueue<>(QUEUE);
    private final AtomicBoolean overflow = new AtomicBoolean();
    private final AtomicBoolean closed = new AtomicBoolean();
    private final Thread thread;
    private volatile boolean caughtUp;
    private volatile String lastListing = "";

    private CatalogHost(BackupSpec spec, EventListener events, Function<Path, Optional<ImageMeta>> reader) {
        this.spec = spec;
        this.events = events;
        this.reader = reader;
        this.thread = new Thread(this::loop, "lifeline-catalog");
        this.thread.setDaemon(true);
    }

    static CatalogHost start(BackupSpec spec, CatalogSpec catalog, EventListener events) {
        MetaOptions options = new MetaOptions(catalog.stealth(), catalog.fields());
        return start(spec, events, f -> MetaReader.read(f, options));
    }

    static CatalogHost start(BackupSpec spec, EventListener events, Function<Path, Optional<ImageMeta>> reader) {
        CatalogHost h = new CatalogHost(spec, events, reader);
        h.thread.start();
        return h;
    }

    Path repository() {
        return spec.repository();
    }

    /** Whether the first catch-up is done (tests, status). */
    boolean caughtUp() {
        return caughtUp;
    }

    /** The watcher's events: {@code stored} ones are queued, a {@code snapshot} asks for a sync. Never blocks. */
    void onEvent(Event e) {
        if (!e.source().equals("backup") || closed.get()) {
            return;
        }
        if (e.type().equals("stored")) {
            Object sha = e.fields().get("sha256");
            Object path = e.fields().get("path");
            Object at = e.fields().get("durableAtMillis");
            if (sha instanceof String s && path instanceof String p) {
                Instant when = at instanceof Number n ? Instant.ofEpochMilli(n.longValue()) : e.time();
                if (!queue.offer(new Catalog.Stored(s, p, when))) {
                    overflow.set(true); // the journal has them: a sync reads them back
                }
            }
        } else if (e.type().equals("snapshot") || e.type().equals("pruned")) {
            lastListing = ""; // next look syncs
            overflow.set(true);
        }
    }

    private void loop() {
        Vault vault = Vault.open(spec, EventListener.NONE);
        Catalog catalog;
        try {
            catalog = Catalog.open(spec.repository(), reader);
        } catch (LifelineException e) {
            warn("the catalog of " + spec.repository() + " cannot be opened: " + e.getMessage());
            return;
        }
        try (catalog) {
            sync(catalog, vault, true);
            caughtUp = true;
            long nextLook = System.nanoTime() + LOOK_EVERY.toNanos();
            List<Catalog.Stored> batch = new ArrayList<>();
            while (!closed.get()) {
                Catalog.Stored first = queue.poll(Math.min(LOOK_EVERY.toMillis(), 1000), TimeUnit.MILLISECONDS);
                if (first != null) {
                    batch.add(first);
                    long until = System.nanoTime() + BATCH_WINDOW.toNanos();
                    while (batch.size() < BATCH_MAX) {
                        long left = until - System.nanoTime();
                        Catalog.Stored next = left <= 0 ? queue.poll() : queue.poll(left, TimeUnit.NANOSECONDS);
                        if (next == null) {
                            break;
                        }
                        batch.add(next);
                    }
                    try {
                        catalog.indexStored(batch);
                    } catch (LifelineException e) {
                        // the index is a cache: the journal has them, and the next sync reads them back
                        warn("indexing " + batch.size() + " stored file(s) failed: " + e.getMessage());
                        overflow.set(true);
                    }
                    batch.clear();
                }
                if (overflow.getAndSet(false) || System.nanoTime() - nextLook >= 0) {
                    nextLook = System.nanoTime() + LOOK_EVERY.toNanos();
                    sync(catalog, vault, false);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            warn("the catalog of " + spec.repository() + " stopped: " + e);
        }
    }

    /** Syncs when the snapshot folder's listing changed since the last sync (or always, at start). */
    private void sync(Catalog catalog, Vault vault, boolean always) {
        String listing = listing();
        if (!always && listing.equals(lastListing)) {
            return;
        }
        if (!Files.exists(spec.repository().resolve("vault.json"))) {
            return; // nothing stored yet
        }
        try {
            SyncResult r = catalog.sync(vault);
            lastListing = listing;
            if (r.snapshotsAdded() + r.snapshotsRemoved() + r.imagesAdded() + r.imagesRemoved() > 0) {
                events.onEvent(Event.of(
                        "catalog",
                        "catalog-synced",
                        Event.Level.INFO,
                        "catalog of " + spec.repository() + ": " + r.imagesAdded() + " image(s) indexed, "
                                + r.imagesRemoved() + " pruned, " + r.snapshotsAdded() + " snapshot(s) read, "
                                + r.snapshotsRemoved() + " gone",
                        Map.of("images", r.imagesAdded(), "removed", r.imagesRemoved())));
            }
        } catch (LifelineException e) {
            warn("catalog sync of " + spec.repository() + " failed: " + e.getMessage() + "; retrying in "
                    + LOOK_EVERY.toSeconds() + " s");
        }
    }

    private String listing() {
        Path dir = spec.repository().resolve("snapshots");
        try (Stream<Path> s = Files.list(dir)) {
            return String.join(
                    ",", s.map(p -> p.getFileName().toString()).sorted().toList());
        } catch (IOException e) {
            return "";
        }
    }

    /** {@code catalog.find}: a read-only connection of its own, so it never waits for indexing. */
    SearchResult find(Query q, int limit, boolean raw) {
        try (Catalog c = Catalog.openReadOnly(spec.repository())) {
            return c.search(q, limit, true, raw);
        }
    }

    /**
     * The hits from {@code offset} on (a page: {@code offset} + {@code limit} at most 10,000); the
     * same order for the same index, so the next page starts where this one ended.
     */
    static ObjectNode result(List<CatalogHost> hosts, Query q, int requested, int offset, boolean raw) {
        int skip = Math.max(0, Math.min(10_000 - 1, offset));
        int limit = Math.max(1, Math.min(10_000 - skip, requested));
        if (hosts.isEmpty()) {
            throw new LifelineException(
                    "no catalog: no applied project has a backup: section",
                    "add backup: { repository: …, sources: [./outputs] } and run 'lifeline up'");
        }
        var hits = Json.array();
        Map<String, Map<String, Long>> facets = new java.util.LinkedHashMap<>();
        long total = 0;
        int skipped = 0;
        for (CatalogHost h : hosts) {
            SearchResult r;
            try {
                r = h.find(q, skip + limit, raw);
            } catch (LifelineException e) {
                if (hosts.size() == 1) {
                    throw e;
                }
                continue; // one vault's catalog not made yet: the others still answer
            }
            total += Math.max(0, r.total());
            for (var hit : r.hits()) {
                if (skipped < skip) {
                    skipped++;
                } else if (hits.size() < limit) {
                    hits.add(Json.toNode(hit).put("repository", h.repository().toString()));
                }
            }
            r.facets().forEach((k, v) -> {
                Map<String, Long> m = facets.computeIfAbsent(k, x -> new java.util.LinkedHashMap<>());
                v.forEach((value, n) -> m.merge(value, n, Long::sum));
            });
        }
        ObjectNode n = Json.object();
        n.set("hits", hits);
        n.put("total", total);
        n.put("offset", skip);
        ObjectNode f = n.putObject("facets");
        facets.forEach((k, v) -> f.set(k, Json.object(v)));
        return n;
    }

    private void warn(String message) {
        events.onEvent(Event.of("catalog", "catalog-error", Event.Level.WARN, message, Map.of()));
    }

    /** Stops the indexing thread (what is queued is in the journal: the next start catches up). Idempotent. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        thread.interrupt();
        try {
            thread.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
