package dev.lifeline.tunnel;

/**
 * How ssh holds the link: with an interactive session of Lifeline's own, or plain {@code -N}.
 *
 * <p>OpenSSH turns Nagle's algorithm off ({@code TCP_NODELAY}) on the connection only for an
 * interactive session: the server when it allocates a pty, the client when it asks for one. With
 * {@code -N} both leave it on, and a reply that the app writes in two pieces (headers, then body)
 * waits on the server for the client's delayed ACK: about 40 ms on one small request in three.
 * So Lifeline asks for a pty ({@code -tt}) and runs {@code cat} in it, which also carries the link
 * check: a {@code ^R} written to the session comes back as the terminal's echo, a round trip to
 * the server that no server logs.
 *
 * <p>A server that refuses the pty ({@code no-pty} keys, {@code PermitTTY no}) or runs a command
 * of its own ({@code ForceCommand}, {@code command=} keys) gets today's {@code -N} instead, with
 * ssh's keepalives every second as the (equally quiet) link check. That costs the fast small
 * requests, never the tunnel, and {@code tunnel status} says so.
 */
enum Session {
    /** {@code ssh -tt … 'exec cat'}: no Nagle stalls; the link check is the pty's echo. */
    PTY,
    /** {@code ssh -N}: the link check is ssh's own keepalive (1 s × 3). */
    PLAIN;

    /** What runs in the session: reads its stdin until the session ends (the pty's hang-up). */
    static final String REMOTE_COMMAND = "exec cat";
}
