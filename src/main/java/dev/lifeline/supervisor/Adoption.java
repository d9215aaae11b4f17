package dev.lifeline.supervisor;

import dev.lifeline.process.ProcessInfo;
import dev.lifeline.process.Procfs;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/** Finding the main process of a service among the processes that carry its marker. */
final class Adoption {
    private Adoption() {}

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
