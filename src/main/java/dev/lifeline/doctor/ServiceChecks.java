package dev.lifeline.doctor;

import dev.lifeline.config.ServiceSpec;
import dev.lifeline.core.Event;
import dev.lifeline.core.Home;
import dev.lifeline.gpu.GpuSnapshot;
import dev.lifeline.insight.ErrorReport;
import dev.lifeline.insight.LogEvent;
import dev.lifeline.insight.LogFilter;
import dev.lifeline.insight.LogInsight;
import dev.lifeline.insight.ServiceRuns;
import dev.lifeline.process.Ports;
import dev.lifeline.process.ProcessInfo;
import dev.lifeline.process.ProcessOwner;
import dev.lifeline.process.ProcessTree;
import dev.lifeline.process.Procfs;
import java.io.IOException;
import java.net.HttpURLConnection;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** The checks about one service: its pid, port, log, limits, memory, GPU share and outputs. */
final class ServiceChecks {
    private final Home home;
    private final String name;
    private final Optional<ServiceSpec> spec;
    private final LogInsight insight;
    private final Duration timeout;
    private Optional<ProcessInfo> process = Optional.empty();

    ServiceChecks(Home home, String name, Optional<ServiceSpec> spec, LogInsight insight, Duration timeout) {
        this.home = home;
        this.name = name;
        this.spec = spec;
        this.insight = insight;
        this.timeout = timeout;
    }

    List<Check> run(GpuSnapshot gpu) {
        List<Check> out = new ArrayList<>();
        out.add(pid());
        spec.flatMap(ServiceSpec::port).ifPresent(port -> out.add(port(port)));
        out.addAll(log());
        process.ifPresent(p -> {
            out.add(openFiles(p));
            out.add(user(p));
            out.add(memory(p));
            if (gpu.usable()) {
                List<Long> pids =
                        Procfs.session(p.sid()).stream().map(ProcessInfo::pid).toList();
                out.add(Check.ok("gpu", name, name + " holds " + gpu.usedMiBBy(pids) + " MiB of GPU memory"));
            }
        });
        spec.flatMap(ServiceSpec::outputs).ifPresent(o -> out.add(outputs(o)));
        return out;
    }

    /** How the service stands when no process of it runs. */
    enum Down {
        NO,
        STOPPED,
        FAILED,
        CRASH_LOOP,
        DIED
    }

    private Down down = Down.NO;
    private ServiceRuns runs = ServiceRuns.NONE;

    private Check pid() {
        RunFiles rf = RunFiles.read(home, name);
        runs = rf.runs();
        String up = "`lifeline up " + name + "`";
        if (rf.pidText().isEmpty() && rf.identity().isEmpty()) {
            down = Down.STOPPED;
            return Check.fail("pid", name, name + " is not running (no " + rf.pidFile() + "): start it with " + up);
        }
        if (rf.damage().isPresent()) {
            return Check.fail(
                    "pid",
                    name,
                    rf.damage().get() + ": Lifeline cannot confirm which process is " + name
                            + "; stop it by hand if it runs, delete the file and run " + up);
        }
        if (rf.pidText().isPresent() && rf.pid().isEmpty()) {
            return Check.fail(
                    "pid",
                    name,
                    rf.pidFile() + " holds '" + Human.shorten(rf.pidText().orElse(""), 40)
                            + "', not a pid: delete it and run " + up);
        }
        Optional<Long> pid = rf.claimedPid();
        if (pid.isEmpty()) {
            return notRunning(rf, Optional.empty());
        }
        long n = pid.get();
        Optional<ProcessInfo> p = Procfs.read(n).filter(i -> !i.isZombie());
        if (p.isEmpty()) {
            return notRunning(rf, Optional.of(n));
        }
        ProcessInfo info = p.get();
        if (rf.identity().isPresent()) {
            RunFiles.Identity id = rf.identity().get();
            if (id.pid() != n) {
                return Check.warn(
                        "pid",
                        name,
                        rf.pidFile() + " says " + n + " but " + home.stateFile(name) + " says " + id.pid()
                                + ": one of them is stale; restart with `lifeline restart " + name + "`");
            }
            if (id.startTicks() >= 0 && id.startTicks() != info.startTicks()) {
                if (NOT_RUNNING.contains(runs.state().orElse(""))) {
                    return notRunning(rf, Optional.empty()); // the last pid was kept, and reused since
                }
                return Check.fail(
                        "pid",
                        name,
                        "pid " + n + " now belongs to another program (`"
                                + Human.shorten(info.command(), 80) + "`): " + name + " died and its pid was reused."
                                + " Do not `kill $(cat " + rf.pidFile() + ")`; start it with " + up);
            }
        } else {
            process = Optional.of(info);
            return Check.warn(
                    "pid",
                    name,
                    "process " + n + " (`" + Human.shorten(info.command(), 80)
                            + "`) is alive, but there is no " + home.stateFile(name) + " to prove it is " + name
                            + "; if you started it by hand, stop it and use " + up);
        }
        process = Optional.of(info);
        Duration uptime = Duration.ofMillis(Math.max(
                0, (long) (Procfs.uptimeSeconds() * 1000) - info.startTicks() * 1000 / Procfs.ticksPerSecond()));
        String own = "pid " + n + " is " + name + "'s own process (`" + Human.shorten(info.command(), 80) + "`, up "
                + Human.span(uptime) + ")";
        int before = crashesBeforeThisRun();
        if (before >= CRASH_LOOP && !runs.state().orElse("").equals("ready")) {
            down = Down.CRASH_LOOP;
            return Check.fail(
                    "pid",
                    name,
                    own + ", but " + name + " is crash-looping: the " + before + " runs before this one crashed"
                            + lastError(Optional.of(runs.runs().get(runs.runs().size() - 2)))
                            + "; see why with `lifeline errors " + name + "`");
        }
        return Check.ok("pid", name, own);
    }

