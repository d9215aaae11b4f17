package dev.lifeline.backup;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Gives restored files their names once their data is on disk. A checked file waits under its
 * temp name ({@link #written}); each {@code flushBytes} (128 MiB) or {@code flushFiles} (10,000
 * files) waiting, the {@code lifeline-restore-flush} thread runs one {@code syncfs} (an fsync per
 * file where there is none) and then renames every file written before it began, while the next
 * files are hashed. So after a power cut every restored name holds its whole file, without one
 * fsync per file. A flush that fails deletes its files' temp names, and no flush starts after it.
 */
final class NameFlush implements AutoCloseable {
    /** A checked file under its temp name in its folder, and the name it gets once its data is on disk. */
    record Written(String dirRel, String tmp, String name, long size) {}

    private final TargetTree tree;
    private final long flushBytes;
    private final int flushFiles;
    private final Set<String> named;
    private final ExecutorService flusher;
    // guarded by this: the checked files waiting for a flush, and the flush under way
    private final List<Written> waiting = new ArrayList<>();
    private long waitingBytes;
    private Future<?> flushing;
    private Throwable flushFailure;
    /** Set when the restore fails: files not started are skipped, finished ones deleted. */
    private volatile boolean abandoned;

    /**
     * @param tree the target, whose file system is synced; each folder is asked for by name when
     *     its files get theirs (its handle may have been closed meanwhile)
     * @param named told the folder of every file given its name (the folders to fsync at the end)
     */
    NameFlush(TargetTree tree, long flushBytes, int flushFiles, Set<String> named) {
        this.tree = tree;
        this.flushBytes = flushBytes;
        this.flushFiles = flushFiles;
        this.named = named;
        this.flusher = Executors.newSingleThreadExecutor(r -> {
            Thread th = new Thread(r, "lifeline-restore-flush");
            th.setDaemon(true);
            return th;
        });
    }

    boolean abandoned() {
        return abandoned;
    }

    /** The restore failed: from now on a written file is deleted, not queued. */
    void abandon() {
        abandoned = true;
    }

    /** Queues a checked file for its name; starts a flush when enough waits and none is running. */
    synchronized void written(Written w) throws IOException {
        if (abandoned) {
            deleteQuietly(w);
            return;
        }
        waiting.add(w);
        waitingBytes += w.size();
        if ((waitingBytes >= flushBytes || waiting.size() >= flushFiles)
                && (flushing == null || flushing.isDone())
                && flushFailure == null) {
            List<Written> batch = takeWaiting();
            flushing = flusher.submit(() -> {
                try {
                    flush(batch);
                } catch (IOException | RuntimeException e) {
                    synchronized (this) {
                        flushFailure = e; // reported when the restore ends; no flush starts after it
                    }
                    throw e;
                }
                return null;
            });
        }
    }

    private synchronized List<Written> takeWaiting() {
        List<Written> batch = new ArrayList<>(waiting);
        waiting.clear();
        waitingBytes = 0;
        return batch;
    }

    /** Waits for the running flush, if any (a failure is kept in {@link #flushFailure}). */
    private void awaitFlush() throws InterruptedException {
        Future<?> running;
        synchronized (this) {
            running = flushing;
        }
        if (running != null) {
            try {
                running.get();
            } catch (ExecutionException e) {
                // recorded by the flush itself
            }
        }
    }

    /** The running flush, then one for the files still waiting; any flush's failure is thrown. */
    void finish() throws IOException, InterruptedException {
        awaitFlush();
        Throwable failed;
        synchronized (this) {
            failed = flushFailure;
        }
        if (failed != null) {
            throw failed instanceof IOException io ? io : new IOException(failed);
        }
        flush(takeWaiting());
    }

    /**
     * After {@link #abandon} and once no file is being written: a running flush completes (its
     * files are whole and checked), and every temp file still waiting goes.
     */
    void discard() {
        try {
            awaitFlush(); // a flush that fails deletes its own temp files
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        synchronized (this) {
            for (Written w : waiting) {
                deleteQuietly(w); // best effort: the failure being reported matters more
            }
            waiting.clear();
        }
    }

    /**
     * Puts {@code batch} on disk (one syncfs; an fsync per file where there is none), then gives
     * each file its name. Everything in the batch was written before this began.
     */
    private void flush(List<Written> batch) throws IOException {
        if (batch.isEmpty()) {
            return;
        }
        boolean moved = false;
        int renamed = 0;
        try {
            if (!Durable.syncFileSystem(tree.root())) {
                for (Written w : batch) {
                    try (TargetTree.Lease dir = tree.dir(w.dirRel())) {
                        FolderFiles.fsync(dir.dir(), w.tmp());
                    }
                }
            }
            for (Written w : batch) {
                try (TargetTree.Lease dir = tree.dir(w.dirRel())) {
                    FolderFiles.rename(dir.dir(), w.tmp(), dir.dir(), w.name());
                }
                renamed++;
                named.add(w.dirRel());
            }
            moved = true;
        } catch (IOException e) {
            Written w = batch.get(renamed);
            throw new IOException(
                    "cannot give "
                            + Names.resolve(tree.root(), w.dirRel().isEmpty() ? w.name() : w.dirRel() + "/" + w.name())
                            + " its name: " + e.getMessage(),
                    e);
        } finally {
            if (!moved) {
                for (Written w : batch.subList(renamed, batch.size())) {
                    deleteQuietly(w);
                }
            }
        }
    }

    private void deleteQuietly(Written w) {
        try (TargetTree.Lease dir = tree.dir(w.dirRel())) {
            FolderFiles.deleteQuietly(dir.dir(), w.tmp());
        } catch (IOException e) {
            // its folder is gone or swapped: nothing of ours to delete there
        }
    }

    /** Lets the flush thread end (a running flush completes). */
    @Override
    public void close() {
        flusher.shutdown();
    }
}
