package dev.lifeline.daemon;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lifeline.backup.FileEntry;
import dev.lifeline.backup.Vault;
import dev.lifeline.backup.VaultWatcher;
import dev.lifeline.backup.VerifyResult;
import dev.lifeline.config.BackupSpec;
import dev.lifeline.config.LifelineConfig;
import dev.lifeline.config.ServiceSpec;
import dev.lifeline.core.Event;
import dev.lifeline.core.EventListener;
import dev.lifeline.core.Home;
import dev.lifeline.core.Json;
import dev.lifeline.core.LifelineException;
import dev.lifeline.dashboard.NotFound;
import dev.lifeline.doctor.BackupState;
import dev.lifeline.doctor.Check;
import dev.lifeline.doctor.Doctor;
import dev.lifeline.insight.LogEvent;
import dev.lifeline.insight.LogFilter;
import dev.lifeline.insight.LogInsight;
import dev.lifeline.insight.ServiceRuns;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.UnaryOperator;
import java.util.regex.Pattern;

/**
 * The daemon's read-and-act ops that the dashboard needs besides {@code status}: {@code doctor},
 * {@code logs}, {@code errors}, {@code backup.now}, {@code backup.verify}, {@code outputs}
 * (the newest outputs the vaults stored: a bounded ring of {@code stored} events, or the last
 * snapshot's files while the ring is empty) and {@code outputs.restore} ({@link OutputRestore}). Registered on the control socket like every other op.
 */
