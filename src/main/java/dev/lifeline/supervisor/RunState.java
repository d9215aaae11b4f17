package dev.lifeline.supervisor;

import dev.lifeline.config.ServiceSpec;
import dev.lifeline.core.EventListener;
import dev.lifeline.core.Home;
import dev.lifeline.process.Accounts;
import dev.lifeline.process.Launcher;
import dev.lifeline.process.ProcessIdentity;
import dev.lifeline.process.ProcessTree;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * One service's state, and the runner's lock: this object's monitor guards every field but the
 * two volatile ones, and the runner and its helpers ({@link RunChecks}, {@link Stopper}) take it
 * for every change. What is here is the definition, the {@link Lifecycle}, the runs the state
 * file keeps, and the current run: its generation number (so late news about an earlier process
 * is ignored), process, identity, where its output starts in the log, and its readiness scanner.
 * Nothing here waits: it is only ever used under the lock, and {@link #save} writes the state file.
 */
final class RunState {
    final String name;
    final Path log;
    /** {@code LIFELINE_SERVICE=<home id>:<name>}: in the environment of every process the service starts. */
    final String marker;

    /** Events and ready-future completions queued under the lock, delivered after it is released. */
    final Outbox outbox;

    final Lifecycle life;
    final HealthCheck health = new HealthCheck();
    final ResourceWatch resources;
    private final StateWriter stateFile;
    private final Clock clock;
    private final List<StateStore.Run> runs = new ArrayList<>();

    /** The account in {@code user:}; resolved off the lock, so not guarded by it. */
    volatile Optional<Accounts.Account> account;
    /** The uids the service's processes may run as; resolved off the lock, so not guarded by it. */
    volatile Set<Long> owners;

    ServiceSpec spec;
    String launchHash;
    long gen;
    /** The current run's main process, null when adopted from an earlier daemon (or none runs). */
    Process process;
    /** The current run's main process, null when none runs. */
    ProcessIdentity identity;

    long runOffset;
    LogScanner scanner;
    /** How the run ends when Lifeline kills it for a restart ({@code killed-unhealthy}…), for its run record. */
    String killedAs = "";
    /** Being removed: no start any more. */
    boolean retired;

    RunState(ServiceSpec spec, String launchHash, Home home, EventListener events, StateStore store, Clock clock) {
        this.name = spec.name();
        this.outbox = new Outbox(this, events, "service/" + name);
        this.spec = spec;
        this.launchHash = launchHash;
        this.log = home.serviceLog(name);
        this.marker = Launch.markerEntry(home, name);
        this.clock = clock;
        this.life = new Lifecycle(spec.restart(), clock);
        this.resources = new ResourceWatch(name, outbox);
        this.stateFile = new StateWriter(store, name);
        setAccount(Launch.account(spec));
    }

    /** Sets the account and the owners from it. Without the lock (both are volatile). */
    void setAccount(Optional<Accounts.Account> a) {
        account = a;
        owners = Launch.owners(a);
    }

    /** Whether {@code g} is still the current generation. */
    boolean current(long g) {
        return g == gen;
    }

    /** Everything the current run started: its session, its marked processes, its cgroup. */
    ProcessTree.Scope scope() {
        return new ProcessTree.Scope(identity.pid(), marker, identity.startTicks(), resources.cgroup(), owners);
    }

    /** A launch began a new generation: its process, a fresh run record, a new readiness scanner. */
    void launched(Launcher.Started started, long offset) {
        gen++;
        runOffset = offset;
        process = started.process();
        identity = started.identity();
        stateFile.launched();
        killedAs = "";
        health.reset();
        scanner = spec.ready().kind() == ServiceSpec.Ready.Kind.LOG
                ? new LogScanner(log, spec.ready().logPattern(), offset)
                : null;
        life.launched();
        runs.add(new StateStore.Run(life.startedAt().toEpochMilli(), offset, identity.pid(), 0, null, ""));
        while (runs.size() > StateStore.MAX_RUNS) {
            runs.remove(0);
        }
    }

    /** An earlier daemon's process became the current run, as a new generation. */
    void adopted(Adoption.Found found) {
        gen++;
        identity = found.process().identity();
        process = null;
        runOffset = found.runOffset(runs, log);
        if (spec.ready().kind() == ServiceSpec.Ready.Kind.LOG) {
            scanner = new LogScanner(log, spec.ready().logPattern(), Math.max(0, runOffset));
        }
        found.newRun(runs, runOffset).ifPresent(runs::add);
        life.adopted(found.startedAt(), found.readyAt());
    }

    /** The state file's runs come before this daemon's. */
    void restore(StateStore.Saved s) {
        runs.addAll(s.runs());
        life.restore(s.state(), s.reason(), s.restarts(), s.wantRunning());
    }

    /** Closes the last run's record, if still open. */
    void endRun(Integer code, String how) {
        if (!runs.isEmpty() && runs.get(runs.size() - 1).endedAt() == 0) {
            runs.set(runs.size() - 1, runs.get(runs.size() - 1).ended(clock.millis(), code, how));
        }
    }

    /** Log rotation moved {@code moved} bytes out of the log: the offsets shift with it. Saves. */
    LogScanner rotated(long moved) {
        runOffset -= moved;
        runs.replaceAll(r -> r.shifted(moved));
        save();
        return scanner;
    }

    /** Writes the state file; the pid file exists only while a process runs. */
    void save() {
        stateFile.save(identity, launchHash, life, runs);
    }

    /** Whether {@code cmd} (from {@link StateWriter#commandOf}) differs from the saved command line. */
    boolean commandChanged(String cmd) {
        return stateFile.commandChanged(cmd);
    }

    /** The status without anything that reads files or /proc. */
    ServiceStatus status() {
        long pid = identity == null ? 0 : identity.pid();
        return new ServiceStatus(
                name,
                life.state(),
                pid,
                life.restarts(),
                life.uptimeSeconds(),
                life.lastExit(),
                0,
                resources.limitBytes(),
                life.readySeconds(),
                spec.port().orElse(null),
                life.reason(),
                log.toString(),
                "",
                0,
                life.state().isRunning() && life.startedAt() != null
                        ? life.startedAt().getEpochSecond()
                        : 0);
    }
}
