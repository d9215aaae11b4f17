package dev.lifeline.daemon;

import dev.lifeline.core.Event;
import dev.lifeline.core.EventListener;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Fans events out to the daemon log, the recent-events ring, and any listener (notifications). */
final class EventHub implements EventListener {
    private static final Logger LOG = LoggerFactory.getLogger("lifeline.events");
    private static final int KEEP = 500;
    private final List<EventListener> listeners = new CopyOnWriteArrayList<>();
    private final Deque<Event> recent = new ArrayDeque<>();

    void add(EventListener l) {
        listeners.add(l);
    }

    /**
     * Adds a listener until the handle is closed (an SSE client). The listener runs on the
     * emitter's thread: it must only hand the event on without waiting (a bounded queue).
     */
    AutoCloseable subscribe(EventListener l) {
        EventListener wrapped = l::onEvent; // its own identity: subscribing one listener twice is two subscriptions
        listeners.add(wrapped);
        return () -> listeners.remove(wrapped);
    }

    @Override
    public void onEvent(Event e) {
        switch (e.level()) {
            case ERROR -> LOG.error("{} {}: {}", e.source(), e.type(), e.message());
            case WARN -> LOG.warn("{} {}: {}", e.source(), e.type(), e.message());
            default -> LOG.info("{} {}: {}", e.source(), e.type(), e.message());
        }
        synchronized (recent) {
            recent.addLast(e);
            if (recent.size() > KEEP) {
                recent.removeFirst();
            }
        }
        for (EventListener l : listeners) {
            try {
                l.onEvent(e);
            } catch (RuntimeException ex) {
                LOG.warn("event listener failed: {}", ex.toString());
            }
        }
    }

    List<Event> recent(int n) {
        synchronized (recent) {
            List<Event> all = new ArrayList<>(recent);
            return all.subList(Math.max(0, all.size() - n), all.size());
        }
    }
}
