package dev.lifeline.supervisor;

import dev.lifeline.config.ServiceSpec;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import java.util.Optional;

/**
 * One service's life as a state machine, and nothing else: no processes, no threads, no files.
 * It is told what happened (launched, ready, exited, a stop was asked for…) and decides the new
 * state, the reason people see, the restart count, the backoff and when to give up; {@link
 * ServiceRunner} carries out what it decides. Not thread-safe: the runner calls it under its lock.
 */
final class Lifecycle {
    private final Clock clock;
    private ServiceSpec.Restart policy;
    private Backoff backoff;
    private ServiceState state = ServiceState.STOPPED;
    private String reason = "";
    private boolean wantRunning;
    private int restarts;
    private Integer lastExit;
    private Instant startedAt;
    private Instant readyAt;
    private boolean provedByCheck;
    /** When the service went down by a crash or a hang, until it is ready again; null when up or stopped. */
    private Instant downSince;

    Lifecycle(ServiceSpec.Restart policy, Clock clock) {
        this.clock = clock;
        this.policy = policy;
        this.backoff = new Backoff(policy);
    }

    /** What to do after a run ended. */
    record Decision(Action action, Duration delay) {
        enum Action {
            /** Stay down: stopped or failed, as {@link #state()} says. */
            STAY_DOWN,
            /** Launch again after {@link #delay()}. */
            RESTART
        }

        static Decision stayDown() {
            return new Decision(Action.STAY_DOWN, Duration.ZERO);
        }
    }

    /** A service that is ready again after a crash or hang restart (event {@code recovered}). */
    record Recovery(int restarts, long downSeconds) {}

    // ------------------------------------------------------------------ what happened

    /**
     * A start was asked for (by a user or by {@code up}).
     *
     * @return false when it is running or stopping already (nothing to do)
     */
    boolean startRequested() {
        if (state.isRunning() || state == ServiceState.STOPPING) {
            return false;
        }
        wantRunning = true;
        backoff.reset();
        return true;
    }

    /** A new run began. */
    void launched() {
        state = ServiceState.STARTING;
        startedAt = clock.instant();
        readyAt = null;
        provedByCheck = false;
        reason = "";
    }

    /** A start that cannot work (bad program, bad directory, a port taken) asked for by a user. */
    void cannotStart(String why) {
        state = ServiceState.FAILED;
        wantRunning = false;
        reason = why;
    }

    /**
     * The run passed its readiness check ({@code byCheck}) or stayed up long enough with none.
     *
     * @return the recovery to announce, when it had gone down by a crash or hang
     */
    Optional<Recovery> ready(boolean byCheck) {
        readyAt = clock.instant();
        provedByCheck = byCheck;
        state = ServiceState.READY;
        reason = "";
        if (downSince == null) {
            return Optional.empty();
        }
        long down = Duration.between(downSince, readyAt).toSeconds();
        downSince = null;
        return Optional.of(new Recovery(restarts, down));
    }

    /** Lifeline is ending the run to restart it (unhealthy, not ready in time, over its memory). */
    void killing(String why) {
        state = ServiceState.UNHEALTHY;
        reason = why;
    }

    /**
     * The run's main process ended on its own or was ended for a restart.
     *
     * @param code its exit code, or null when unknown
     * @param how how it ended, for people ("exited with code 3")
     */
    Decision exited(Integer code, String how) {
        lastExit = code;
        boolean endedByUs = state == ServiceState.UNHEALTHY;
        String why = endedByUs ? reason : how;
        boolean clean = code != null && code == 0 && !endedByUs;
        ServiceSpec.Restart.Policy p = policy.policy();
        if (!wantRunning
                || p == ServiceSpec.Restart.Policy.NEVER
                || (p == ServiceSpec.Restart.Policy.ON_FAILURE && clean)) {
            state = clean ? ServiceState.STOPPED : ServiceState.FAILED;
            reason = clean
                    ? why
                    : why + " (restart policy: "
                            + p.name().toLowerCase(Locale.ROOT).replace('_', '-') + ")";
            wantRunning = false;
            downSince = null;
            return Decision.stayDown();
        }
        return failedRun(why);
    }

