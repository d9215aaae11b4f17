package dev.lifeline.insight;

import dev.lifeline.core.Event;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.temporal.ChronoUnit;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Consumer;
import java.util.regex.Pattern;

/**
 * Reads a service log as events: levels, Python tracebacks grouped into one error, filters,
 * errors per hour and recognised problems ({@link KnownProblem}). Used by {@code lifeline logs},
 * {@code lifeline errors} and {@code doctor}. Local-time timestamps in the log are read in {@code
 * zone} (default: the system's).
 */
public final class LogInsight {
    private static final Pattern DIGITS = Pattern.compile("0x[0-9a-fA-F]+|\\d+(?:\\.\\d+)?");
    private final ZoneId zone;
    private final Clock clock;

    public LogInsight(ZoneId zone, Clock clock) {
        this.zone = zone;
        this.clock = clock;
    }

    public static LogInsight systemDefault() {
        return new LogInsight(ZoneId.systemDefault(), Clock.systemDefaultZone());
    }

    public ZoneId zone() {
        return zone;
    }

    public Clock clock() {
        return clock;
    }

    /** The events of {@code log} that {@code filter} keeps, in file order. A missing log has none. */
    public List<LogEvent> filter(Path log, LogFilter filter) {
        return filter(log, ServiceRuns.NONE, filter);
    }

    /** As {@link #filter(Path, LogFilter)}, each event placed in its run of {@code runs}. */
    public List<LogEvent> filter(Path log, ServiceRuns runs, LogFilter filter) {
        List<LogEvent> out = new ArrayList<>();
        forEach(log, runs, filter, out::add);
        return out;
    }

    /** As {@link #forEach(Path, ServiceRuns, LogFilter, Consumer)} without run records. */
    public void forEach(Path log, LogFilter filter, Consumer<LogEvent> sink) {
        forEach(log, ServiceRuns.NONE, filter, sink);
    }

    /**
     * Streams the kept events of {@code log} to {@code sink} in file order, in bounded memory.
     * Older generations rotated away ({@code log.1}, {@code log.2.gz}…) are read first, oldest
     * first, when the filter needs them: written at or after its {@code since}, or holding part of
     * the run it asks for. A line without its own timestamp gets the bounds its run, the
     * timestamps around it and the file's last change give (see {@link LogEvent#estimated()}).
     */
    public void forEach(Path log, ServiceRuns runs, LogFilter filter, Consumer<LogEvent> sink) {
        List<LogFiles.Generation> chain = LogFiles.chain(log);
        ServiceRuns usable = LogFiles.consistent(chain, runs);
        Bounder bounder = new Bounder(e -> {
            if (filter.accepts(e)) {
                sink.accept(e);
            }
        });
        EventAssembler a = new EventAssembler(zone, bounder::accept);
        for (LogFiles.Generation g : LogFiles.needed(chain, filter.since(), filter.fromOffset())) {
            read(g, usable, a, filter.fromOffset());
        }
        a.flush();
        bounder.finish();
    }

    /**
     * The last {@code n} lines of {@code log}, each placed in its run, read from the end in bounded
     * memory: a progress bar counts as one line in its last state.
     */
    public List<LogLine> tail(Path log, ServiceRuns runs, int n) {
        return LogFiles.tail(log, LogFiles.consistent(LogFiles.chain(log), runs), n);
    }

    private void read(LogFiles.Generation g, ServiceRuns runs, EventAssembler a, long from) {
        Instant mtime = g.modified();
        LogFiles.lines(g, from, runs, line -> {
            Optional<ServiceRuns.Run> run =
                    line.offset() == Long.MIN_VALUE ? Optional.empty() : runs.runAt(line.offset());
            a.accept(line.text(), line.offset(), span(runs, run, mtime));
        });
    }

    /** The times between which the lines of {@code run} (in a file last changed at {@code mtime}) were written. */
    private static EventAssembler.Span span(ServiceRuns runs, Optional<ServiceRuns.Run> run, Instant mtime) {
        if (run.isEmpty()) {
            Instant upper = runs.runs().isEmpty()
                    ? mtime
                    : earlier(mtime, runs.runs().get(0).startedAt());
            return new EventAssembler.Span(Optional.empty(), null, upper);
        }
        ServiceRuns.Run r = run.get();
        Instant upper = mtime;
        if (r.endedAt().isPresent()) {
            upper = earlier(upper, r.endedAt().get());
        }
        Optional<ServiceRuns.Run> next = runs.next(r);
        if (next.isPresent()) {
            upper = earlier(upper, next.get().startedAt());
        }
        return new EventAssembler.Span(run, r.startedAt(), upper);
    }

    private static Instant earlier(Instant a, Instant b) {
        if (a == null) {
            return b;
        }
        return b == null || a.isBefore(b) ? a : b;
    }

    /** An assembler for lines fed live ({@code logs -f}) that passes on only what {@code filter} keeps. */
    public EventAssembler assembler(LogFilter filter, Consumer<LogEvent> sink) {
        return new EventAssembler(zone, e -> {
            if (filter.accepts(e)) {
                sink.accept(e);
            }
        });
    }

