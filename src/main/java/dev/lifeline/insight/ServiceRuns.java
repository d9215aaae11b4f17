package dev.lifeline.insight;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lifeline.core.Json;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * What the supervisor recorded about a service in {@code run/<name>.json}: its state, why, and
 * where each run began in its log (contract C1). Read defensively: a missing file, an old file
 * without {@code runs}, a damaged entry or an impossible value give fewer facts, never an error.
 *
 * @param state {@code starting|ready|unhealthy|backoff|stopping|stopped|failed}, empty when not recorded
 * @param reason why, for people; empty when not recorded
 * @param runs oldest first, with increasing offsets
 * @param damage what was wrong with the file, if it could not be read
 */
public record ServiceRuns(Optional<String> state, String reason, List<Run> runs, Optional<String> damage) {
    public static final ServiceRuns NONE = new ServiceRuns(Optional.empty(), "", List.of(), Optional.empty());

    public ServiceRuns {
        runs = List.copyOf(runs);
    }

    /**
     * One run of the app.
     *
     * @param number 1 for the oldest run recorded, counting up
     * @param offset where its output begins in the log; 0 is the start of the current file, negative
     *     offsets lie in rotated generations
     * @param endedAt empty while it runs
     * @param exitCode empty while it runs or when unknown (an adopted process)
     * @param how how it ended: crashed, stopped, killed-for-memory…; empty while it runs
     */
    public record Run(
            int number,
            Instant startedAt,
            long offset,
            long pid,
            Optional<Instant> endedAt,
            Optional<Integer> exitCode,
            String how) {
        public boolean running() {
            return endedAt.isEmpty();
        }

        /** True when it ended by itself or was ended for a fault, not by a stop. */
        public boolean crashed() {
            return endedAt.isPresent() && !how.equals("stopped") && !how.isEmpty();
        }
    }

    /** A state file holds at most 50 runs: anything this large is not one. */
    static final long MAX_BYTES = 1 << 20;

    /** Reads {@code stateFile}; see the class comment. */
    public static ServiceRuns read(Path stateFile) {
        String text;
        try {
            if (Files.size(stateFile) > MAX_BYTES) {
                return damaged(stateFile + " is larger than " + MAX_BYTES + " bytes: not a state file");
            }
            text = Files.readString(stateFile);
        } catch (NoSuchFileException e) {
            return NONE;
        } catch (IOException | UncheckedIOException e) {
            return damaged("cannot read " + stateFile + ": " + e.getMessage());
        }
        JsonNode n;
        try {
            n = Json.parse(text);
        } catch (UncheckedIOException e) {
            return damaged(stateFile + " is " + e.getMessage());
        }
        return of(n);
    }

    /** The facts in a parsed state file. */
    public static ServiceRuns of(JsonNode n) {
        if (n == null || !n.isObject()) {
            return damaged("the state file is not a JSON object");
        }
        Optional<String> state = Optional.of(n.path("state"))
                .filter(JsonNode::isTextual)
                .map(JsonNode::asText)
                .filter(s -> !s.isBlank());
        String reason = n.path("reason").isTextual() ? n.path("reason").asText() : "";
        List<Run> runs = new ArrayList<>();
        JsonNode list = n.path("runs");
        if (list.isArray()) {
            for (JsonNode r : list) {
                run(r).ifPresent(runs::add);
            }
        }
        // offsets only make sense in order; an entry out of order is dropped rather than trusted
        runs.sort(Comparator.comparing(Run::startedAt));
        List<Run> ordered = new ArrayList<>();
        for (Run r : runs) {
            if (ordered.isEmpty()
                    || r.offset() >= ordered.get(ordered.size() - 1).offset()) {
                ordered.add(new Run(
                        ordered.size() + 1, r.startedAt(), r.offset(), r.pid(), r.endedAt(), r.exitCode(), r.how()));
            }
        }
        return new ServiceRuns(state, reason, ordered, Optional.empty());
    }

    private static Optional<Run> run(JsonNode r) {
        if (!r.isObject()
                || !r.path("startedAt").canConvertToLong()
                || !r.path("offset").canConvertToLong()
                || r.path("startedAt").asLong() <= 0) {
            return Optional.empty();
        }
        long ended = r.path("endedAt").canConvertToLong() ? r.path("endedAt").asLong() : 0;
        JsonNode exit = r.path("exitCode");
        return Optional.of(new Run(
                0,
                Instant.ofEpochMilli(r.path("startedAt").asLong()),
                r.path("offset").asLong(),
                r.path("pid").canConvertToLong() ? r.path("pid").asLong() : 0,
                ended > 0 ? Optional.of(Instant.ofEpochMilli(ended)) : Optional.empty(),
                exit.isIntegralNumber() ? Optional.of(exit.asInt()) : Optional.empty(),
                r.path("how").isTextual() ? r.path("how").asText() : ""));
    }

    private static ServiceRuns damaged(String why) {
        return new ServiceRuns(Optional.empty(), "", List.of(), Optional.of(why));
    }

    /** The latest run, if any was recorded. */
    public Optional<Run> last() {
        return runs.isEmpty() ? Optional.empty() : Optional.of(runs.get(runs.size() - 1));
    }

    /** The run whose output holds the byte at {@code offset}, if it lies in a recorded run. */
    public Optional<Run> runAt(long offset) {
        Run found = null;
        for (Run r : runs) {
            if (r.offset() > offset) {
                break;
            }
            found = r;
        }
        return Optional.ofNullable(found);
    }

    /** The run after {@code r}, if any. */
    Optional<Run> next(Run r) {
        return r.number() < runs.size() ? Optional.of(runs.get(r.number())) : Optional.empty();
    }

    /** How many of the latest runs in a row ended in a crash (0 when the last one did not). */
    public int crashesInARow() {
        int n = 0;
        for (int i = runs.size() - 1; i >= 0 && runs.get(i).crashed(); i--) {
            n++;
        }
        return n;
    }
}
