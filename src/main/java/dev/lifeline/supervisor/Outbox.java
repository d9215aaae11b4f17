package dev.lifeline.supervisor;

import dev.lifeline.core.Event;
import dev.lifeline.core.EventListener;
import java.util.ArrayDeque;
import java.util.Map;

/**
 * What a runner has to tell others — events, ready-future completions — queued while it holds its
 * lock and run after it lets go, so no listener, no waiting client and no dependent callback ever
 * runs under the lock. Calls made without the lock are delivered at once.
 */
final class Outbox {
    private final Object lock;
    private final EventListener events;
    private final String source;
    /** Guarded by {@link #lock}. */
    private final ArrayDeque<Runnable> queued = new ArrayDeque<>();

    Outbox(Object lock, EventListener events, String source) {
        this.lock = lock;
        this.events = events;
        this.source = source;
    }

    /** Reports an event: at once, or after the lock is released when called under it. */
    void emit(String type, Event.Level level, String message, Map<String, Object> fields) {
        Event e = Event.of(source, type, level, message, fields);
        later(() -> deliver(e));
    }

    /** Runs {@code r} at once, or after the lock is released when called under it. */
    void later(Runnable r) {
        if (Thread.holdsLock(lock)) {
            queued.add(r);
        } else {
            r.run();
        }
    }

    private void deliver(Event e) {
        try {
            events.onEvent(e);
        } catch (RuntimeException ex) {
            // a listener's failure is not the service's
        }
    }

    /** Runs what was queued under the lock, in order, outside it. A no-op under the lock: the outermost caller flushes. */
    void flush() {
        if (Thread.holdsLock(lock)) {
            return;
        }
        while (true) {
            Runnable next;
            synchronized (lock) {
                next = queued.poll();
            }
            if (next == null) {
                return;
            }
            next.run();
        }
    }
}
