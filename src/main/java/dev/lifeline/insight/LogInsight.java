package dev.lifeline.insight;

import dev.lifeline.core.Event;
import dev.lifeline.core.LifelineException;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.temporal.ChronoUnit;
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
import java.util.zip.GZIPInputStream;

/**
 * Reads a service log as events: levels, Python tracebacks grouped into one error, filters,
 * errors per hour and recognised problems ({@link KnownProblem}). Used by {@code lifeline logs},
 * {@code lifeline errors} and {@code doctor}. Local-time timestamps in the log are read in {@code
 * zone} (default: the system's).
 */
public final class LogInsight {
    private static final int MAX_GENERATIONS = 20;
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
        List<LogEvent> out = new ArrayList<>();
        forEach(log, filter, out::add);
        return out;
    }

    /**
     * Streams the kept events of {@code log} to {@code sink}, without holding the file in memory.
     * With a {@code since}, older generations rotated away ({@code log.1.gz}, {@code log.2}…) that
     * were still written after it are read first, oldest first.
     */
    public void forEach(Path log, LogFilter filter, Consumer<LogEvent> sink) {
        for (Path p : generations(log, filter.since())) {
            read(p, assembler(filter, sink));
        }
    }

    /** The files to read, oldest first: rotated generations last written at or after {@code since}, then {@code log}. */
    static List<Path> generations(Path log, Optional<Instant> since) {
        List<Path> out = new ArrayList<>();
        if (since.isPresent()) {
            for (int i = MAX_GENERATIONS; i >= 1; i--) {
                for (String suffix : new String[] {"." + i + ".gz", "." + i}) {
                    Path g = log.resolveSibling(log.getFileName() + suffix);
                    try {
                        if (Files.isRegularFile(g)
                                && !Files.getLastModifiedTime(g).toInstant().isBefore(since.get())) {
                            out.add(g);
                        }
                    } catch (IOException e) {
                        // gone while looking: skip it
                    }
                }
            }
        }
        out.add(log);
        return out;
    }

    private static void read(Path file, EventAssembler a) {
        try (InputStream raw = Files.newInputStream(file);
                InputStream in = file.getFileName().toString().endsWith(".gz") ? new GZIPInputStream(raw) : raw;
                BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8), 64 * 1024)) {
            for (String line; (line = r.readLine()) != null; ) {
                a.accept(line);
            }
        } catch (NoSuchFileException e) {
            return;
        } catch (IOException e) {
            throw new LifelineException(
                    "cannot read " + file + ": " + e.getMessage(), "check that the file is readable by this user");
        }
        a.flush();
    }

    /** An assembler for lines fed live ({@code logs -f}) that passes on only what {@code filter} keeps. */
    public EventAssembler assembler(LogFilter filter, Consumer<LogEvent> sink) {
        return new EventAssembler(zone, e -> {
            if (filter.accepts(e)) {
                sink.accept(e);
            }
        });
    }

    /** Errors in {@code log} since {@code since} (empty: the whole file), with the {@code top} most frequent messages. */
    public ErrorReport errors(Path log, Optional<Instant> since, int top) {
        LogFilter f = LogFilter.all().level(Event.Level.ERROR);
        if (since.isPresent()) {
            f = f.since(since.get());
        }
        TreeMap<Instant, Integer> perHour = new TreeMap<>();
        Map<String, ErrorReport.MessageCount> messages = new HashMap<>();
        Map<String, ErrorReport.ProblemCount> problems = new LinkedHashMap<>();
        int[] totals = new int[2];
        forEach(log, f, e -> {
            totals[0]++;
            if (e.time() == null) {
                totals[1]++;
            } else {
                perHour.merge(hourOf(e.time()), 1, Integer::sum);
            }
            String key = normalise(e.message());
            messages.merge(
                    key,
                    new ErrorReport.MessageCount(e.message(), 1, e.time()),
                    (a, b) -> new ErrorReport.MessageCount(
                            b.message(), a.count() + 1, later(a.lastSeen(), b.lastSeen())));
            e.problem()
                    .ifPresent(p -> problems.merge(
                            p.id(),
                            new ErrorReport.ProblemCount(p, 1, e.time()),
                            (a, b) -> new ErrorReport.ProblemCount(
                                    b.problem(), a.count() + 1, later(a.lastSeen(), b.lastSeen()))));
        });
        List<ErrorReport.MessageCount> ranked = new ArrayList<>(messages.values());
        ranked.sort(Comparator.comparingInt(ErrorReport.MessageCount::count)
                .reversed()
                .thenComparing(m -> m.lastSeen() == null ? Instant.MIN : m.lastSeen(), Comparator.reverseOrder()));
        List<ErrorReport.ProblemCount> probs = new ArrayList<>(problems.values());
        probs.sort(Comparator.comparingInt(ErrorReport.ProblemCount::count).reversed());
        return new ErrorReport(totals[0], totals[1], perHour, ranked.subList(0, Math.min(top, ranked.size())), probs);
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
