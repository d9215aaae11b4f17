package dev.lifeline.dashboard;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lifeline.core.EventListener;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Path;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * Everything the dashboard's server needs from the daemon, through one door. The daemon implements
 * it by calling the same handlers its control socket serves, so the page, the API and the CLI see
 * the same records.
 */
public interface Backend {
    /** Runs a control op exactly as the socket does; the result JSON is what the CLI gets. */
    JsonNode call(String op, ObjectNode request); // throws LifelineException (→ 4xx/5xx with error+hint)

    /** Live daemon events (SSE); closing the handle unsubscribes. */
    AutoCloseable subscribe(EventListener listener);

    /** Live log events of one service; closing the handle stops following. */
    AutoCloseable followLog(String service, Consumer<JsonNode> onLogEvent);

    /** {@code /metrics} (Prometheus text). */
    void writeMetrics(OutputStream out) throws IOException;

    /** A stored output's file in a watched vault. */
    Optional<Path> object(String sha256);
}
