package dev.lifeline.daemon;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lifeline.core.Json;
import dev.lifeline.tunnel.TunnelState;
import dev.lifeline.tunnel.TunnelStatus;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/** Tunnel states across the control socket, in the shape of {@code tunnel status --json}. */
public final class TunnelCodec {
    private TunnelCodec() {}

    public static ObjectNode toJson(TunnelStatus s) {
        ObjectNode m = Json.object();
        m.put("name", s.name());
        m.put("state", s.state().label());
        m.put("reconnects", s.reconnects());
        s.lastError().ifPresentOrElse(e -> m.put("lastError", e), () -> m.putNull("lastError"));
        s.rttMillis().ifPresentOrElse(r -> m.put("rttMillis", r), () -> m.putNull("rttMillis"));
        ArrayNode fs = m.putArray("forwards");
        for (TunnelStatus.ForwardStatus f : s.forwards()) {
            ObjectNode fm = fs.addObject();
            fm.put("local", f.local());
            fm.put("remote", f.remote());
            f.remoteAnswers().ifPresentOrElse(a -> fm.put("remoteAnswers", a), () -> fm.putNull("remoteAnswers"));
        }
        m.put("command", s.command());
        if (s.pid() < 0) {
            m.putNull("pid");
        } else {
            m.put("pid", s.pid());
        }
        m.put("since", s.since().toString());
        m.put("session", s.session());
        return m;
    }

    public static TunnelStatus fromJson(JsonNode n) {
        List<TunnelStatus.ForwardStatus> forwards = new ArrayList<>();
        for (JsonNode f : n.path("forwards")) {
            forwards.add(new TunnelStatus.ForwardStatus(
                    f.path("local").asText(),
                    f.path("remote").asText(),
                    f.path("remoteAnswers").isBoolean()
                            ? Optional.of(f.path("remoteAnswers").asBoolean())
                            : Optional.empty()));
        }
        return new TunnelStatus(
                n.path("name").asText(),
                TunnelState.valueOf(n.path("state").asText().toUpperCase(Locale.ROOT)),
                n.path("reconnects").asInt(),
                n.path("lastError").isTextual()
                        ? Optional.of(n.path("lastError").asText())
                        : Optional.empty(),
                n.path("rttMillis").isNumber() ? Optional.of(n.path("rttMillis").asLong()) : Optional.empty(),
                forwards,
                n.path("command").asText(),
                n.path("pid").isNumber() ? n.path("pid").asLong() : -1,
                Instant.parse(n.path("since").asText()),
                n.path("session").asText("pty"));
    }
}
