package dev.lifeline.backup;

import dev.lifeline.core.EventListener;
import dev.lifeline.core.LifelineException;
import java.io.IOException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One writer at a time: every write to the repository (a backup, the watcher's stores, a
 * reconciling scan, repair, prune) runs inside {@link #locked}, which takes this process's lock,
 * makes the repository private and present, and takes the on-disk writer lock ({@code lock},
 * {@link WriterLock}); afterwards the object store's folder handles are released and both locks
 * dropped, whatever happened. Waits up to {@link Vault#LOCK_WAIT} (2 minutes) for each lock.
 */
final class WriterAccess {
    /** A write, run with the locks held. */
    interface Body<T> {
        T run() throws IOException, InterruptedException;
    }

    private final Repository repo;
    private final EventListener events;
    private final ReentrantLock inProcess = new ReentrantLock();

    WriterAccess(Repository repo, EventListener events) {
        this.repo = repo;
        this.events = events;
    }

    /** Runs {@code body} holding the in-process and the on-disk writer lock; failures are worded by {@link Vault#failure}. */
    <T> T locked(String what, Body<T> body) {
        try {
            if (!inProcess.tryLock(Vault.LOCK_WAIT.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new LifelineException(
                        "the repository is busy with another operation in this process", "retry later");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new LifelineException("interrupted before " + what, null, e);
        }
        try {
            RepositoryPermissions.tighten(repo.layout(), events);
            repo.create();
            WriterLock lock =
                    WriterLock.acquire(repo.layout().lock(), Vault.LOCK_WAIT, events, WriterLock.Kind.WRITER, what);
            try {
                return body.run();
            } finally {
                repo.store().releaseFolders();
                lock.close();
            }
        } catch (IOException e) {
            throw Vault.failure(repo.layout().root(), what, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new LifelineException(what + " was interrupted; the repository is consistent, run it again", null, e);
        } finally {
            inProcess.unlock();
        }
    }
}
