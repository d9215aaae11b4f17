package dev.lifeline.core;

/**
 * A failure a person can act on: what went wrong and, where known, what to do next.
 *
 * <p>Domain code throws this (or a subclass); the CLI turns it into one line on stderr and an
 * exit status in exactly one place.
 */
public class LifelineException extends RuntimeException {
    private final String hint;

    public LifelineException(String message) {
        this(message, null, null);
    }

    public LifelineException(String message, String hint) {
        this(message, hint, null);
    }

    public LifelineException(String message, String hint, Throwable cause) {
        super(message, cause);
        this.hint = hint;
    }

    /** What the user can do next, or null. */
    public String hint() {
        return hint;
    }
}
