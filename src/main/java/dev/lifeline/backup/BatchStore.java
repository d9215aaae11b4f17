package dev.lifeline.backup;

import dev.lifeline.core.Event;
import dev.lifeline.core.EventListener;
import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Stores one batch of changed files: each is staged on the hashing pool (copied into {@code tmp/}
 * while hashed, opened through {@link SafeOpen}), every open guarded against a FIFO or device
 * swapped in, and then the batch is committed at once (fsync, rename into {@code objects/}, one
 * fsync per fan-out folder). With a committer thread, batch k commits there while batch k+1 is
 * read and hashed; {@link #awaitCommit} must follow before its entries are relied on.
 */
final class BatchStore {
    /** One file of the batch: what was scanned, the guard of its open, and its staging. */
    private record Staging(Scanner.Scanned file, SafeOpen.Watch watch, Future<ObjectStore.Staged> result) {}

    private final Repository repo;
    private final Scanner scanner;
    private final EventListener events;
    private final ExecutorService pool;
    private Future<?> inflight;

    BatchStore(Repository repo, Scanner scanner, EventListener events, ExecutorService pool) {
        this.repo = repo;
        this.scanner = scanner;
        this.events = events;
        this.pool = pool;
    }

    /** Waits for the commit under way, if any; its failure is thrown. */
    void awaitCommit() throws IOException, InterruptedException {
        if (inflight == null) {
            return;
        }
        try {
            inflight.get();
        } catch (ExecutionException e) {
            throw e.getCause() instanceof IOException io ? io : new IOException(e.getCause());
        } finally {
            inflight = null;
        }
    }

    /**
     * Stages these files in parallel, then commits them as one batch (on {@code committer} when
     * there is one, else here). A file that vanished or whose open was given up is left out.
     *
     * @param stored counts the objects new to the repository: [0] files, [1] bytes
     */
    List<FileEntry> store(List<Scanner.Scanned> files, long[] stored, ExecutorService committer)
            throws IOException, InterruptedException {
        List<Staging> batch = new ArrayList<>(files.size());
        for (Scanner.Scanned s : files) {
            SafeOpen.Watch watch = repo.store().watch();
            batch.add(new Staging(s, watch, pool.submit(() -> {
                try {
                    return repo.store().stage(s, events, watch);
                } catch (NoSuchFileException gone) {
                    return null;
                } finally {
                    if (watch.abandoned()) {
                        compensate(-1); // back from an open given up: the thread added for it goes
                    }
                }
            })));
        }
        List<ObjectStore.Staged> staged = new ArrayList<>();
        IOException failure = null;
        for (int k = 0; k < batch.size(); k++) {
            try {
                staged.add(await(batch, k));
            } catch (ExecutionException e) {
                staged.add(null);
                if (failure == null) {
                    failure = e.getCause() instanceof IOException io ? io : new IOException(e.getCause());
                }
            } catch (InterruptedException e) {
                batch.forEach(x -> x.result().cancel(true));
                repo.store().discard(staged.stream().filter(Objects::nonNull).toList());
                throw e;
            }
        }
        List<ObjectStore.Staged> present =
                staged.stream().filter(Objects::nonNull).toList();
        if (failure != null) {
            repo.store().discard(present);
            throw failure;
        }
        List<FileEntry> out = new ArrayList<>();
        for (int k = 0; k < batch.size(); k++) {
            ObjectStore.Staged st = staged.get(k);
            if (st == null) {
                continue;
            }
            if (!repo.store().has(st.sha256())) {
                stored[0]++;
                stored[1] += st.size();
            }
            Scanner.Scanned s = batch.get(k).file();
            // changed while being read: mtime 0 makes the next scan read it again (a link's target
            // was read in one call)
            Scanner.Scanned after = s.link() != null ? s : scanner.stat(s.file());
            long mtime = after != null && after.size() == st.size() && after.mtimeNanos() == s.mtimeNanos()
                    ? s.mtimeNanos()
                    : 0;
            out.add(new FileEntry(s.path(), st.size(), mtime, s.mode(), st.sha256(), s.link()));
        }
        awaitCommit();
        if (committer == null) {
            repo.store().commit(present);
        } else {
            inflight = committer.submit(() -> {
                repo.store().commit(present);
                return null;
            });
        }
        return out;
    }

    /**
     * A staging task's result. Its open runs on the pool thread without a guard of its own, so the
     * wait here is the guard, for every task of the batch still running: an open that takes longer
     * than {@link SafeOpen#FIFO_WAIT} (a FIFO swapped in) is nudged every {@code FIFO_WAIT}, and one
     * still stuck after {@link SafeOpen#GIVE_UP} (the FIFO was unlinked, or a device) is given up:
     * its file is skipped with a warning, and the pool gets a thread more for as long as the stuck
     * one is blocked.
     */
    private ObjectStore.Staged await(List<Staging> batch, int k) throws ExecutionException, InterruptedException {
        Staging one = batch.get(k);
        while (true) {
            if (one.watch().abandoned()) {
                return null;
            }
            try {
                return one.result().get(SafeOpen.FIFO_WAIT.toMillis(), TimeUnit.MILLISECONDS);
            } catch (TimeoutException slow) {
                for (int j = k; j < batch.size(); j++) {
                    guard(batch.get(j));
                }
            }
        }
    }

    private void guard(Staging st) {
        SafeOpen.Watch watch = st.watch();
        Duration opening = watch.opening();
        if (opening == null || opening.compareTo(SafeOpen.FIFO_WAIT) < 0) {
            return; // queued, hashing, or only just opening
        }
        if (opening.compareTo(SafeOpen.GIVE_UP) < 0) {
            watch.nudge();
        } else if (watch.abandon()) {
            compensate(1);
            events.onEvent(Event.of(
                    "backup",
                    "skipped",
                    Event.Level.WARN,
                    st.file().file() + " did not open within " + SafeOpen.GIVE_UP.toSeconds()
                            + " s (a FIFO or device swapped in?); skipped",
                    Map.of("path", st.file().path())));
        }
    }

    /** Grows (or shrinks back) a fixed pool by the threads stuck in opens given up. */
    private void compensate(int delta) {
        if (pool instanceof ThreadPoolExecutor tpe) {
            synchronized (tpe) {
                if (delta > 0) {
                    tpe.setMaximumPoolSize(tpe.getMaximumPoolSize() + delta);
                    tpe.setCorePoolSize(tpe.getCorePoolSize() + delta);
                } else {
                    tpe.setCorePoolSize(tpe.getCorePoolSize() + delta);
                    tpe.setMaximumPoolSize(tpe.getMaximumPoolSize() + delta);
                }
            }
        }
    }
}