final class ViewOps implements EventListener {
    static final int RING = 200;
    private static final Pattern SERVICE = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,63}");
    private static final Pattern SECRET_KEY =
            Pattern.compile("(?i).*(token|secret|passw|pwd|api[_-]?key|auth|credential|private).*");
    /** Well-known secret shapes: Hugging Face, OpenAI-style, AWS access key ids, GitHub tokens. */
    private static final Pattern SECRET_SHAPES = Pattern.compile(
            "\\b(hf_[A-Za-z0-9]{20,}|sk-[A-Za-z0-9_-]{20,}|AKIA[0-9A-Z]{16}|gh[pousr]_[A-Za-z0-9]{30,})\\b");

    private final Home home;
    private final ProjectHost projects;
    private final EventListener events;
    private final Deque<ObjectNode> stored = new ArrayDeque<>(); // guarded by itself

    ViewOps(Home home, ProjectHost projects, EventListener events) {
        this.home = home;
        this.projects = projects;
        this.events = events;
    }

    void register(ControlServer control) {
        control.register("doctor", (req, p) -> doctor(req));
        control.register("logs", (req, p) -> logs(req));
        control.register("errors", (req, p) -> errors(req));
        control.register("backup.now", (req, p) -> backupNow());
        control.register("backup.verify", (req, p) -> backupVerify());
        control.register("outputs", (req, p) -> outputs(req.path("limit").asInt(24)));
        OutputRestore restore = new OutputRestore(projects, events);
        control.register("outputs.restore", (req, p) -> restore.restore(req));
    }

    /** Keeps the newest {@code stored} events of the vaults. */
    @Override
    public void onEvent(Event e) {
        if (!"stored".equals(e.type()) || !"backup".equals(e.source())) {
            return;
        }
        Object sha = e.fields().get("sha256");
        if (sha == null) {
            return;
        }
        ObjectNode n = Json.object();
        n.put("path", String.valueOf(e.fields().get("path")));
        n.put("sha256", String.valueOf(sha));
        n.put("size", e.fields().get("size") instanceof Number s ? s.longValue() : -1);
        Object at = e.fields().get("durableAtMillis");
        n.put("storedAt", (at instanceof Number ms ? Instant.ofEpochMilli(ms.longValue()) : e.time()).toString());
        synchronized (stored) {
            stored.addFirst(n);
            while (stored.size() > RING) {
                stored.removeLast();
            }
        }
    }

    private JsonNode doctor(JsonNode req) {
        Doctor.Builder b = Doctor.builder(home);
        Projects p = projects.projects();
        if (!p.isEmpty()) {
            b.config(p.merged(home.appliedConfig()));
        }
        for (Protocol.BackupView v : projects.backups()) {
            b.backup(new BackupState(v.repository(), v.unprotectedFiles(), v.reason()));
        }
        Optional<String> service = req.hasNonNull("service")
                ? Optional.of(service(req.path("service").asText()))
                : Optional.empty();
        ArrayNode a = Json.array();
        for (Check c : b.build().run(service)) {
            a.add(Protocol.check(c));
        }
        return a;
    }

    private JsonNode logs(JsonNode req) {
        String name = known(req.path("service").asText());
        Path log = home.serviceLog(name);
        if (!Files.exists(log)) {
            return Json.array();
        }
        LogInsight li = LogInsight.systemDefault();
        LogFilter f = LogFilter.parse(
                req.hasNonNull("level") ? req.path("level").asText() : null, null, null, li.clock(), li.zone());
        String q = req.path("q").asText("");
        if (!q.isEmpty()) {
            f = f.grep(Pattern.compile(Pattern.quote(q), Pattern.CASE_INSENSITIVE | Pattern.UNICODE_CASE));
        }
        int n = Math.max(1, Math.min(5000, req.path("n").asInt(200)));
        List<LogEvent> all = li.filter(log, ServiceRuns.read(home.stateFile(name)), f);
        UnaryOperator<String> redact = redactor();
        ArrayNode a = Json.array();
        for (LogEvent e : all.subList(Math.max(0, all.size() - n), all.size())) {
            a.add(Protocol.logEvent(e, redact));
        }
        return a;
    }

    private JsonNode errors(JsonNode req) {
        String name = known(req.path("service").asText());
        Path log = home.serviceLog(name);
        LogInsight li = LogInsight.systemDefault();
        int top = Math.max(1, Math.min(50, req.path("top").asInt(5)));
        return Protocol.errors(li.errors(log, ServiceRuns.read(home.stateFile(name)), Optional.empty(), top), log);
    }

    private JsonNode backupNow() {
        Map<Path, VaultWatcher> w = projects.watchers();
        if (w.isEmpty()) {
            throw noBackup();
        }
        ArrayNode repos = Json.array();
        w.forEach((project, watcher) -> {
            watcher.snapshotSoon();
            repos.add(String.valueOf(watcher.repository()));
        });
        ObjectNode n = Json.object();
        n.put("requested", true);
        n.set("repositories", repos);
        return n;
    }

    private JsonNode backupVerify() {
        Map<Path, BackupSpec> specs = projects.projects().backups();
        if (specs.isEmpty()) {
            throw noBackup();
        }
        ArrayNode a = Json.array();
        specs.forEach((project, spec) -> {
            ObjectNode n = a.addObject();
            n.put("project", project.toString());
            n.put("repository", String.valueOf(spec.repository()));
            try {
                VerifyResult r = Vault.open(spec, events).verify(false, 0);
                n.put("ok", r.ok());
                n.set("result", Json.toNode(r));
            } catch (LifelineException e) {
                n.put("ok", false);
                n.put("error", e.getMessage());
            }
        });
        return a;
    }

    private JsonNode outputs(int limit) {
        int n = Math.max(1, Math.min(RING, limit));
        ArrayNode a = Json.array();
        synchronized (stored) {
            for (ObjectNode o : stored) {
                if (a.size() >= n) {
                    break;
                }
                a.add(o.deepCopy());
            }
        }
        if (!a.isEmpty()) {
            return a;
        }
        // Nothing stored since the daemon started: the newest files of each vault's last snapshot.
        List<ObjectNode> fromSnapshots = new ArrayList<>();
        projects.projects().backups().forEach((project, spec) -> {
            try {
                List<FileEntry> files =
                        new ArrayList<>(Vault.open(spec, EventListener.NONE).ls("latest", ""));
                files.removeIf(f -> f.sha256() == null || f.link() != null);
                files.sort(Comparator.comparingLong(FileEntry::mtimeNanos).reversed());
                for (FileEntry f : files.subList(0, Math.min(n, files.size()))) {
                    ObjectNode o = Json.object();
                    o.put("path", f.path());
                    o.put("sha256", f.sha256());
                    o.put("size", f.size());
                    o.put("storedAt", Instant.ofEpochSecond(0, f.mtimeNanos()).toString());
                    fromSnapshots.add(o);
                }
            } catch (LifelineException e) {
                // no snapshot yet
            }
        });
        fromSnapshots.sort(
                Comparator.comparing((ObjectNode o) -> o.path("storedAt").asText())
                        .reversed());
        fromSnapshots.stream().limit(n).forEach(a::add);
        return a;
    }

    /** A stored object's file in a watched vault's repository (a regular file, never a link). */
    Optional<Path> object(String sha256) {
        if (!sha256.matches("[0-9a-f]{64}")) {
            return Optional.empty();
        }
        for (Protocol.BackupView v : projects.backups()) {
            Path f = Path.of(v.repository())
                    .resolve("objects")
                    .resolve(sha256.substring(0, 2))
                    .resolve(sha256);
            if (Files.isRegularFile(f, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                return Optional.of(f);
            }
        }
        return Optional.empty();
    }

    /**
     * Replaces what looks secret in text shown on the page: the values of env entries with a secret
     * name (TOKEN, SECRET, PASSWORD, API_KEY…) of every applied service, and well-known token shapes.
     */
    UnaryOperator<String> redactor() {
        List<String> values = new ArrayList<>();
        for (LifelineConfig c : projects.projects().configs().values()) {
            for (ServiceSpec s : c.services().values()) {
                s.env().forEach((k, v) -> {
                    if (v != null && v.length() >= 6 && SECRET_KEY.matcher(k).matches()) {
                        values.add(v);
                    }
                });
            }
        }
        values.sort(Comparator.comparingInt(String::length).reversed());
        return text -> {
            if (text == null) {
                return null;
            }
            String t = text;
            for (String v : values) {
                t = t.replace(v, "***");
            }
            return SECRET_SHAPES.matcher(t).replaceAll("***");
        };
    }

    private String known(String name) {
        service(name);
        try {
            projects.requireKnown(name);
        } catch (LifelineException e) {
            throw new NotFound(e.getMessage(), e.hint());
        }
        return name;
    }

    private static String service(String name) {
        if (!SERVICE.matcher(name).matches()) {
            throw new NotFound("'" + name + "' is not a service name", "use the name from lifeline.yaml");
        }
        return name;
    }

    private static LifelineException noBackup() {
        return new LifelineException(
                "no project has a backup: section", "add backup: to lifeline.yaml and run 'lifeline up'");
    }
}
