package dev.lifeline.daemon;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lifeline.core.Json;
import dev.lifeline.doctor.Check;
import dev.lifeline.insight.ErrorReport;
import dev.lifeline.insight.LogEvent;
import dev.lifeline.supervisor.ServiceStatus;
import dev.lifeline.tunnel.TunnelStatus;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The control protocol, and the one codec for each record it carries (the CLI, the daemon and the
 * HTTP API use these and nothing else). A connection carries one JSON request line ({@code {"op":
 * "status", …}}), then any number of {@code {"progress": ProgressLine}}, {@code {"applied":
 * Applied}} and {@code {"heartbeat": true}} lines (one at least every half second while the request
 * runs), then one final line {@code {"ok": true, "result": …}} or {@code {"ok": false, "error":
 * "…", "hint": "…"}}.
 *
 * <p>Records are written by {@link Json#toNode(Record)}, one field per component: a component
 * added to {@link ServiceStatus} or {@link TunnelStatus} reaches every reader without an edit here.
 */
public final class Protocol {
    private Protocol() {}

    /**
     * One service as {@code status} shows it: the supervisor's record, flattened, plus what the
     * daemon knows about it.
     *
     * @param project the config file the service came from
     * @param gpuMemoryMiB GPU memory of its process tree, or null without nvidia-smi
     * @param gpuFreeMiB free GPU memory on the machine, or null without nvidia-smi
     */
    public record ServiceView(ServiceStatus service, String project, Long gpuMemoryMiB, Long gpuFreeMiB) {}

    /**
     * While services start: one line per waiting service, every 250 ms.
     *
     * @param elapsedSeconds since the command began waiting
     * @param lastLine the latest line of the service's log
     */
    public record ProgressLine(ServiceView view, double elapsedSeconds, String lastLine) {}

    /** What {@code up} changed, sent as soon as it is done, before waiting for readiness. */
    public record Applied(
            String project,
            List<String> started,
            List<String> restarted,
            List<String> unchanged,
            List<String> removed) {
        public Applied {
            started = List.copyOf(started);
            restarted = List.copyOf(restarted);
            unchanged = List.copyOf(unchanged);
            removed = List.copyOf(removed);
        }
    }

    /**
     * A vault the daemon watches, as {@code status} shows it.
     *
     * @param project the config file its {@code backup:} section came from
     * @param repository the local repository
     * @param unprotectedFiles files seen but not stored yet (0 when everything seen is stored):
     *     the files waiting to be stored
     * @param reason why storing them failed, or "" while they are only being written
     * @param lastSnapshotId the id of the newest snapshot in the repository; null before the first
     * @param lastSnapshotAt when it was cut (ISO-8601); null before the first
     * @param lagSeconds the newest output's last write → stored durably; while storing fails, at
     *     least how long it has been failing; null before anything was stored
     * @param lastStoredAt when the watcher last stored a file; null before the first
     * @param lastPushAt when the last complete upload to the remote mirror ended, in this daemon's
     *     life; null before one or without a remote
     * @param pushFailures uploads to the remote that failed or ended incomplete, in this daemon's life
     * @param retention the retention policy in words ({@code lifeline backup prune} applies it)
     * @param remote the mirror ({@code s3://bucket/prefix [at https://host]}), "" without one
     */
    public record BackupView(
            String project,
            String repository,
            int unprotectedFiles,
            String reason,
            Optional<String> lastSnapshotId,
            Optional<Instant> lastSnapshotAt,
            Optional<Double> lagSeconds,
            Optional<Instant> lastStoredAt,
            Optional<Instant> lastPushAt,
            int pushFailures,
            String retention,
            String remote) {}

    public static ArrayNode backups(List<BackupView> list) {
        ArrayNode a = Json.array();
        list.forEach(b -> a.add(Json.toNode(b)));
        return a;
    }

    public static List<BackupView> backups(JsonNode array) {
        List<BackupView> out = new java.util.ArrayList<>();
        array.forEach(n -> out.add(Json.fromNode(n, BackupView.class)));
        return out;
    }

    public static ObjectNode service(ServiceView v) {
        ObjectNode n = Json.toNode(v.service());
        n.put("project", v.project());
        if (v.gpuMemoryMiB() != null) {
            n.put("gpuMemoryMiB", v.gpuMemoryMiB());
        }
        if (v.gpuFreeMiB() != null) {
            n.put("gpuFreeMiB", v.gpuFreeMiB());
        }
        return n;
    }

    public static ServiceView service(JsonNode n) {
        return new ServiceView(
                Json.fromNode(n, ServiceStatus.class),
                n.path("project").asText(""),
                n.path("gpuMemoryMiB").isNumber() ? n.path("gpuMemoryMiB").asLong() : null,
                n.path("gpuFreeMiB").isNumber() ? n.path("gpuFreeMiB").asLong() : null);
    }

    public static ArrayNode services(List<ServiceView> list) {
        ArrayNode a = Json.array();
        list.forEach(s -> a.add(service(s)));
        return a;
    }

    public static List<ServiceView> services(JsonNode array) {
        List<ServiceView> out = new ArrayList<>();
        for (JsonNode n : array) {
            out.add(service(n));
        }
        return out;
    }

    public static ObjectNode progress(ProgressLine p) {
        ObjectNode n = service(p.view());
        n.put("elapsedSeconds", p.elapsedSeconds());
        n.put("lastLine", p.lastLine());
        return n;
    }

    public static ProgressLine progress(JsonNode n) {
        return new ProgressLine(
                service(n),
                n.path("elapsedSeconds").asDouble(),
                n.path("lastLine").asText(""));
    }

    public static ObjectNode applied(Applied a) {
        return Json.toNode(a);
    }

    public static Applied applied(JsonNode n) {
        return Json.fromNode(n, Applied.class);
    }

    public static ObjectNode tunnel(TunnelStatus s) {
        return Json.toNode(s);
    }

    public static TunnelStatus tunnel(JsonNode n) {
        return Json.fromNode(n, TunnelStatus.class);
    }

    public static ObjectNode check(Check c) {
        return Json.toNode(c);
    }

    public static Check check(JsonNode n) {
        return Json.fromNode(n, Check.class);
    }

    /** {@code errors --json} and the API's {@code /errors}: one shape of an {@link ErrorReport}. */
    public static ObjectNode errors(ErrorReport r, java.nio.file.Path log) {
        ObjectNode n = Json.object();
        n.put("log", log.toString());
        n.put("total", r.total());
        n.put("withoutTime", r.withoutTime());
        n.put("estimated", r.estimated());
        n.put("inLastRun", r.inLastRun());
        r.lastRun()
                .ifPresent(run -> n.putObject("lastRun")
                        .put("number", run.number())
                        .put("startedAt", run.startedAt().toString())
                        .put("pid", run.pid())
                        .put("running", run.running()));
        ArrayNode hours = n.putArray("perHour");
        r.perHour()
                .forEach((h, c) -> hours.addObject().put("hour", h.toString()).put("errors", c));
        ArrayNode top = n.putArray("top");
        r.top()
                .forEach(t -> top.addObject()
                        .put("message", t.message())
                        .put("count", t.count())
                        .put(
                                "lastSeen",
                                t.lastSeen() == null ? null : t.lastSeen().toString()));
        ArrayNode probs = n.putArray("problems");
        r.problems()
                .forEach(p -> probs.addObject()
                        .put("id", p.problem().id())
                        .put("title", p.problem().title())
                        .put("count", p.count())
                        .put("current", p.current())
                        .put("inLastRun", p.inLastRun())
                        .put(
                                "lastSeen",
                                p.lastSeen() == null ? null : p.lastSeen().toString())
                        .put("explanation", p.problem().explanation())
                        .put("fix", p.problem().fix()));
        return n;
    }

    /**
     * One log event (a Python traceback is one event) as the API's {@code /logs} and its stream
     * write it: {@code {line, time, level, message, text, traceback, estimated, run, problem}};
     * {@code text} is the raw lines joined by newlines.
     */
    public static ObjectNode logEvent(LogEvent e, java.util.function.UnaryOperator<String> redact) {
        ObjectNode n = Json.object();
        n.put("line", e.lineNumber());
        n.put("time", e.time() == null ? null : e.time().toString());
        n.put("level", e.level().name().toLowerCase(java.util.Locale.ROOT));
        n.put("message", redact.apply(e.message()));
        n.put("text", redact.apply(e.text()));
        n.put("traceback", e.isTraceback());
        n.put("estimated", e.estimated());
        if (e.run().isPresent()) {
            n.put("run", e.run().get().number());
        } else {
            n.putNull("run");
        }
        if (e.problem().isPresent()) {
            n.putObject("problem")
                    .put("id", e.problem().get().id())
                    .put("title", e.problem().get().title())
                    .put("fix", e.problem().get().fix());
        } else {
            n.putNull("problem");
        }
        return n;
    }
}
