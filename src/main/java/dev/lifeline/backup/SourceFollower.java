package dev.lifeline.backup;

import dev.lifeline.core.Event;
import dev.lifeline.core.EventListener;
import java.io.IOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.FileSystems;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchEvent;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Follows the source folders by path with file events (inotify on Linux): every folder below a
 * source is watched (an excluded one is not), a folder created later is watched with the files
 * already in it, and a source folder that is removed and made again, replaced, or created after
 * the start is watched again. What it sees goes to {@link Changes}; deletions are never passed on.
 *
 * <p>Thread: {@code lifeline-vault-watch}, started by {@link #start()} and ended by {@link
 * #close()}; it checks every {@link #FOLLOW} that each source folder is still the one it watches.
 */
final class SourceFollower implements AutoCloseable {
    /** How often the watch thread checks that each source folder is still the one it watches. */
    static final Duration FOLLOW = Duration.ofMillis(200);

    /** Where what the watch thread sees goes. */
    interface Changes {
        /** A file was created or changed (or found in a folder just watched). */
        void touched(Path file);

        /** Events were lost, or a new folder could not be watched: a reconciling scan is due. */
        void missed();

        /** Files were touched in a batch of events; false when the watcher is closing (the thread ends). */
        boolean settle();

        /** A source folder is watched again; its files were touched. */
        void followed(Path root);
    }

    private final Scanner scanner;
    private final List<Path> sources;
    private final Changes changes;
    private final EventListener events;
    private final WatchService watchService;
    private final Map<WatchKey, Path> keys = new ConcurrentHashMap<>();
    /** Each source folder (as configured) → the folder's identity when its watch was registered; watch thread only. */
    private final Map<Path, Object> watchedRoots = new HashMap<>();
    /** Each source folder → its own watch (invalid once the folder is gone, even if a new one reuses its inode). */
    private final Map<Path, WatchKey> rootKeys = new ConcurrentHashMap<>();

    private final Thread thread;
    private volatile boolean closed;

    SourceFollower(Scanner scanner, List<Path> sources, Changes changes, EventListener events) throws IOException {
        this.scanner = scanner;
        this.sources = sources;
        this.changes = changes;
        this.events = events;
        this.watchService = FileSystems.getDefault().newWatchService();
        this.thread = new Thread(this::watchLoop, "lifeline-vault-watch");
        thread.setDaemon(true);
    }

    /** Watches every source (each must exist), then starts the watch thread. */
    void start() throws IOException {
        for (Path src : sources) {
            Path root = src.toAbsolutePath().normalize();
            watchedRoots.put(root, identity(root));
            registerTree(root, false);
        }
        thread.start();
    }

    private void registerTree(Path root, boolean enqueueFiles) throws IOException {
        Files.walkFileTree(root, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) throws IOException {
                if (!dir.equals(root) && scanner.manifestPath(dir) != null && excludedDir(dir)) {
                    return FileVisitResult.SKIP_SUBTREE;
                }
                WatchKey k = dir.register(
                        watchService,
                        StandardWatchEventKinds.ENTRY_CREATE,
                        StandardWatchEventKinds.ENTRY_MODIFY,
                        StandardWatchEventKinds.ENTRY_DELETE);
                keys.put(k, dir);
                if (watchedRoots.containsKey(dir)) {
                    rootKeys.put(dir, k);
                }
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
                if (enqueueFiles && attrs.isRegularFile()) {
                    changes.touched(file);
                }
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(Path file, IOException e) {
                return FileVisitResult.CONTINUE;
            }
        });
    }

    private boolean excludedDir(Path dir) {
        for (Path src : sources) {
            Path s = src.toAbsolutePath().normalize();
            if (dir.startsWith(s)) {
                return scanner.excluded(s.relativize(dir));
            }
        }
        return false;
    }

    private void watchLoop() {
        while (!closed) {
            WatchKey key;
            try {
                key = watchService.poll(FOLLOW.toMillis(), TimeUnit.MILLISECONDS);
            } catch (InterruptedException | ClosedWatchServiceException e) {
                return;
            }
            followRoots();
            if (key == null) {
                continue;
            }
            Path dir = keys.get(key);
            boolean any = false;
            for (WatchEvent<?> ev : key.pollEvents()) {
                if (ev.kind() == StandardWatchEventKinds.OVERFLOW) {
                    changes.missed();
                    continue;
                }
                if (dir == null || ev.kind() == StandardWatchEventKinds.ENTRY_DELETE) {
                    continue; // deletions never propagate into the vault
                }
                Path child = dir.resolve((Path) ev.context());
                if (Files.isDirectory(child, LinkOption.NOFOLLOW_LINKS)) {
                    if (ev.kind() == StandardWatchEventKinds.ENTRY_CREATE) {
                        try {
                            registerTree(child, true); // files may have landed before the registration
                        } catch (IOException e) {
                            changes.missed();
                        }
                    }
                } else {
                    changes.touched(child);
                    any = true;
                }
            }
            if (!key.reset()) {
                keys.remove(key);
            }
            if (any && !closed && !changes.settle()) {
                return;
            }
        }
    }

    /**
     * Watches each source folder again when it is not the folder it watched: removed and made
     * again ({@code rm -rf outputs}, then the app or a restore creates it), replaced (moved
     * away), or created after the start. Its files are then all looked at, as for a new folder.
     */
    private void followRoots() {
        for (Map.Entry<Path, Object> r : watchedRoots.entrySet()) {
            Path root = r.getKey();
            Object now = identity(root);
            WatchKey key = rootKeys.get(root);
            if (Objects.equals(now, r.getValue()) && (now == null || (key != null && key.isValid()))) {
                continue;
            }
            for (Iterator<Map.Entry<WatchKey, Path>> it = keys.entrySet().iterator(); it.hasNext(); ) {
                Map.Entry<WatchKey, Path> k = it.next();
                if (k.getValue().startsWith(root)) {
                    k.getKey().cancel(); // still watching the old folder, wherever it went
                    it.remove();
                }
            }
            r.setValue(now);
            if (now != null) {
                try {
                    registerTree(root, true);
                    events.onEvent(Event.info("backup", "watching", "watching " + root + " again (it was replaced)"));
                    changes.followed(root);
                } catch (IOException | RuntimeException e) {
                    r.setValue(null); // try again on the next round
                }
            }
        }
    }

    /** The folder's identity (device and inode), or null when it is not a folder. */
    private static Object identity(Path root) {
        try {
            BasicFileAttributes a = Files.readAttributes(root, BasicFileAttributes.class);
            return a.isDirectory() ? (a.fileKey() == null ? a.creationTime() : a.fileKey()) : null;
        } catch (IOException e) {
            return null;
        }
    }

    /** Stops watching and the thread (interrupted, waited for up to 5 s). Safe to call twice. */
    @Override
    public void close() {
        closed = true;
        try {
            watchService.close();
        } catch (IOException ignored) {
            // closing anyway
        }
        thread.interrupt();
        try {
            if (thread.isAlive()) {
                thread.join(5_000);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
