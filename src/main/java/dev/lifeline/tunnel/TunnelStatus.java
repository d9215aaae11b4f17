package dev.lifeline.tunnel;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * A snapshot of one tunnel, for {@code tunnel status}, the dashboard and the daemon.
 *
 * @param reconnects how many times the link was rebuilt after being up
 * @param lastError the latest problem in words (its hint after an arrow, as people read it), empty
 *     when none
 * @param hint what to do about {@code lastError}, alone (for scripts and the HTTP API), empty when
 *     the problem has none
 * @param rttMillis the latest round trip through the link, measured by the probe; empty before one
 * @param command the exact ssh command line, as a person could paste it
 * @param pid the current ssh process, or -1
 * @param since when the tunnel entered {@code state}
 * @param session {@code pty} (Lifeline's interactive session: no Nagle stalls on small requests),
 *     or {@code plain -N: …} with the reason the server gave none
 */
public record TunnelStatus(
        String name,
        TunnelState state,
        int reconnects,
        Optional<String> lastError,
        Optional<String> hint,
        Optional<Long> rttMillis,
        List<ForwardStatus> forwards,
        String command,
        long pid,
        Instant since,
        String session) {

    public TunnelStatus {
        forwards = List.copyOf(forwards);
    }

    /** Whether small requests go without Nagle stalls (Lifeline's session has a pty). */
    public boolean interactive() {
        return session.equals("pty");
    }

    /**
     * One forward.
     *
     * @param local {@code 127.0.0.1:7860} on this machine
     * @param remote {@code 127.0.0.1:7860} as seen from the server
     * @param remoteAnswers whether the remote end accepted the last probe; empty before one
     */
    public record ForwardStatus(String local, String remote, Optional<Boolean> remoteAnswers) {}
}
