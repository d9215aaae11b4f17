package dev.lifeline.doctor;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lifeline.core.Home;
import dev.lifeline.insight.ServiceRuns;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Optional;

/**
 * What the supervisor left in {@code run/}: the bare pid in {@code <service>.pid} and the identity
 * behind it in {@code <service>.json} ({@code {"pid":N,"startTicks":N,"command":"…","wantRunning":true}},
 * and since contract C1 its {@code state}, {@code reason} and {@code runs}). A pid of 0 means no
 * process.
 * Read directly, so doctor works with no daemon.
 */
record RunFiles(
        Path pidFile,
        Optional<String> pidText,
        Optional<Identity> identity,
        Optional<String> damage,
        ServiceRuns runs) {

    record Identity(long pid, long startTicks, String command, Optional<Boolean> wantRunning) {}

    private static final ObjectMapper JSON = new ObjectMapper();

    static RunFiles read(Home home, String service) {
        Path pidFile = home.pidFile(service);
        Optional<String> pidText;
        try {
            pidText = Optional.of(Files.readString(pidFile).strip());
        } catch (NoSuchFileException e) {
            pidText = Optional.empty();
        } catch (IOException e) {
            pidText = Optional.of("");
        }
        Path state = home.stateFile(service);
        Optional<Identity> id = Optional.empty();
        Optional<String> damage = Optional.empty();
        ServiceRuns runs = ServiceRuns.NONE;
        if (Files.exists(state)) {
            try {
                JsonNode n = JSON.readTree(state.toFile());
                if (n != null && n.isObject()) {
                    runs = ServiceRuns.of(n);
                }
                if (n == null || !n.has("pid") || !n.get("pid").canConvertToLong()) {
                    damage = Optional.of(state + " has no pid");
                } else {
                    id = Optional.of(new Identity(
                            n.get("pid").asLong(),
                            n.has("startTicks") ? n.get("startTicks").asLong() : -1,
                            n.has("command") ? n.get("command").asText() : "",
                            n.has("wantRunning")
                                    ? Optional.of(n.get("wantRunning").asBoolean())
                                    : Optional.empty()));
                }
            } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                damage = Optional.of(state + " is not valid JSON: " + e.getOriginalMessage());
            } catch (IOException e) {
                damage = Optional.of("cannot read " + state + ": " + e.getMessage());
            }
        }
        return new RunFiles(pidFile, pidText, id, damage, runs);
    }

    /** The pid the pid file claims, if it holds a number (0 included: an old supervisor wrote it for none). */
    Optional<Long> pid() {
        return pidText.filter(t -> t.matches("\\d{1,10}")).map(Long::parseLong);
    }

    /** The pid of a process the files claim, if any: 0 and absent are none. */
    Optional<Long> claimedPid() {
        return pid().or(() -> identity.map(Identity::pid)).filter(p -> p > 0);
    }
}
