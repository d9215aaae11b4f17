package dev.lifeline.supervisor;

import dev.lifeline.config.ServiceSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;

/**
 * Restart pacing: the first restart after a stable run is immediate, then MIN, 2×MIN, 4×MIN…
 * capped at MAX. A run is stable when it passed its readiness check (the model loaded: a later
 * crash is news, not a loop) or lasted {@code reset-after}; it resets the sequence. More than
 * {@code give-up} restarts inside its window ends in "failed". Pure: the clock is passed in.
 */
final class Backoff {
    private final ServiceSpec.Restart policy;
    private final Deque<Instant> recent = new ArrayDeque<>();
    private int consecutive;

    Backoff(ServiceSpec.Restart policy) {
        this.policy = policy;
    }

    /** The same history paced by {@code newPolicy} from now on (a live config change). */
    Backoff withPolicy(ServiceSpec.Restart newPolicy) {
        Backoff b = new Backoff(newPolicy);
        b.recent.addAll(recent);
        b.consecutive = consecutive;
        return b;
    }

    /**
     * Records a failure of a run that started at {@code runStart} and ended {@code now}.
     *
     * @param becameReady whether that run passed its readiness check
     *
     * @return the delay before the next start, or null to give up
     */
    Duration onFailure(Instant runStart, Instant now, boolean becameReady) {
        if (becameReady || Duration.between(runStart, now).compareTo(policy.resetAfter()) >= 0) {
            consecutive = 0;
        }
        Instant windowStart = now.minus(policy.giveUpWindow());
        while (!recent.isEmpty() && recent.peekFirst().isBefore(windowStart)) {
            recent.removeFirst();
        }
        if (recent.size() >= policy.giveUpCount()) {
            return null;
        }
        recent.addLast(now);
        Duration delay;
        if (consecutive == 0) {
            delay = Duration.ZERO;
        } else {
            long factor = 1L << Math.min(consecutive - 1, 30);
            Duration d = policy.backoffMin().multipliedBy(factor);
            delay = d.compareTo(policy.backoffMax()) > 0 ? policy.backoffMax() : d;
        }
        consecutive++;
        return delay;
    }

    /** Restarts inside the current give-up window. */
    int recentCount() {
        return recent.size();
    }

    void reset() {
        consecutive = 0;
        recent.clear();
    }
}
