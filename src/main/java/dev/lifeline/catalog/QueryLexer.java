package dev.lifeline.catalog;

import java.util.ArrayList;
import java.util.List;

/**
 * Reads a {@code find} query's text from left to right: spaces, bare words (a run of non-space
 * characters; in a value also ending at {@code |}), quoted strings (a quote inside one is written
 * with a backslash before it) and a filter's {@code value | value} alternatives. It knows no
 * filter: {@link QueryParser} decides what a word means, {@link Filters} what a value means.
 */
final class QueryLexer {
    private final String text;
    private int pos;

    QueryLexer(String text) {
        this.text = text;
    }

    String text() {
        return text;
    }

    /** Where the next character is read (0-based). */
    int pos() {
        return pos;
    }

    void pos(int at) {
        pos = at;
    }

    boolean atEnd() {
        return pos >= text.length();
    }

    char peek() {
        return text.charAt(pos);
    }

    /** {@code value ( | value )*}, each a bare word or a quoted string. */
    List<String> alternatives(String key, int start) {
        List<String> out = new ArrayList<>();
        while (true) {
            skipSpace();
            if (pos >= text.length()) {
                throw QueryParser.expected(key, start, "nothing after '|'");
            }
            String v = text.charAt(pos) == '"' ? quoted() : bare(true);
            if (v.isEmpty()) {
                throw QueryParser.expected(key, start, "an empty value");
            }
            out.add(v);
            int save = pos;
            skipSpace();
            if (pos < text.length() && text.charAt(pos) == '|') {
                pos++;
                continue;
            }
            pos = save;
            return out;
        }
    }

    String quoted() {
        int open = pos++;
        StringBuilder sb = new StringBuilder();
        while (pos < text.length()) {
            char c = text.charAt(pos++);
            if (c == '\\' && pos < text.length()) {
                sb.append(text.charAt(pos++));
            } else if (c == '"') {
                return sb.toString();
            } else {
                sb.append(c);
            }
        }
        throw new QueryException(
                "the quote opened at column " + (open + 1) + " is never closed",
                "close it: \"" + sb + "\" (a quote inside one is written \\\")");
    }

    /** A run of non-space characters; in a value, also stops at {@code |}. */
    String bare(boolean value) {
        int s = pos;
        while (pos < text.length()) {
            char c = text.charAt(pos);
            if (Character.isWhitespace(c) || (value && c == '|')) {
                break;
            }
            pos++;
        }
        return text.substring(s, pos);
    }

    void skipSpace() {
        while (pos < text.length() && Character.isWhitespace(text.charAt(pos))) {
            pos++;
        }
    }
}