    /**
     * A restart could not launch (a port taken) or a run was lost while no daemon watched: counts
     * as a failed run.
     */
    Decision failedRun(String why) {
        Instant now = clock.instant();
        if (downSince == null) {
            downSince = now;
        }
        // With no readiness check, "ready" only means "stayed up a moment": only reset-after proves stability.
        Duration delay = backoff.onFailure(startedAt == null ? now : startedAt, now, provedByCheck);
        // What follows is a new attempt: a launch that fails at once (a port held elsewhere) is a
        // zero-length run, never a stable one, so it backs off instead of restarting "now" forever.
        startedAt = now;
        readyAt = null;
        provedByCheck = false;
        if (delay == null) {
            state = ServiceState.FAILED;
            wantRunning = false;
            downSince = null;
            reason = "gave up after " + policy.giveUpCount() + " restarts in " + Wording.human(policy.giveUpWindow())
                    + "; last: " + why;
            return Decision.stayDown();
        }
        restarts++;
        state = ServiceState.BACKOFF;
        reason = why;
        return new Decision(Decision.Action.RESTART, delay);
    }

    /**
     * A stop was asked for.
     *
     * @return true when a run must be ended; false when nothing runs (a pending restart is
     *     cancelled: the state is then {@code stopped})
     */
    boolean stopRequested(String why) {
        wantRunning = false;
        downSince = null;
        if (!state.isRunning()) {
            if (state == ServiceState.BACKOFF) {
                state = ServiceState.STOPPED;
                reason = why;
            }
            return false;
        }
        state = ServiceState.STOPPING;
        reason = why;
        return true;
    }

    /** The stop finished; {@code survivors} processes would not die. */
    void stopped(int survivors, String why) {
        state = ServiceState.STOPPED;
        reason = survivors == 0 ? why : survivors + " process(es) would not die";
    }

    /** Stopping failed with an error. */
    void stopFailed(String why) {
        state = ServiceState.FAILED;
        reason = why;
    }

    /**
     * The definition changed. A change that restarts the service starts a fresh restart count and
     * give-up window; a live change keeps them but uses the new pacing from now on.
     */
    void redefined(ServiceSpec.Restart newPolicy, boolean restarting) {
        if (restarting) {
            restarts = 0;
            backoff = new Backoff(newPolicy);
            downSince = null;
        } else if (!newPolicy.equals(policy)) {
            backoff = backoff.withPolicy(newPolicy);
        }
        policy = newPolicy;
    }

    /** Restored from a state file an earlier daemon wrote. */
    void restore(ServiceState savedState, String savedReason, int savedRestarts, boolean savedWant) {
        restarts = savedRestarts;
        wantRunning = savedWant;
        state = savedState;
        reason = savedReason;
    }

    /** An earlier daemon's run was taken over; {@code ready} when it had passed readiness. */
    void adopted(Instant runStartedAt, Instant runReadyAt) {
        wantRunning = true;
        startedAt = runStartedAt;
        readyAt = runReadyAt;
        provedByCheck = runReadyAt != null;
        state = runReadyAt != null ? ServiceState.READY : ServiceState.STARTING;
        reason = "adopted from an earlier daemon";
    }

    // ------------------------------------------------------------------ what it is

    ServiceState state() {
        return state;
    }

    String reason() {
        return reason;
    }

    boolean wantRunning() {
        return wantRunning;
    }

    int restarts() {
        return restarts;
    }

    Integer lastExit() {
        return lastExit;
    }

    Instant startedAt() {
        return startedAt;
    }

    Instant readyAt() {
        return readyAt;
    }

    /** Seconds the current run took to become ready, or -1. */
    double readySeconds() {
        return readyAt == null || startedAt == null
                ? -1
                : Duration.between(startedAt, readyAt).toMillis() / 1000.0;
    }

    /** Seconds the current run has been up, 0 when none runs. */
    long uptimeSeconds() {
        return startedAt == null || !state.isRunning()
                ? 0
                : Duration.between(startedAt, clock.instant()).toSeconds();
    }
}
