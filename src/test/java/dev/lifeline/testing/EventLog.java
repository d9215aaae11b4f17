package dev.lifeline.testing;

import dev.lifeline.core.Event;
import dev.lifeline.core.EventListener;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** Collects events for assertions. */
public final class EventLog implements EventListener {
    private final List<Event> events = new CopyOnWriteArrayList<>();

    @Override
    public void onEvent(Event e) {
        events.add(e);
    }

    public List<Event> all() {
        return List.copyOf(events);
    }

    public List<Event> ofType(String type) {
        return events.stream().filter(e -> e.type().equals(type)).toList();
    }

    public long count(String type) {
        return ofType(type).size();
    }

    @Override
    public String toString() {
        StringBuilder b = new StringBuilder();
        for (Event e : events) {
            b.append(e.type()).append(": ").append(e.message()).append('\n');
        }
        return b.toString();
    }
}
