package dev.lifeline.daemon;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lifeline.core.Json;
import dev.lifeline.supervisor.ServiceStatus;
import java.util.List;

/**
 * The control protocol: one JSON request line per connection ({@code {"op": "status", …}}), then
 * zero or more {@code {"progress": …}} lines, then one final line {@code {"ok": true, "result":
 * …}} or {@code {"ok": false, "error": "…", "hint": "…"}}.
 */
public final class Protocol {
    private Protocol() {}

    /** A service status as scripts read it ({@code status --json}). */
    public static ObjectNode status(ServiceStatus s) {
        ObjectNode n = Json.object();
        n.put("name", s.name());
        n.put("state", s.state().label());
        n.put("pid", s.pid());
        n.put("restarts", s.restarts());
        n.put("uptimeSeconds", s.uptimeSeconds());
        if (s.lastExit() == null) {
            n.putNull("lastExit");
        } else {
            n.put("lastExit", s.lastExit());
        }
        n.put("rssBytes", s.rssBytes());
        n.put("memoryLimitBytes", s.memoryLimitBytes());
        if (s.readySeconds() >= 0) {
            n.put("readySeconds", s.readySeconds());
        } else {
            n.putNull("readySeconds");
        }
        if (s.port() == null) {
            n.putNull("port");
        } else {
            n.put("port", s.port());
        }
        n.put("reason", s.reason());
        n.put("log", s.log());
        return n;
    }

    public static ArrayNode statuses(List<ServiceStatus> list) {
        ArrayNode a = Json.array();
        list.forEach(s -> a.add(status(s)));
        return a;
    }
}
