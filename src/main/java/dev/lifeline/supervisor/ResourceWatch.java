package dev.lifeline.supervisor;

import dev.lifeline.config.ServiceSpec;
import dev.lifeline.core.Event;
import dev.lifeline.process.MemoryCgroup;
import dev.lifeline.process.ProcessInfo;
import dev.lifeline.process.ProcessTree;
import java.util.Map;
import java.util.Optional;

/**
 * A service's resources: its memory cgroup ({@code limits.memory}), the start-time warnings about
 * what cannot be enforced here, and restart-above-memory, which counts the RSS of everything the
 * service started, workers out of its session too. The cgroup and the warned flag are guarded by the
 * runner's lock; {@link #overMemory} reads /proc and runs without it.
 */
final class ResourceWatch {
    private final String name;
    private final Outbox outbox;

    // Guarded by the runner's lock.
    private Optional<MemoryCgroup> cgroup = Optional.empty();
    private boolean warnedAtStart;

    ResourceWatch(String name, Outbox outbox) {
        this.name = name;
        this.outbox = outbox;
    }

    /** Sets up the memory cgroup once, and says plainly what cannot be enforced here. Under the lock. */
    void prepare(ServiceSpec spec) {
        long mem = spec.limits().memoryBytes();
        if (mem > 0) {
            MemoryCgroup.Attempt a = MemoryCgroup.create(name, mem); // idempotent: sets the current limit
            cgroup = a.cgroup();
            if (cgroup.isEmpty() && !warnedAtStart) {
                outbox.emit(
                        "limit-not-enforced",
                        Event.Level.WARN,
                        name + ": limits.memory is not enforced: " + a.whyNot()
                                + (spec.limits().restartAboveMemoryBytes() > 0
                                        ? "; restart-above-memory still applies"
                                        : ""),
                        Map.of());
            }
        } else {
            cgroup.ifPresent(MemoryCgroup::remove);
            cgroup = Optional.empty();
        }
        if (!warnedAtStart && spec.user().isEmpty() && "root".equals(System.getProperty("user.name"))) {
            outbox.emit(
                    "runs-as-root",
                    Event.Level.WARN,
                    name + " runs as root; set 'user:' to run it as a less privileged account",
                    Map.of());
        }
        warnedAtStart = true;
    }

    /** The memory cgroup the service runs in, if one could be made. Under the lock. */
    Optional<MemoryCgroup> cgroup() {
        return cgroup;
    }

    /** The enforced memory limit in bytes, 0 when none. Under the lock. */
    long limitBytes() {
        return Math.max(0, cgroup.map(MemoryCgroup::limitBytes).orElse(0L));
    }

    /** Removes the cgroup once the service is stopped (kept for the next start's create). Under the lock. */
    void stopped() {
        cgroup.ifPresent(MemoryCgroup::remove);
    }

    /**
     * Why the service must restart for memory, when the RSS of its whole scope is above
     * restart-above-memory; empty otherwise. Reads /proc: call it without the lock.
     */
    static Optional<Over> overMemory(ProcessTree.Scope sc, ServiceSpec s) {
        long cap = s.limits().restartAboveMemoryBytes();
        if (cap <= 0) {
            return Optional.empty();
        }
        long rss = sc.members().stream().mapToLong(ProcessInfo::rssBytes).sum();
        if (rss <= cap) {
            return Optional.empty();
        }
        return Optional.of(new Over(
                rss,
                "Lifeline restarted it for memory: " + (rss >> 20) + " MiB is above restart-above-memory " + (cap >> 20)
                        + " MiB"));
    }

    /** The scope's RSS above the cap, and the reason status shows. */
    record Over(long rssBytes, String why) {}
}