    /** States in which the supervisor runs no process of the service. */
    private static final java.util.Set<String> NOT_RUNNING = java.util.Set.of("stopped", "failed", "backoff");

    /** Crashes in a row that make a service still starting "crash-looping". */
    private static final int CRASH_LOOP = 3;

    /** How many runs in a row crashed just before the one running now. */
    private int crashesBeforeThisRun() {
        List<ServiceRuns.Run> all = runs.runs();
        int n = 0;
        for (int i = all.size() - 2; i >= 0 && all.get(i).crashed(); i--) {
            n++;
        }
        return all.isEmpty() || !all.get(all.size() - 1).running() ? 0 : n;
    }

    /**
     * Why no process of the service runs, from the state the supervisor recorded (C1) — failed,
     * crash-looping or stopped on purpose — or, for older state files, from its last run and intent.
     *
     * @param stalePid the pid the files claim, if they claim one
     */
    private Check notRunning(RunFiles rf, Optional<Long> stalePid) {
        String up = "`lifeline up " + name + "`";
        String reason = runs.reason().isBlank() ? "" : ": " + runs.reason();
        int crashes = runs.crashesInARow();
        String loop = crashes > 1 ? "; it crashed " + crashes + " times in a row" : "";
        String state = runs.state().orElse("");
        boolean lastCrashed = runs.last().map(ServiceRuns.Run::crashed).orElse(false);
        String why = "; see why with `lifeline errors " + name + "`";
        if (state.equals("failed")) {
            down = crashes > 1 ? Down.CRASH_LOOP : Down.FAILED;
            return Check.fail(
                    "pid",
                    name,
                    name + " failed" + reason + loop + lastError() + why + ", fix it, then start it with " + up);
        }
        if (state.equals("backoff")) {
            down = Down.CRASH_LOOP;
            return Check.fail(
                    "pid",
                    name,
                    name + " is crash-looping: it exited and waits to be restarted" + reason + loop + lastError()
                            + why);
        }
        if (state.equals("stopped") || state.equals("stopping")) {
            down = Down.STOPPED;
            return Check.warn("pid", name, name + " was stopped on purpose" + reason + "; start it with " + up);
        }
        if (state.isEmpty() && lastCrashed) {
            down = crashes > 1 ? Down.CRASH_LOOP : Down.FAILED;
            return Check.fail(
                    "pid",
                    name,
                    name + " is not running: its last run "
                            + describe(runs.last().get()) + loop + lastError() + why + " and start it with " + up);
        }
        boolean stoppedOnPurpose = state.isEmpty()
                && rf.identity()
                        .flatMap(RunFiles.Identity::wantRunning)
                        .map(w -> !w)
                        .orElse(false);
        if (stoppedOnPurpose && stalePid.isEmpty() && runs.last().isPresent()) {
            down = Down.STOPPED;
            return Check.warn("pid", name, name + " was stopped on purpose; start it with " + up);
        }
        if (stoppedOnPurpose) {
            down = Down.STOPPED;
            return Check.warn(
                    "pid",
                    name,
                    name + " is not running and Lifeline does not mean it to (stopped, or given up after crashes:"
                            + " this state file does not say which)" + lastError() + "; start it with " + up);
        }
        down = Down.DIED;
        if (stalePid.isEmpty()) {
            return Check.fail(
                    "pid",
                    name,
                    name + " is not running (no process recorded" + (state.isEmpty() ? "" : ", state " + state) + ")"
                            + lastError() + why + " and start it with " + up);
        }
        return Check.fail(
                "pid",
                name,
                "stale pid file: process " + stalePid.get() + " is not running, so " + name + " died or was killed"
                        + lastError() + why + " and start it with " + up);
    }

