package dev.lifeline.catalog;

import dev.lifeline.core.BadInput;

/** A query that does not parse: what is wrong, where, and the form that would be right. */
public final class QueryException extends BadInput {
    QueryException(String message, String hint) {
        super(message, hint);
    }
}
