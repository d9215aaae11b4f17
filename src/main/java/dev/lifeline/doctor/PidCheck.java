package dev.lifeline.doctor;

import dev.lifeline.core.Event;
import dev.lifeline.core.Home;
import dev.lifeline.insight.LogEvent;
import dev.lifeline.insight.LogFilter;
import dev.lifeline.insight.LogInsight;
import dev.lifeline.insight.ServiceRuns;
import dev.lifeline.process.ProcessInfo;
import dev.lifeline.process.Procfs;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * The {@code pid} check of one service: whether the pid its run files claim is alive and is the
 * service's own process (the start time in the state file matches, so a reused pid is caught),
 * and, when no process of it runs, why — stopped on purpose, failed, crash-looping or died — with
 * the last error of its log. The other checks of the service read what it found: {@link
 * #process}, {@link #runs}, {@link #down}.
 */
final class PidCheck {
    private final Home home;
    private final String name;
    private final LogInsight insight;

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
    private Optional<ProcessInfo> process = Optional.empty();

    PidCheck(Home home, String name, LogInsight insight) {
        this.home = home;
        this.name = name;
        this.insight = insight;
    }

    /** The process of the service, when the check found it running (its own, or unproven). */
    Optional<ProcessInfo> process() {
        return process;
    }

    /** The runs the supervisor recorded, read by {@link #check}. */
    ServiceRuns runs() {
        return runs;
    }

    /** How the service stands when no process of it runs, found by {@link #check}. */
    Down down() {
        return down;
    }

    /** Reads the run files and {@code /proc}: whether the pid the files claim is the service's own process. */
    Check check() {
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
}