    private static String describe(ServiceRuns.Run r) {
        String how = r.how().isEmpty() ? "ended" : r.how();
        return how + r.exitCode().map(c -> " with exit code " + c).orElse("");
    }

    /** "(last error …: …)" of the current or last run (the whole log when no runs are recorded), or nothing. */
    private String lastError() {
        return lastError(runs.last());
    }

    /** "(last error …: …)" from the start of {@code from} on (the whole log when empty), or nothing. */
    private String lastError(Optional<ServiceRuns.Run> from) {
        LogEvent[] last = new LogEvent[1];
        LogFilter f = LogFilter.all().level(Event.Level.ERROR);
        if (from.isPresent()) {
            f = f.from(from.get());
        }
        insight.forEach(home.serviceLog(name), runs, f, e -> last[0] = e);
        if (last[0] == null) {
            return "";
        }
        String problem = last[0].problem().map(p -> " — " + p.title()).orElse("");
        String where = from.isPresent() ? "last error of run " + from.get().number() : "last error in the log";
        return " (" + where + ": \"" + Human.shorten(last[0].message(), 120) + "\"" + problem + ")";
    }

    private Check port(int port) {
        if (!Ports.isListening(port)) {
            if (process.isPresent()) {
                return Check.fail(
                        "port",
                        name,
                        "nothing listens on port " + port + " although pid "
                                + process.get().pid() + " runs: still loading the model, or it listens elsewhere;"
                                + " watch `lifeline logs " + name + " -f` and check --server-port");
            }
            return Check.fail(
                    "port",
                    name,
                    "nothing listens on port " + port + ": start " + name + " with `lifeline up " + name + "`");
        }
        Optional<ProcessInfo> owner = Ports.owner(port);
        if (owner.isPresent()
                && process.isPresent()
                && owner.get().sid() != process.get().sid()) {
            return Check.fail(
                    "port",
                    name,
                    "port " + port + " is held by pid " + owner.get().pid() + " (`"
                            + Human.shorten(owner.get().command(), 80) + "`), not by " + name
                            + ": stop that program, or change the port of " + name + " and its --server-port together");
        }
        if (owner.isPresent() && process.isEmpty()) {
            return Check.fail(
                    "port",
                    name,
                    "port " + port + " is held by pid " + owner.get().pid() + " (`"
                            + Human.shorten(owner.get().command(), 80) + "`) while " + name + " is not running under"
                            + " Lifeline: an old copy started by hand? Stop it, then `lifeline up " + name + "`");
        }
        Optional<String> path = spec.map(ServiceSpec::ready)
                .map(ServiceSpec.Ready::httpPath)
                .or(() -> spec.flatMap(ServiceSpec::health).map(ServiceSpec.Health::httpPath));
        if (path.isEmpty()) {
            return Ports.answers("127.0.0.1", port, (int) timeout.toMillis())
                    ? Check.ok("port", name, "port " + port + " is listening and accepts connections")
                    : Check.fail(
                            "port",
                            name,
                            "port " + port + " is listening but does not accept connections within "
                                    + timeout.toMillis() + " ms: the app is hung or overloaded; `lifeline restart "
                                    + name + "`");
        }
        return http(port, path.get());
    }

