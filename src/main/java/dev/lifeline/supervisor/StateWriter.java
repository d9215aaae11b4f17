package dev.lifeline.supervisor;

import dev.lifeline.process.ProcessIdentity;
import dev.lifeline.process.Procfs;
import java.util.List;

/**
 * Writes a service's state file from the runner's state, and keeps the command line it saved so
 * the runner's watch can save again when the process's own changes (setsid, prlimit and sh exec
 * into the program). Guarded by the runner's lock; {@link #commandOf} reads /proc and runs
 * without it.
 */
final class StateWriter {
    private final StateStore store;
    private final String name;

    // Guarded by the runner's lock.
    private String savedCommand = "";

    StateWriter(StateStore store, String name) {
        this.store = store;
        this.name = name;
    }

    /** Writes the state file; the pid file exists only while a process runs. Under the lock. */
    void save(ProcessIdentity identity, String launchHash, Lifecycle life, List<StateStore.Run> runs) {
        String cmd = identity == null ? "" : Procfs.cmdline(identity.pid());
        savedCommand = cmd;
        store.save(
                name,
                new StateStore.Saved(
                        identity == null ? 0 : identity.pid(),
                        identity == null ? 0 : identity.startTicks(),
                        identity == null ? "" : cmd.isEmpty() ? identity.command() : cmd,
                        launchHash,
                        identity == null || life.startedAt() == null
                                ? 0
                                : life.startedAt().toEpochMilli(),
                        identity == null || life.readyAt() == null
                                ? 0
                                : life.readyAt().toEpochMilli(),
                        life.restarts(),
                        life.wantRunning(),
                        life.state(),
                        life.reason(),
                        runs));
    }

    /** A new process: nothing of its command line is saved yet. Under the lock. */
    void launched() {
        savedCommand = "";
    }

    /** The process's command line now, from /proc ("" when gone). Without the lock. */
    static String commandOf(ProcessIdentity id) {
        return Procfs.cmdline(id.pid());
    }

    /** Whether {@code cmd} (from {@link #commandOf}) differs from the saved one. Under the lock. */
    boolean commandChanged(String cmd) {
        return !cmd.isEmpty() && !cmd.equals(savedCommand);
    }
}
