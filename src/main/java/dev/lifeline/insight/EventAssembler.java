package dev.lifeline.insight;

import dev.lifeline.core.Event;
import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.regex.Pattern;

/**
 * Turns log lines, fed in order, into {@link LogEvent}s: one per line, except that a Python
 * traceback — with chained "During handling…" parts and the error line just before it — becomes
 * one ERROR event whose message is the final exception line. For {@code logs -f}, feed lines as
 * they arrive and call {@link #flush()} when the file is idle.
 *
 * <p>Not thread-safe: one assembler per reader.
 */
public final class EventAssembler {
    private static final Pattern TRACEBACK = Pattern.compile("^Traceback \\(most recent call last\\):\\s*$");
    private static final Pattern CHAIN =
            Pattern.compile("^(During handling of the above exception, another exception occurred:"
                    + "|The above exception was the direct cause of the following exception:)\\s*$");
    private static final int MAX_LINES = 400;

    private enum State {
        NONE,
        /** a single line held back: an error line may be the head of a traceback */
        HELD,
        /** inside the frames of a traceback */
        FRAMES,
        /** after a traceback's exception line: a chained traceback may follow */
        AFTER
    }

    /**
     * What the reader knows about where a line sits: the run that wrote it and the times its
     * lines cannot be before or after (null: unknown).
     */
    record Span(Optional<ServiceRuns.Run> run, Instant notBefore, Instant notAfter) {
        static final Span NONE = new Span(Optional.empty(), null, null);
    }

    private final Lines lines;
    private final Consumer<LogEvent> out;
    private State state = State.NONE;
    private Instant lastTime;
    private long lineNumber;
    private Span span = Span.NONE;

    // the event being built
    private long startLine;
    private long startOffset;
    private Span startSpan = Span.NONE;
    private boolean estimated;
    private Instant time;
    private Event.Level level;
    private String message;
    private final List<String> raw = new ArrayList<>();
    private int trailingBlank;

    public EventAssembler(ZoneId zone, Consumer<LogEvent> out) {
        this.lines = new Lines(zone);
        this.out = out;
    }

    /** Feeds the next line of the log (without its line terminator). */
    public void accept(String line) {
        accept(line, Long.MIN_VALUE, Span.NONE);
    }

    /** Feeds the next line, which begins at {@code offset} and lies in {@code where}. */
    void accept(String line, long offset, Span where) {
        if (!where.run().equals(span.run())) {
            flush(); // an event never spans two runs of the app
        }
        span = where;
        lineNumber++;
        switch (state) {
            case FRAMES -> {
                if (line.isEmpty()
                        || Character.isWhitespace(line.charAt(0))
                        || TRACEBACK.matcher(line).matches()
                        || CHAIN.matcher(line).matches()) {
                    add(line);
                } else {
                    add(line); // the exception line: "ValueError: …"
                    message = line.strip();
                    state = State.AFTER;
                }
                return;
            }
            case AFTER -> {
                if (line.isBlank()) {
                    trailingBlank++;
                    return;
                }
                if (CHAIN.matcher(line).matches()) {
                    flushBlanks();
                    add(line);
                    state = State.FRAMES;
                    return;
                }
                if (trailingBlank == 0 && Character.isWhitespace(line.charAt(0))) {
                    add(line); // a multi-line exception message
                    return;
                }
                emit();
            }
            case HELD -> {
                if (TRACEBACK.matcher(line).matches()) {
                    add(line); // "ERROR: Exception in ASGI application" + its traceback
                    level = Event.Level.ERROR;
                    state = State.FRAMES;
                    return;
                }
                emit();
            }
            case NONE -> {}
        }
        start(line, offset);
    }

    /** Emits whatever is held back (end of file, or the file went quiet while following). */
    public void flush() {
        if (state != State.NONE) {
            emit(lineNumber + 1);
        }
    }

    private void start(String line, long offset) {
        Lines.Parsed p = lines.parse(line);
        startLine = lineNumber;
        startOffset = offset;
        startSpan = span;
        if (p.time() != null) {
            lastTime = p.time();
            time = p.time();
            estimated = false;
        } else {
            time = later(lastTime, span.notBefore());
            estimated = true;
        }
        raw.clear();
        raw.add(line);
        trailingBlank = 0;
        if (TRACEBACK.matcher(line).matches()) {
            level = Event.Level.ERROR;
            message = line;
            state = State.FRAMES;
        } else {
            level = p.level();
            message = p.message();
            state = State.HELD;
            if (level != Event.Level.ERROR) {
                emit(); // only an error line can head a traceback
            }
        }
    }

    private void add(String line) {
        if (raw.size() < MAX_LINES) {
            raw.add(line);
        }
    }

    private void flushBlanks() {
        for (; trailingBlank > 0; trailingBlank--) {
            add("");
        }
    }

    private void emit() {
        emit(lineNumber); // called on the first line after the event
    }

    /** @param nextLine the number of the first line after this event and its held-back blanks */
    private void emit(long nextLine) {
        String text = String.join("\n", raw);
        Optional<KnownProblem> problem = KnownProblems.recognise(text);
        Instant upper = estimated ? startSpan.notAfter() : time;
        out.accept(new LogEvent(
                startLine, time, level, message, raw, problem, startOffset, startSpan.run(), estimated, upper));
        // blank lines held back after a traceback (a chained part did not follow) are lines too
        long blankLine = nextLine - trailingBlank;
        Instant upperBlank = startSpan.notAfter();
        for (; trailingBlank > 0; trailingBlank--) {
            out.accept(new LogEvent(
                    blankLine++,
                    time,
                    Event.Level.INFO,
                    "",
                    List.of(""),
                    Optional.empty(),
                    Long.MIN_VALUE,
                    startSpan.run(),
                    true,
                    upperBlank));
        }
        raw.clear();
        state = State.NONE;
    }

    private static Instant later(Instant a, Instant b) {
        if (a == null) {
            return b;
        }
        return b == null || a.isAfter(b) ? a : b;
    }
}