    private Check http(int port, String path) {
        URI uri = URI.create("http://127.0.0.1:" + port + path);
        HttpURLConnection c = null;
        try {
            c = (HttpURLConnection) uri.toURL().openConnection();
            c.setConnectTimeout((int) timeout.toMillis());
            c.setReadTimeout((int) timeout.toMillis());
            c.setInstanceFollowRedirects(false);
            int status = c.getResponseCode();
            if (status >= 500) {
                return Check.fail(
                        "port",
                        name,
                        "port " + port + " answers HTTP " + status + " on " + path
                                + ": the app is up but failing; see `lifeline logs " + name + " --level error`");
            }
            return Check.ok("port", name, "port " + port + " is listening and answers HTTP " + status + " on " + path);
        } catch (SocketTimeoutException e) {
            return Check.fail(
                    "port",
                    name,
                    "port " + port + " accepts connections but " + path + " gave no answer within " + timeout.toMillis()
                            + " ms: the app is hung or busy; `lifeline restart " + name + "` if it stays so");
        } catch (IOException e) {
            return Check.fail("port", name, "port " + port + ": GET " + path + " failed: " + e.getMessage());
        } finally {
            if (c != null) {
                c.disconnect();
            }
        }
    }

    private List<Check> log() {
        Path log = home.serviceLog(name);
        List<Check> out = new ArrayList<>();
        if (!Files.exists(log)) {
            out.add(Check.warn(
                    "log", name, "no log yet at " + log + ": " + name + " has not been started by Lifeline"));
            return out;
        }
        Instant now = insight.clock().instant();
        ErrorReport r = insight.errors(log, runs, Optional.empty(), 1);
        // hour buckets that overlap the last hour start after now - 2h
        int lastHour = r.perHour().tailMap(now.minus(Duration.ofHours(2)).plusSeconds(1)).values().stream()
                .mapToInt(Integer::intValue)
                .sum();
        if (r.total() == 0) {
            out.add(Check.ok("log", name, "no errors in " + log));
        } else {
            String top = r.top().isEmpty()
                    ? ""
                    : "; most frequent: \"" + Human.shorten(r.top().get(0).message(), 120) + "\" ("
                            + r.top().get(0).count() + "×)";
            String when = lastHour > 0
                    ? count(lastHour, "error") + " in the last hour, " + r.total() + " in the log"
                    : count(r.total(), "error") + " in the log, none in the last hour";
            String run = r.lastRun()
                    .map(l -> ", " + r.inLastRun() + " in the " + (l.running() ? "current" : "last") + " run")
                    .orElse("");
            String estimated = r.estimated() > 0 ? " (times of " + r.estimated() + " estimated from run starts)" : "";
            Check.Status st = lastHour > 0 || r.perHour().isEmpty() ? Check.Status.WARN : Check.Status.OK;
            out.add(new Check(
                    "log", st, when + run + estimated + top + "; details: `lifeline errors " + name + "`", name));
        }
        DateTimeFormatter hhmm = DateTimeFormatter.ofPattern("MM-dd HH:mm").withZone(insight.zone());
        boolean failing = down == Down.FAILED || down == Down.CRASH_LOOP || down == Down.DIED;
        boolean byRun = r.lastRun().isPresent();
        for (ErrorReport.ProblemCount p : r.problems()) {
            String seen = p.count() + "×" + (p.lastSeen() == null ? "" : ", last " + hhmm.format(p.lastSeen()));
            if (!p.current()) {
                out.add(Check.ok(
                        "known-problem",
                        name,
                        "history: " + p.problem().title() + " (" + seen + ") was seen in earlier runs, not in the "
                                + (r.lastRun().get().running() ? "current" : "last") + " one"));
                continue;
            }
            if (!byRun && p.lastSeen() != null && p.lastSeen().isBefore(now.minus(Duration.ofHours(24)))) {
                continue;
            }
            String text = p.problem().title() + " (" + seen + (byRun ? ", in its last run" : "") + "): "
                    + p.problem().explanation() + " Fix: " + p.problem().fix();
            out.add(failing ? Check.fail("known-problem", name, text) : Check.warn("known-problem", name, text));
        }
        return out;
    }

    private static String count(int n, String word) {
        return n + " " + word + (n == 1 ? "" : "s");
    }

