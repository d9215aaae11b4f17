package dev.lifeline.core;

import java.time.Instant;
import java.util.Map;

/**
 * Something that happened to a service, tunnel or backup, as core code reports it. Core code
 * never prints: the daemon log, the CLI, notifications and the dashboard are listeners.
 *
 * @param time when it happened
 * @param source what it happened to, such as {@code service/webui} or {@code tunnel/gpu-box}
 * @param type a stable machine name, such as {@code ready}, {@code crashed}, {@code restarting}
 * @param level how much a person should care
 * @param message one line for a person
 * @param fields extra facts for scripts and notifications (pid, exit code, delay…)
 */
public record Event(Instant time, String source, String type, Level level, String message, Map<String, Object> fields) {

    public enum Level {
        INFO,
        WARN,
        ERROR
    }

    public Event {
        fields = Map.copyOf(fields);
    }

    public static Event info(String source, String type, String message) {
        return new Event(Instant.now(), source, type, Level.INFO, message, Map.of());
    }

    public static Event of(String source, String type, Level level, String message, Map<String, Object> fields) {
        return new Event(Instant.now(), source, type, level, message, fields);
    }
}
