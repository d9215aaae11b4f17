package dev.lifeline.supervisor;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lifeline.core.Home;
import dev.lifeline.core.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * {@code run/<service>.pid} (the bare pid, so {@code kill $(cat run/webui.pid)} works; absent
 * when nothing runs, never {@code 0}) and {@code run/<service>.json} (the identity behind the
 * claim: pid, start time, command; the state and its reason; the runs with the byte offset in the
 * log where each one's output begins; what Lifeline needs to adopt the service after a daemon
 * restart). Written atomically, owner-only.
 */
final class StateStore {
    /** Runs kept in the state file, oldest dropped first. */
    static final int MAX_RUNS = 50;

    private final Home home;

    StateStore(Home home) {
        this.home = home;
    }

    /**
     * One run of a service.
     *
     * @param offset where its output begins in the log: 0 is the start of the current log file; a
     *     negative offset lies in older generations (see CONTRACTS C1)
     * @param endedAt epoch ms, 0 while it runs
     * @param how how it ended ("crashed", "stopped", "killed-for-memory"…), "" while it runs
     */
    record Run(long startedAt, long offset, long pid, long endedAt, Integer exitCode, String how) {
        Run ended(long at, Integer code, String how) {
            return new Run(startedAt, offset, pid, at, code, how);
        }

        Run shifted(long bytes) {
            return new Run(startedAt, offset - bytes, pid, endedAt, exitCode, how);
        }
    }

    record Saved(
            long pid,
            long startTicks,
            String command,
            String specHash,
            long startedAtMillis,
            long readyAtMillis,
            int restarts,
            boolean wantRunning,
            ServiceState state,
            String reason,
            List<Run> runs) {
        Saved {
            runs = List.copyOf(runs);
        }

        /** A claim as older daemons wrote it (no state, reason or runs). */
        Saved(
                long pid,
                long startTicks,
                String command,
                String specHash,
                long startedAtMillis,
                long readyAtMillis,
                int restarts,
                boolean wantRunning) {
            this(
                    pid,
                    startTicks,
                    command,
                    specHash,
                    startedAtMillis,
                    readyAtMillis,
                    restarts,
                    wantRunning,
                    ServiceState.STOPPED,
                    "",
                    List.of());
        }
    }

    void save(String service, Saved s) {
        ObjectNode n = Json.object();
        n.put("pid", s.pid());
        n.put("startTicks", s.startTicks());
        n.put("command", s.command());
        n.put("specHash", s.specHash());
        n.put("startedAt", s.startedAtMillis());
        n.put("readyAt", s.readyAtMillis());
        n.put("restarts", s.restarts());
        n.put("wantRunning", s.wantRunning());
        n.put("state", s.state().label());
        n.put("reason", s.reason());
        ArrayNode runs = n.putArray("runs");
        List<Run> rs = s.runs();
        for (Run r : rs.subList(Math.max(0, rs.size() - MAX_RUNS), rs.size())) {
            ObjectNode o = runs.addObject();
            o.put("startedAt", r.startedAt());
            o.put("offset", r.offset());
            o.put("pid", r.pid());
            o.put("endedAt", r.endedAt());
            if (r.exitCode() == null) {
                o.putNull("exitCode");
            } else {
                o.put("exitCode", r.exitCode());
            }
            o.put("how", r.how());
        }
        write(home.stateFile(service), Json.write(n, true) + "\n");
        if (s.pid() > 0) {
            write(home.pidFile(service), s.pid() + "\n");
        } else {
            clearPid(service);
        }
    }

    Optional<Saved> load(String service) {
        Path p = home.stateFile(service);
        if (!Files.exists(p)) {
            return Optional.empty();
        }
        try {
            JsonNode n = Json.parse(Files.readString(p));
            List<Run> runs = new ArrayList<>();
            for (JsonNode r : n.path("runs")) {
                runs.add(new Run(
                        r.path("startedAt").asLong(),
                        r.path("offset").asLong(),
                        r.path("pid").asLong(),
                        r.path("endedAt").asLong(),
                        r.path("exitCode").isNumber() ? r.path("exitCode").asInt() : null,
                        r.path("how").asText("")));
            }
            ServiceState state;
            try {
                state = ServiceState.valueOf(n.path("state").asText("stopped").toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                state = ServiceState.STOPPED;
            }
            return Optional.of(new Saved(
                    n.path("pid").asLong(),
                    n.path("startTicks").asLong(),
                    n.path("command").asText(""),
                    n.path("specHash").asText(""),
                    n.path("startedAt").asLong(),
                    n.path("readyAt").asLong(),
                    n.path("restarts").asInt(),
                    n.path("wantRunning").asBoolean(true),
                    state,
                    n.path("reason").asText(""),
                    runs));
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    /** Removes the pid file (the process is gone); keeps the JSON's restart count and intent. */
    void clearPid(String service) {
        try {
            Files.deleteIfExists(home.pidFile(service));
        } catch (IOException e) {
            // leaving a stale claim is harmless: it is checked before use
        }
    }

    void forget(String service) {
        clearPid(service);
        try {
            Files.deleteIfExists(home.stateFile(service));
        } catch (IOException e) {
            // as above
        }
    }

    private static void write(Path target, String text) {
        try {
            Home.writePrivate(target, text);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("cannot write " + target, e);
        }
    }
}
