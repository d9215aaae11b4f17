package dev.lifeline.insight;

import dev.lifeline.core.Event;
import dev.lifeline.core.LifelineException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Which log events to keep: at least {@code minLevel}, not before {@code since}, matching {@code
 * grep} anywhere in their text, and beginning at or after {@code fromOffset} in the log (where a
 * run began; {@link Long#MIN_VALUE}: anywhere). The default keeps everything.
 *
 * <p>An event without its own timestamp is kept by {@code since} when it may have been written
 * after it ({@link LogEvent#latest()}), so apps that print no times are not silently dropped;
 * one with no time known at all is dropped.
 */
public record LogFilter(Event.Level minLevel, Optional<Instant> since, Optional<Pattern> grep, long fromOffset) {
    private static final Pattern DURATION = Pattern.compile("(\\d+)(s|m|h|d|w)");

    public static LogFilter all() {
        return new LogFilter(Event.Level.INFO, Optional.empty(), Optional.empty(), Long.MIN_VALUE);
    }

    public LogFilter level(Event.Level l) {
        return new LogFilter(l, since, grep, fromOffset);
    }

    public LogFilter since(Instant t) {
        return new LogFilter(minLevel, Optional.of(t), grep, fromOffset);
    }

    public LogFilter grep(Pattern p) {
        return new LogFilter(minLevel, since, Optional.of(p), fromOffset);
    }

    /** Only events of {@code run} and the runs after it. */
    public LogFilter from(ServiceRuns.Run run) {
        return new LogFilter(minLevel, since, grep, run.offset());
    }

    /**
     * Builds a filter from command-line text: {@code level} info|warn|error (null: info), {@code
     * since} a duration back from now ({@code 90s}, {@code 30m}, {@code 1h}, {@code 2d}, {@code
     * 1w}, {@code 1h30m}) or a local date-time ({@code 2026-11-21 10:00}, {@code 2026-11-21}), and
     * {@code grep} a Java regular expression.
     */
    public static LogFilter parse(String level, String since, String grep, Clock clock, ZoneId zone) {
        LogFilter f = all();
        if (level != null) {
            f = f.level(parseLevel(level));
        }
        if (since != null) {
            f = f.since(parseSince(since, clock, zone));
        }
        if (grep != null) {
            try {
                f = f.grep(Pattern.compile(grep));
            } catch (PatternSyntaxException e) {
                throw new LifelineException(
                        "--grep '" + grep + "' is not a valid regular expression: " + e.getDescription(),
                        "use a Java regular expression, e.g. 'CUDA|out of memory'");
            }
        }
        return f;
    }

    static Event.Level parseLevel(String s) {
        switch (s.trim().toLowerCase(Locale.ROOT)) {
            case "info":
            case "all":
                return Event.Level.INFO;
            case "warn":
            case "warning":
                return Event.Level.WARN;
            case "error":
            case "err":
                return Event.Level.ERROR;
            default:
                throw new LifelineException(
                        "--level '" + s + "' is not a level", "use warn or error (or info for all)");
        }
    }

    static Instant parseSince(String s, Clock clock, ZoneId zone) {
        String t = s.trim().toLowerCase(Locale.ROOT).replace(" ", "");
        Matcher m = DURATION.matcher(t);
        Duration total = Duration.ZERO;
        int at = 0;
        while (m.find() && m.start() == at) {
            long n = Long.parseLong(m.group(1));
            total = total.plus(
                    switch (m.group(2)) {
                        case "s" -> Duration.ofSeconds(n);
                        case "m" -> Duration.ofMinutes(n);
                        case "h" -> Duration.ofHours(n);
                        case "d" -> Duration.ofDays(n);
                        default -> Duration.ofDays(7 * n);
                    });
            at = m.end();
        }
        if (at == t.length() && at > 0) {
            return clock.instant().minus(total);
        }
        String iso = s.trim().replace(' ', 'T');
        try {
            return LocalDateTime.parse(iso).atZone(zone).toInstant();
        } catch (DateTimeParseException e) {
            // try the next form
        }
        try {
            return LocalDateTime.parse(iso + ":00").atZone(zone).toInstant();
        } catch (DateTimeParseException e) {
            // try the next form
        }
        try {
            return LocalDate.parse(iso).atStartOfDay(zone).toInstant();
        } catch (DateTimeParseException e) {
            throw new LifelineException(
                    "--since '" + s + "' is neither a duration nor a date",
                    "write how far back, such as 30m, 1h, 2d or 1h30m, or a local time such as '2026-11-21 10:00'");
        }
    }

    /** True when {@code e} passes every part of this filter. */
    public boolean accepts(LogEvent e) {
        if (e.level().compareTo(minLevel) < 0) {
            return false;
        }
        if (since.isPresent() && (e.latest() == null || e.latest().isBefore(since.get()))) {
            return false;
        }
        if (fromOffset != Long.MIN_VALUE && (e.offset() == Long.MIN_VALUE || e.offset() < fromOffset)) {
            return false;
        }
        return grep.isEmpty() || grep.get().matcher(e.text()).find();
    }
}
