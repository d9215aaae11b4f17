package dev.lifeline.insight;

import dev.lifeline.core.Event;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.format.DateTimeParseException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads the level, timestamp and message of one log line in the styles model apps print: Python
 * logging ({@code ERROR:root:msg}, {@code 2026-11-21 10:00:00,123 - app - ERROR - msg}), uvicorn
 * ({@code ERROR:    Exception in ASGI application}), loguru ({@code … | ERROR    | …}), bracketed
 * levels ({@code [ERROR]}), Python warnings ({@code x.py:12: UserWarning: …}) and bare exception
 * lines. A line without a level is INFO.
 */
final class Lines {
    private static final Pattern TIMESTAMP = Pattern.compile(
            "(\\d{4})[-/](\\d{2})[-/](\\d{2})[T ](\\d{2}):(\\d{2}):(\\d{2})(?:[.,](\\d{1,9}))?\\s?(Z|[+-]\\d{2}:?\\d{2})?");
    private static final Pattern LEVEL_WORD =
            Pattern.compile("(?<![A-Za-z])(CRITICAL|FATAL|ERROR|WARNING|WARN|INFO|DEBUG|TRACE)(?![A-Za-z])");
    private static final Pattern LOWER_LEVEL = Pattern.compile("\\blevel=\"?(error|warn|warning|info|debug)\\b");
    private static final Pattern PY_WARNING = Pattern.compile("^\\S+\\.py:\\d+: \\w*Warning\\b");
    private static final Pattern EXCEPTION_LINE = Pattern.compile(
            "^(?:[A-Za-z_][\\w.]*(?:Error|Exception|Interrupt|Exit)|Error|Exception|Fatal error)(?::.*)?$");
    private static final Pattern PREFIX_NOISE = Pattern.compile("^[\\s\\[\\]|:,.\\-]+");
    private static final Pattern PY_LOGGER = Pattern.compile("^[\\w.]+:(?=\\S)");

    record Parsed(Instant time, Event.Level level, String message) {}

    private final ZoneId zone;

    Lines(ZoneId zone) {
        this.zone = zone;
    }

    Parsed parse(String line) {
        Instant time = null;
        String rest = line;
        Matcher t = TIMESTAMP.matcher(line);
        if (t.find() && t.start() <= 32) {
            time = toInstant(t);
            rest = (line.substring(0, t.start()) + " " + line.substring(t.end())).strip();
        }
        Event.Level level = Event.Level.INFO;
        String message = rest;
        Matcher l = LEVEL_WORD.matcher(rest);
        if (l.find() && l.start() <= 48) {
            level = level(l.group(1));
            message = rest.substring(l.end());
            boolean pythonLogging = l.start() == 0 && message.startsWith(":") && !message.startsWith(": ");
            message = PREFIX_NOISE.matcher(message).replaceFirst("");
            if (pythonLogging) {
                message = PY_LOGGER.matcher(message).replaceFirst(""); // ERROR:root:msg
            }
            if (message.isEmpty()) {
                message = rest;
            }
        } else {
            Matcher lower = LOWER_LEVEL.matcher(rest);
            if (lower.find()) {
                level = level(lower.group(1).toUpperCase());
            } else if (PY_WARNING.matcher(rest).find()) {
                level = Event.Level.WARN;
            } else if (EXCEPTION_LINE.matcher(rest).matches()
                    || KnownProblems.recognise(rest).isPresent()) {
                level = Event.Level.ERROR;
            }
        }
        return new Parsed(time, level, message.strip());
    }

    private static Event.Level level(String word) {
        return switch (word) {
            case "CRITICAL", "FATAL", "ERROR", "error" -> Event.Level.ERROR;
            case "WARNING", "WARN", "warn", "warning" -> Event.Level.WARN;
            default -> Event.Level.INFO;
        };
    }

    private Instant toInstant(Matcher t) {
        String frac = t.group(7) == null ? "0" : t.group(7);
        String text = String.format(
                "%s-%s-%sT%s:%s:%s.%s", t.group(1), t.group(2), t.group(3), t.group(4), t.group(5), t.group(6), frac);
        try {
            if (t.group(8) != null) {
                String off = t.group(8).equals("Z") ? "Z" : t.group(8).replaceFirst("(\\d{2})(\\d{2})$", "$1:$2");
                return OffsetDateTime.parse(text + off).toInstant();
            }
            return LocalDateTime.parse(text).atZone(zone).toInstant();
        } catch (DateTimeParseException e) {
            return null;
        }
    }
}