    private Check openFiles(ProcessInfo p) {
        long limit = Procfs.maxOpenFiles(p.pid());
        long open = Procfs.openFds(p.pid());
        long wanted = spec.map(s -> s.limits().openFiles()).orElse(0L);
        if (limit < 0) {
            return Check.warn("open-files", name, "cannot read /proc/" + p.pid() + "/limits");
        }
        String use = open >= 0 ? " (" + open + " open)" : "";
        if (wanted > 0 && limit < wanted) {
            return Check.fail(
                    "open-files",
                    name,
                    "the app's Max open files is " + limit + use
                            + " but limits.open-files asks for " + wanted + ": restart it with `lifeline restart "
                            + name
                            + "` so the limit applies");
        }
        if (open >= 0 && limit != Long.MAX_VALUE && open * 10 >= limit * 8) {
            return Check.warn(
                    "open-files",
                    name,
                    "uses " + open + " of its " + limit
                            + " file descriptors: raise limits.open-files (e.g. 65536) before it hits 'Too many open files'");
        }
        if (wanted == 0 && limit < 4096) {
            return Check.warn(
                    "open-files",
                    name,
                    "Max open files is " + limit + use + ", low for a model app: set `limits.open-files: 65536` for "
                            + name);
        }
        return Check.ok("open-files", name, "Max open files " + (limit == Long.MAX_VALUE ? "unlimited" : limit) + use);
    }

    private Check user(ProcessInfo p) {
        var uid = ProcessOwner.uid(p.pid());
        if (uid.isPresent() && uid.getAsInt() == 0) {
            return Check.warn(
                    "user",
                    name,
                    name + " runs as root: a bug in the app or a model's pickle file can"
                            + " then do anything; set `user:` to an unprivileged account for " + name);
        }
        return Check.ok("user", name, name + " runs as uid " + (uid.isPresent() ? uid.getAsInt() : "?"));
    }

    private Check memory(ProcessInfo p) {
        long rss = ProcessTree.rss(p.sid());
        long restartAbove = spec.map(s -> s.limits().restartAboveMemoryBytes()).orElse(0L);
        long cap = spec.map(s -> s.limits().memoryBytes()).orElse(0L);
        String facts = name + " uses " + Human.bytes(rss) + " (whole process tree)";
        if (cap > 0 && rss * 10 >= cap * 9) {
            return Check.warn(
                    "memory",
                    name,
                    facts + ", near its limits.memory of " + Human.bytes(cap)
                            + ": it will be killed at the cap; raise the limit or reduce the model's memory");
        }
        if (restartAbove > 0 && rss * 10 >= restartAbove * 9) {
            return Check.warn(
                    "memory",
                    name,
                    facts + ", near restart-above-memory " + Human.bytes(restartAbove)
                            + ": Lifeline will restart it soon");
        }
        return Check.ok("memory", name, facts + (cap > 0 ? ", limit " + Human.bytes(cap) : ""));
    }

    private Check outputs(Path dir) {
        if (!Files.exists(dir)) {
            return Check.warn(
                    "outputs",
                    name,
                    "outputs folder " + dir + " does not exist yet: create it (`mkdir -p " + dir
                            + "`) or fix `outputs:` for " + name);
        }
        if (!Files.isDirectory(dir)) {
            return Check.fail("outputs", name, "outputs " + dir + " is not a folder: fix `outputs:` for " + name);
        }
        try {
            Path probe = Files.createTempFile(dir, ".lifeline-doctor", ".tmp");
            Files.delete(probe);
        } catch (IOException e) {
            return Check.fail(
                    "outputs",
                    name,
                    "cannot write to " + dir + " (" + e.getMessage()
                            + "): fix its owner or permissions, e.g. `chown -R "
                            + spec.flatMap(ServiceSpec::user).orElse("$USER") + " " + dir + "`");
        }
        Optional<String> user = spec.flatMap(ServiceSpec::user);
        if (user.isPresent()) {
            try {
                String owner = Files.getOwner(dir).getName();
                if (!owner.equals(user.get())) {
                    return Check.warn(
                            "outputs",
                            name,
                            dir + " is owned by " + owner + " but " + name + " runs as " + user.get()
                                    + ": it may not be able to write there; `chown -R " + user.get() + " " + dir + "`");
                }
            } catch (IOException | UnsupportedOperationException e) {
                // owner unknown: the write test above passed
            }
        }
        return Check.ok("outputs", name, dir + " is writable");
    }
}
