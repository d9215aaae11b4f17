package dev.lifeline.supervisor;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lifeline.core.Home;
import dev.lifeline.core.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * {@code run/<service>.pid} (the bare pid, so {@code kill $(cat run/webui.pid)} works) and
 * {@code run/<service>.json} (the identity behind the claim: pid, start time, command, and what
 * Lifeline needs to adopt the service after a daemon restart). Written atomically, owner-only.
 */
final class StateStore {
    private final Home home;

    StateStore(Home home) {
        this.home = home;
    }

    record Saved(
            long pid,
            long startTicks,
            String command,
            String specHash,
            long startedAtMillis,
            long readyAtMillis,
            int restarts,
            boolean wantRunning) {}

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
        write(home.stateFile(service), Json.write(n, true) + "\n");
        write(home.pidFile(service), s.pid() + "\n");
    }

    Optional<Saved> load(String service) {
        Path p = home.stateFile(service);
        if (!Files.exists(p)) {
            return Optional.empty();
        }
        try {
            JsonNode n = Json.parse(Files.readString(p));
            return Optional.of(new Saved(
                    n.path("pid").asLong(),
                    n.path("startTicks").asLong(),
                    n.path("command").asText(""),
                    n.path("specHash").asText(""),
                    n.path("startedAt").asLong(),
                    n.path("readyAt").asLong(),
                    n.path("restarts").asInt(),
                    n.path("wantRunning").asBoolean(true)));
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
