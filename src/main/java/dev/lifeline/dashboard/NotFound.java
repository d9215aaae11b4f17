package dev.lifeline.dashboard;

import dev.lifeline.core.LifelineException;

/** What a {@link Backend} throws for a service, op or object it does not have: HTTP 404. */
public class NotFound extends LifelineException {
    public NotFound(String message, String hint) {
        super(message, hint);
    }
}
