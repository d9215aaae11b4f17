package dev.lifeline.dashboard;

/** A request the server refuses with this status and {@code {error, hint}}. */
final class HttpError extends RuntimeException {
    final int status;
    final String hint;
    final String allow;

    HttpError(int status, String error, String hint) {
        this(status, error, hint, null);
    }

    HttpError(int status, String error, String hint, String allow) {
        super(error, null, false, false);
        this.status = status;
        this.hint = hint;
        this.allow = allow;
    }
}
