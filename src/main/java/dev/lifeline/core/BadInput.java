package dev.lifeline.core;

/**
 * A request that is wrong as written (a query that does not parse, a value out of range): the
 * fault is the input, not the state of anything, so the HTTP API answers 400 rather than 409.
 */
public class BadInput extends LifelineException {
    public BadInput(String message, String hint) {
        super(message, hint);
    }
}
