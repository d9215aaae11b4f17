package dev.lifeline.catalog;

import java.util.List;

/**
 * A parsed {@code find} query: the FTS5 expression for the free words and {@code negative:} (null
 * when there are none) and the filters as SQL conditions over {@code images i}, each with its
 * bound parameters. User text only ever reaches SQLite as a bound parameter: the FTS5 expression
 * is itself a parameter, and every user word in it is a quoted FTS5 string.
 *
 * @param text the query as typed
 * @param match the FTS5 MATCH expression, or null
 * @param conditions SQL conditions, ANDed
 */
public record Query(String text, String match, List<Condition> conditions) {
    public Query {
        conditions = List.copyOf(conditions);
    }

    /** One SQL condition with its parameters in order. */
    public record Condition(String sql, List<Object> args) {
        public Condition {
            args = List.copyOf(args);
        }
    }

    /** Every image, newest first. */
    public static final Query ALL = new Query("", null, List.of());

    /** Parses a query in the {@code find} language (see docs/catalog.md). */
    public static Query parse(String text) {
        return new QueryParser(text, java.time.Clock.systemDefaultZone()).parse();
    }
}
