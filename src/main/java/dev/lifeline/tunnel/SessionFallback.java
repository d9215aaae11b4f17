package dev.lifeline.tunnel;

import java.util.Optional;

/**
 * Which session ssh runs with: Lifeline's pty session ({@link Session#PTY}) until the server shows
 * that it will not carry one, then plain {@code -N} for this tunnel, at once and for good. The
 * evidence (docs/tunnel.md, "Lifeline's session"): ssh exits with {@code PTY allocation request
 * failed} or {@code exec request failed}, or with the status of a command of the server's own
 * (0–127; ssh's own errors are 255), or two sessions in a row fall silent in their first seconds
 * while ssh stays connected. Falling back is never a failure of the tunnel: the status says
 * {@code plain -N: …} and a {@code session} event tells why.
 *
 * <p>Used by the tunnel's thread only; it lives as long as the tunnel.
 */
final class SessionFallback {
    private final StatusBoard board;
    private final TunnelEvents events;
    private Session session = Session.PTY;
    private int youngSilences; // sessions in a row that went silent in their first seconds

    SessionFallback(StatusBoard board, TunnelEvents events) {
        this.board = board;
        this.events = events;
    }

    Session current() {
        return session;
    }

    /**
     * After ssh exited with Lifeline's session: the fall-back when the exit says the server
     * refused or ended the session, else empty.
     *
     * @param diagnosed what {@link SshDiagnosis} made of the same exit
     */
    Optional<Problem> afterExit(String stderr, int exitCode, Problem diagnosed) {
        if (session != Session.PTY) {
            return Optional.empty();
        }
        if (stderr.contains("PTY allocation request failed")) {
            return Optional.of(fallBack("the server refuses a pty (a no-pty key, or PermitTTY no)"));
        }
        if (stderr.contains("exec request failed")) {
            return Optional.of(fallBack("the server refuses to run a command"));
        }
        if (diagnosed.kind() == Problem.Kind.CLOSED && exitCode >= 0 && exitCode < 128) {
            // ssh's own errors are 255, signals 128+n: this is the status of a command that ended
            return Optional.of(fallBack("the server ended Lifeline's session with status " + exitCode
                    + " (ForceCommand or a command= key)"));
        }
        return Optional.empty();
    }

    /**
     * A session went silent in its first seconds (counted once per session): the fall-back on the
     * second such session in a row, else empty.
     */
    Optional<Problem> silentWhileYoung() {
        if (++youngSilences < 2) {
            return Optional.empty();
        }
        // twice running, a session that never echoed or stopped at once, while ssh stays
        // connected: a command of the server's own runs there (ForceCommand, a command= key)
        return Optional.of(fallBack("the server runs a command of its own in Lifeline's session (ForceCommand or"
                + " a command= key), which does not echo"));
    }

    /** The session still echoes past its first seconds: earlier silences were the link's. */
    void echoesForGood() {
        youngSilences = 0;
    }

    private Problem fallBack(String why) {
        session = Session.PLAIN;
        String text = "plain -N: " + why + "; small requests may wait ~40 ms (Nagle)";
        board.session(text);
        events.session(text, why);
        return Problem.transient_(Problem.Kind.SESSION_REFUSED, why + "; reconnecting without a session");
    }
}
