package dev.lifeline.notify;

import dev.lifeline.core.Event;
import java.util.List;
import java.util.Map;

/**
 * What one message carries: a single event, or a flood coalesced into its most recent events
 * plus counts, so nothing is lost silently.
 *
 * @param shown the most recent events, oldest first
 * @param total how many events this message stands for ({@code total - shown.size()} not shown)
 * @param byType how many of each event type
 */
record Digest(List<Event> shown, int total, Map<String, Integer> byType, Event.Level worst) {
    Digest {
        shown = List.copyOf(shown);
        byType = Map.copyOf(byType);
    }

    static Digest of(Event e) {
        return new Digest(List.of(e), 1, Map.of(e.type(), 1), e.level());
    }

    Event latest() {
        return shown.get(shown.size() - 1);
    }

    int notShown() {
        return total - shown.size();
    }

    boolean single() {
        return total == 1;
    }
}
