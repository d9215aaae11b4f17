package dev.lifeline.supervisor;

import dev.lifeline.process.ProcessInfo;
import dev.lifeline.process.ProcessTree;
import dev.lifeline.process.Procfs;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Which running process an earlier daemon's service is: the one its state file claims, when the
 * claim checks out (same start time, and the same command line or Lifeline's marker in its
 * environment), or, when the state files are gone, the main one among the processes that carry
 * its marker.
 */
final class Adoption {
    private Adoption() {}

    /**
     * What was found.
     *
     * @param ours the service's main process, to adopt
     * @param stranger the live process the claim names when it is not ours (never signalled)
     */
    record Claim(Optional<ProcessInfo> ours, Optional<ProcessInfo> stranger) {}

    static Claim find(Optional<StateStore.Saved> saved, String markerEntry, java.util.Set<Long> owners) {
        Optional<ProcessInfo> claimed = saved.filter(s -> s.pid() > 0)
                .flatMap(s -> Procfs.read(s.pid()))
                .filter(p -> !p.isZombie());
        Optional<ProcessInfo> ours =
                claimed.filter(p -> p.startTicks() == saved.get().startTicks()
                        && (p.command().equals(saved.get().command()) || Procfs.environHas(p.pid(), markerEntry)));
        if (ours.isPresent()) {
            return new Claim(ours, Optional.empty());
        }
        if (saved.isEmpty()) {
            return new Claim(
                    mainOf(ProcessTree.Scope.marked(markerEntry, owners).members()), Optional.empty());
        }
        return new Claim(Optional.empty(), claimed);
    }

    /**
     * The main process among {@code marked}: one whose parent is not marked (Lifeline launched it),
     * preferring a session leader (Lifeline starts each service in a session of its own), the
     * oldest first.
     */
    static Optional<ProcessInfo> mainOf(List<ProcessInfo> marked) {
        Set<Long> pids = marked.stream().map(ProcessInfo::pid).collect(Collectors.toSet());
        return marked.stream()
                .filter(p -> !pids.contains(p.ppid()))
                .min(Comparator.comparing((ProcessInfo p) -> p.sid() != p.pid())
                        .thenComparingLong(ProcessInfo::startTicks));
    }

    /**
     * The process to adopt, with when it started and when it was ready (null when it was not, or is
     * not known to have been): from the state file when it names this pid, otherwise from /proc.
     *
     * @param byMarker found by its marker alone: the state files were lost
     */
    record Found(ProcessInfo process, Instant startedAt, Instant readyAt, boolean byMarker) {
        static Found of(Optional<StateStore.Saved> saved, ProcessInfo p) {
            Instant started = saved.filter(s -> s.pid() == p.pid() && s.startedAtMillis() > 0)
                    .map(s -> Instant.ofEpochMilli(s.startedAtMillis()))
                    .orElseGet(() -> startTime(p));
            Instant ready = saved.filter(s -> s.pid() == p.pid() && s.readyAtMillis() > 0)
                    .map(s -> Instant.ofEpochMilli(s.readyAtMillis()))
                    .orElse(null);
            return new Found(p, started, ready, saved.isEmpty());
        }

        /** The "adopted" event's message. */
        String message(String name) {
            return name + ": adopted running pid " + process.pid()
                    + (byMarker
                            ? " (found by its marker: the state files were lost; not restarted)"
                            : " (identity verified; not restarted)");
        }

        /**
         * Where the adopted run's output starts in the log: the saved run's offset, or the log's end
         * when nothing was saved.
         */
        long runOffset(List<StateStore.Run> runs, Path log) {
            try {
                return !byMarker && !runs.isEmpty()
                        ? runs.get(runs.size() - 1).offset()
                        : Files.exists(log) ? Files.size(log) : 0;
            } catch (IOException e) {
                return 0;
            }
        }

        /** The run to add for it, when the saved runs do not end with it. */
        Optional<StateStore.Run> newRun(List<StateStore.Run> runs, long offset) {
            return runs.isEmpty() || runs.get(runs.size() - 1).pid() != process.pid()
                    ? Optional.of(new StateStore.Run(startedAt.toEpochMilli(), offset, process.pid(), 0, null, ""))
                    : Optional.empty();
        }
    }

    /** The "stale-pid" warning: the pid file names {@code stranger}, which is not ours. */
    static String staleMessage(String name, StateStore.Saved s, ProcessInfo stranger) {
        return name + ": pid file names " + s.pid() + ", which is now another process ("
                + Wording.abbreviate(stranger.command()) + "); not signalling it";
    }

    /**
     * What the saved run may have left running after its main process died while no daemon
     * watched: its session (unless the pid now belongs to a stranger) and its marked processes.
     */
    static ProcessTree.Scope leftBehind(
            StateStore.Saved s, Optional<ProcessInfo> stranger, String markerEntry, Set<Long> owners) {
        return new ProcessTree.Scope(
                stranger.isPresent() ? 0 : s.pid(), markerEntry, s.startTicks(), Optional.empty(), owners);
    }

    /** When {@code p} started, from its start time in ticks since boot. */
    static Instant startTime(ProcessInfo p) {
        double ageSeconds = Procfs.uptimeSeconds() - (double) p.startTicks() / Procfs.ticksPerSecond();
        return Instant.now().minusMillis((long) (Math.max(0, ageSeconds) * 1000));
    }
}
