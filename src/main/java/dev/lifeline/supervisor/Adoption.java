package dev.lifeline.supervisor;

import dev.lifeline.process.ProcessInfo;
import dev.lifeline.process.ProcessTree;
import dev.lifeline.process.Procfs;
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

    /** When {@code p} started, from its start time in ticks since boot. */
    static Instant startTime(ProcessInfo p) {
        double ageSeconds = Procfs.uptimeSeconds() - (double) p.startTicks() / Procfs.ticksPerSecond();
        return Instant.now().minusMillis((long) (Math.max(0, ageSeconds) * 1000));
    }
}
