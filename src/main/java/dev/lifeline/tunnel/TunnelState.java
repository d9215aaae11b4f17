package dev.lifeline.tunnel;

import java.util.Locale;

/** Where a tunnel stands. */
public enum TunnelState {
    /** Starting ssh for the first time. */
    CONNECTING,
    /** ssh is authenticated, the forwards listen, and every remote end answers. */
    UP,
    /** The link works but at least one remote end does not answer (nothing listens there). */
    DEGRADED,
    /** The link was lost (or never came up) and is being rebuilt, with backoff. */
    RECONNECTING,
    /** A failure retrying cannot fix (auth refused, host key unknown or changed, local port taken). */
    FAILED;

    /** The lower-case name used in status output and JSON. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
