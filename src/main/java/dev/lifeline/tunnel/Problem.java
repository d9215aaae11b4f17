package dev.lifeline.tunnel;

/**
 * Why an attempt ended, in words a person can act on.
 *
 * @param permanent retrying cannot help: the tunnel stops and says why
 */
record Problem(Kind kind, boolean permanent, String message, String hint) {
    enum Kind {
        UNREACHABLE,
        AUTH,
        HOST_KEY_UNKNOWN,
        HOST_KEY_CHANGED,
        PORT_TAKEN,
        DEAD_LINK,
        CLOCK_JUMP,
        /** The server became reachable again while an attempt waited: start afresh at once. */
        NETWORK_RETURNED,
        BAD_ARGUMENTS,
        /** The server refused or ended Lifeline's interactive session: go on without one, at once. */
        SESSION_REFUSED,
        CLOSED
    }

    static Problem transient_(Kind kind, String message) {
        return new Problem(kind, false, message, null);
    }

    static Problem permanent(Kind kind, String message, String hint) {
        return new Problem(kind, true, message, hint);
    }

    /** One line: the message, then the hint after an arrow. */
    String text() {
        return hint == null ? message : message + " → " + hint;
    }
}
