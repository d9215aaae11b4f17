package dev.lifeline.supervisor;

import java.util.Locale;

/** Where a service is in its life. Shown lower-case in {@code status}. */
public enum ServiceState {
    /** Launched; the readiness check has not passed yet (the model is loading). */
    STARTING,
    /** The readiness check passed; liveness checks run. */
    READY,
    /** Liveness checks failed; being restarted. */
    UNHEALTHY,
    /** Exited; waiting out the restart backoff. */
    BACKOFF,
    /** Being stopped: signals sent, waiting for the whole tree to go. */
    STOPPING,
    /** Not running, by request or by policy. */
    STOPPED,
    /** Gave up: a crash loop, a readiness timeout with no restart, or a start that cannot work. */
    FAILED;

    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    public boolean isRunning() {
        return this == STARTING || this == READY || this == UNHEALTHY;
    }
}
