package dev.lifeline.core;

/** Receives events. Implementations must return quickly and never throw into the emitter. */
@FunctionalInterface
public interface EventListener {
    void onEvent(Event event);

    EventListener NONE = e -> {};
}