    /**
     * Holds events without their own time until a later event with one bounds them from above: a
     * line was written before any line after it. At most {@value #MAX_HELD} are held; the oldest
     * then leave with the bound their run gives.
     */
    private static final class Bounder {
        private static final int MAX_HELD = 4096;
        private final Consumer<LogEvent> out;
        private final ArrayDeque<LogEvent> held = new ArrayDeque<>();

        Bounder(Consumer<LogEvent> out) {
            this.out = out;
        }

        void accept(LogEvent e) {
            if (e.estimated()) {
                held.addLast(e);
                if (held.size() > MAX_HELD) {
                    out.accept(held.removeFirst());
                }
                return;
            }
            while (!held.isEmpty()) {
                LogEvent h = held.removeFirst();
                out.accept(h.bounded(earlier(h.notAfter(), e.time())));
            }
            out.accept(e);
        }

        void finish() {
            while (!held.isEmpty()) {
                out.accept(held.removeFirst());
            }
        }
    }

    /** Errors in {@code log} since {@code since} (empty: the whole file), with the {@code top} most frequent messages. */
    public ErrorReport errors(Path log, Optional<Instant> since, int top) {
        return errors(log, ServiceRuns.NONE, since, top);
    }

    /**
     * As {@link #errors(Path, Optional, int)}, with each error placed in its run: a known problem
     * the last run no longer shows is history ({@link ErrorReport.ProblemCount#current()} false).
     */
    public ErrorReport errors(Path log, ServiceRuns runs, Optional<Instant> since, int top) {
        LogFilter f = LogFilter.all().level(Event.Level.ERROR);
        if (since.isPresent()) {
            f = f.since(since.get());
        }
        Optional<ServiceRuns.Run> last = runs.last();
        TreeMap<Instant, Integer> perHour = new TreeMap<>();
        Map<String, ErrorReport.MessageCount> messages = new HashMap<>();
        Map<String, ErrorReport.ProblemCount> problems = new LinkedHashMap<>();
        int[] totals = new int[4]; // total, without time, estimated, in the last run
        forEach(log, runs, f, e -> {
            totals[0]++;
            boolean inLast = last.isEmpty() || e.run().equals(last);
            if (inLast) {
                totals[3]++;
            }
            Instant when = e.time() != null ? e.time() : e.notAfter();
            if (when == null) {
                totals[1]++;
            } else {
                perHour.merge(hourOf(when), 1, Integer::sum);
                if (e.estimated()) {
                    totals[2]++;
                }
            }
            String key = normalise(e.message());
            messages.merge(
                    key,
                    new ErrorReport.MessageCount(e.message(), 1, when),
                    (a, b) -> new ErrorReport.MessageCount(
                            b.message(), a.count() + 1, later(a.lastSeen(), b.lastSeen())));
            e.problem()
                    .ifPresent(p -> problems.merge(
                            p.id(),
                            new ErrorReport.ProblemCount(p, 1, when, inLast, inLast ? 1 : 0),
                            (a, b) -> new ErrorReport.ProblemCount(
                                    b.problem(),
                                    a.count() + 1,
                                    later(a.lastSeen(), b.lastSeen()),
                                    a.current() || b.current(),
                                    a.inLastRun() + b.inLastRun())));
        });
        List<ErrorReport.MessageCount> ranked = new ArrayList<>(messages.values());
        ranked.sort(Comparator.comparingInt(ErrorReport.MessageCount::count)
                .reversed()
                .thenComparing(m -> m.lastSeen() == null ? Instant.MIN : m.lastSeen(), Comparator.reverseOrder()));
        List<ErrorReport.ProblemCount> probs = new ArrayList<>(problems.values());
        probs.sort(Comparator.comparing((ErrorReport.ProblemCount p) -> !p.current())
                .thenComparing(
                        Comparator.comparingInt(ErrorReport.ProblemCount::count).reversed()));
        return new ErrorReport(
                totals[0],
                totals[1],
                totals[2],
                perHour,
                ranked.subList(0, Math.min(top, ranked.size())),
                probs,
                last,
                totals[3]);
    }

    /** The known problem {@code text} shows (a log line, a traceback, an error message), if any. */
    public static Optional<KnownProblem> recognise(String text) {
        return KnownProblems.recognise(text);
    }

    /**
     * What an exit status means when it is a known problem: 137 (128 + SIGKILL) is nearly always
     * the kernel's OOM killer.
     */
    public static Optional<KnownProblem> explainExit(int exitStatus) {
        return exitStatus == 137 ? Optional.of(KnownProblems.OOM_KILLED) : Optional.empty();
    }

    /** Start of the local hour {@code t} falls in (local, so half-hour zones bucket right). */
    Instant hourOf(Instant t) {
        return t.atZone(zone).truncatedTo(ChronoUnit.HOURS).toInstant();
    }

    private static Instant later(Instant a, Instant b) {
        if (a == null) {
            return b;
        }
        return b == null || a.isAfter(b) ? a : b;
    }

    /** Messages that differ only in numbers (sizes, ids, addresses) count as one. */
    static String normalise(String message) {
        String m =
                DIGITS.matcher(message).replaceAll("#").replaceAll("\\s+", " ").strip();
        return m.length() > 160 ? m.substring(0, 160) : m;
    }
}
