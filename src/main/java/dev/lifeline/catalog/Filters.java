package dev.lifeline.catalog;

import java.time.Clock;
import java.time.LocalDate;
import java.time.ZoneId;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The {@code key: value} filters of the {@code find} language as SQL: each filter's values (read
 * through the {@link QueryLexer}) become one condition over {@code images i} with its bound
 * parameters, alternatives ORed; {@code negative:} adds words to the FTS5 expression instead.
 * Nothing the user typed is in the SQL text: it is all parameters, {@code LIKE} values escaped.
 * Dates are days in the clock's time zone.
 */
final class Filters {
    private static final Pattern NUMBER = Pattern.compile("-?\\d+(\\.\\d+)?");
    private static final Pattern DAYS = Pattern.compile("(\\d{1,5})d");
    private static final Pattern HEX = Pattern.compile("[0-9a-fA-F]{1,64}");

    private final QueryLexer lex;
    private final Clock clock;
    private final ZoneId zone;
    private final List<String> negatives;
    private final List<Query.Condition> conditions;

    /**
     * @param negatives where {@code negative:} words go
     * @param conditions where the conditions go
     */
    Filters(QueryLexer lex, Clock clock, List<String> negatives, List<Query.Condition> conditions) {
        this.lex = lex;
        this.clock = clock;
        this.zone = clock.getZone();
        this.negatives = negatives;
        this.conditions = conditions;
    }

    /** Reads the value(s) of filter {@code key} (written at {@code start}), the lexer just after its colon. */
    void filter(String key, int start) {
        lex.skipSpace();
        if (lex.atEnd()) {
            throw QueryParser.expected(key, start, "nothing");
        }
        switch (key) {
            case "negative" -> negatives.addAll(lex.alternatives(key, start));
            case "seed" -> numeric(key, start, "i.seed", true, false);
            case "steps" -> numeric(key, start, "i.steps", false, false);
            case "cfg" -> numeric(key, start, "i.cfg", false, true);
            case "width" -> numeric(key, start, "i.width", false, false);
            case "height" -> numeric(key, start, "i.height", false, false);
            case "sampler", "scheduler", "tool" -> names(key, start, "i." + key);
            case "model" -> {
                List<String> sql = new ArrayList<>();
                List<Object> args = new ArrayList<>();
                for (String v : lex.alternatives(key, start)) {
                    sql.add("(i.model LIKE ? ESCAPE '\\' OR i.model_hash LIKE ? ESCAPE '\\')");
                    args.add("%" + like(v) + "%");
                    args.add(like(v) + "%");
                }
                or(sql, args);
            }
            case "lora" -> {
                List<String> sql = new ArrayList<>();
                List<Object> args = new ArrayList<>();
                for (String v : lex.alternatives(key, start)) {
                    sql.add("EXISTS (SELECT 1 FROM loras l WHERE l.image_id = i.id AND l.name LIKE ? ESCAPE '\\')");
                    args.add("%" + like(v) + "%");
                }
                or(sql, args);
            }
            case "size" -> size(key, start);
            case "date" -> date(key, start);
            case "path" -> {
                List<String> sql = new ArrayList<>();
                List<Object> args = new ArrayList<>();
                for (String v : lex.alternatives(key, start)) {
                    boolean wild = v.indexOf('*') >= 0 || v.indexOf('?') >= 0 || v.indexOf('[') >= 0;
                    // as the vault's globs: without '/' a file name at any depth; with one, the whole
                    // path or the path under the source folder; no wildcard: any part of the path
                    sql.add(
                            "EXISTS (SELECT 1 FROM paths p WHERE p.image_id = i.id AND (p.path GLOB ? OR p.path GLOB ?))");
                    if (!wild) {
                        String lit =
                                "*" + v.replace("[", "[[]").replace("*", "[*]").replace("?", "[?]") + "*";
                        args.add(lit);
                        args.add(lit);
                    } else if (v.indexOf('/') < 0) {
                        args.add("*/" + v);
                        args.add(v);
                    } else {
                        args.add(v);
                        args.add("*/" + v);
                    }
                }
                or(sql, args);
            }
            case "deleted" -> {
                String v = lex.bare(true).toLowerCase(Locale.ROOT);
                boolean yes = switch (v) {
                    case "true", "yes", "1" -> true;
                    case "false", "no", "0" -> false;
                    default -> throw QueryParser.expected(key, start, "'" + v + "'");
                };
                conditions.add(new Query.Condition(
                        (yes ? "NOT " : "") + "EXISTS (SELECT 1 FROM paths p WHERE p.image_id = i.id AND p.live = 1)",
                        List.of()));
            }
            case "snapshot" -> {
                String v = lex.bare(true);
                if (v.equalsIgnoreCase("latest")) {
                    conditions.add(new Query.Condition(
                            "EXISTS (SELECT 1 FROM paths p WHERE p.image_id = i.id AND p.live = 1)", List.of()));
                } else if (v.matches("[0-9a-f-]{1,22}")) {
                    conditions.add(new Query.Condition(
                            "EXISTS (SELECT 1 FROM paths p JOIN snapshots s ON s.seq BETWEEN p.first_seq AND"
                                    + " p.last_seq WHERE p.image_id = i.id AND substr(s.id, 1, ?) = ?)",
                            List.of(v.length(), v)));
                } else {
                    throw QueryParser.expected(key, start, "'" + v + "'");
                }
            }
            case "sha" -> {
                String v = lex.bare(true);
                if (!HEX.matcher(v).matches()) {
                    throw QueryParser.expected(key, start, "'" + v + "'");
                }
                conditions.add(new Query.Condition("i.sha256 GLOB ?", List.of(v.toLowerCase(Locale.ROOT) + "*")));
            }
            default -> throw new IllegalStateException(key);
        }
    }

    private void or(List<String> sql, List<Object> args) {
        conditions.add(new Query.Condition(sql.size() == 1 ? sql.get(0) : "(" + String.join(" OR ", sql) + ")", args));
    }

    private void names(String key, int start, String column) {
        List<String> sql = new ArrayList<>();
        List<Object> args = new ArrayList<>();
        for (String v : lex.alternatives(key, start)) {
            if (v.indexOf('*') >= 0 || v.indexOf('?') >= 0) {
                sql.add(column + " LIKE ? ESCAPE '\\'");
                args.add(like(v).replace('*', '%').replace('?', '_'));
            } else {
                sql.add(column + " = ? COLLATE NOCASE");
                args.add(v);
            }
        }
        or(sql, args);
    }

    /** {@code N}, {@code A-B}, and for seeds {@code N*} (every seed whose decimal digits start so). */
    private void numeric(String key, int start, String column, boolean prefix, boolean real) {
        List<String> sql = new ArrayList<>();
        List<Object> args = new ArrayList<>();
        for (String v : lex.alternatives(key, start)) {
            if (prefix
                    && v.endsWith("*")
                    && v.length() > 1
                    && v.substring(0, v.length() - 1).matches("\\d{1,19}")) {
                seedPrefix(v.substring(0, v.length() - 1), column, sql, args);
                continue;
            }
            int dash = v.indexOf('-', 1);
            int dots = v.indexOf("..");
            int cut = dots > 0 ? dots : dash;
            int skip = dots > 0 ? 2 : 1;
            if (cut > 0) {
                String lo = v.substring(0, cut);
                String hi = v.substring(cut + skip);
                if (!NUMBER.matcher(lo).matches()
                        || !NUMBER.matcher(hi).matches()
                        || (!real && (isReal(lo) || isReal(hi)))) {
                    throw QueryParser.expected(key, start, "'" + v + "'");
                }
                sql.add(column + " BETWEEN ? AND ?");
                args.add(number(lo, real, key, start));
                args.add(number(hi, real, key, start));
            } else if (NUMBER.matcher(v).matches() && (real || !isReal(v))) {
                if (real) {
                    double d = Double.parseDouble(v);
                    sql.add(column + " BETWEEN ? AND ?");
                    args.add(d - 1e-6);
                    args.add(d + 1e-6);
                } else {
                    sql.add(column + " = ?");
                    args.add(number(v, false, key, start));
                }
            } else {
                throw QueryParser.expected(key, start, "'" + v + "'");
            }
        }
        or(sql, args);
    }

    private static boolean isReal(String v) {
        return v.indexOf('.') >= 0;
    }

    private Object number(String v, boolean real, String key, int start) {
        try {
            return real ? (Object) Double.parseDouble(v) : (Object) Long.parseLong(v);
        } catch (NumberFormatException e) {
            throw QueryParser.expected(key, start, "'" + v + "' (too large)");
        }
    }

    /** Digits {@code d} as a prefix: {@code d} itself, then d0..d9, d00..d99, … up to 19 digits, as ranges the index answers. */
    private static void seedPrefix(String d, String column, List<String> sql, List<Object> args) {
        long base = Long.parseLong(d);
        List<String> ranges = new ArrayList<>();
        ranges.add(column + " = ?");
        args.add(base);
        long lo = base;
        long width = 1;
        for (int len = d.length(); len < 19; len++) {
            if (lo > Long.MAX_VALUE / 10) {
                break;
            }
            lo *= 10;
            width *= 10;
            long hi = lo + width - 1;
            if (hi < lo) {
                hi = Long.MAX_VALUE;
            }
            ranges.add(column + " BETWEEN ? AND ?");
            args.add(lo);
            args.add(hi);
        }
        if (base == 0) {
            ranges.subList(1, ranges.size()).clear(); // "0*" is only 0: no other seed starts with a 0
            args.subList(1, args.size()).clear();
        }
        sql.add("(" + String.join(" OR ", ranges) + ")");
    }

    private void size(String key, int start) {
        List<String> sql = new ArrayList<>();
        List<Object> args = new ArrayList<>();
        for (String v : lex.alternatives(key, start)) {
            String[] wh = v.toLowerCase(Locale.ROOT).split("[x×*]", -1);
            if (wh.length != 2 || (!wh[0].matches("\\d{1,6}|\\?") || !wh[1].matches("\\d{1,6}|\\?"))) {
                throw QueryParser.expected(key, start, "'" + v + "'");
            }
            List<String> both = new ArrayList<>();
            if (!wh[0].equals("?")) {
                both.add("i.width = ?");
                args.add(Long.parseLong(wh[0]));
            }
            if (!wh[1].equals("?")) {
                both.add("i.height = ?");
                args.add(Long.parseLong(wh[1]));
            }
            sql.add(both.isEmpty() ? "i.width IS NOT NULL" : "(" + String.join(" AND ", both) + ")");
        }
        or(sql, args);
    }

    /** Dates are days in the machine's time zone, against when the image was first seen. */
    private void date(String key, int start) {
        String v = lex.bare(true).toLowerCase(Locale.ROOT);
        long from;
        long to;
        if (v.equals("since") || v.equals("after") || v.equals("before")) {
            lex.skipSpace();
            if (lex.atEnd()) {
                throw QueryParser.expected(key, start, "'" + v + "' with no day after it");
            }
            String day = lex.bare(true).toLowerCase(Locale.ROOT);
            LocalDate d = day(day, key, start);
            if (v.equals("before")) {
                from = Long.MIN_VALUE;
                to = millis(d);
            } else {
                from = millis(v.equals("after") ? d.plusDays(1) : d);
                to = Long.MAX_VALUE;
            }
        } else if (v.contains("..")) {
            int cut = v.indexOf("..");
            String a = v.substring(0, cut);
            String b = v.substring(cut + 2);
            from = a.isEmpty() ? Long.MIN_VALUE : millis(day(a, key, start));
            to = b.isEmpty() ? Long.MAX_VALUE : millis(day(b, key, start).plusDays(1));
        } else {
            Matcher days = DAYS.matcher(v);
            if (days.matches()) {
                from = millis(LocalDate.now(clock).minusDays(Long.parseLong(days.group(1)) - 1));
                to = Long.MAX_VALUE;
            } else {
                LocalDate d = day(v, key, start);
                from = millis(d);
                to = millis(d.plusDays(1));
            }
        }
        if (from >= to) {
            throw new QueryException(
                    "'date: " + v + "' at column " + (start + 1) + " is an empty span: it ends before it starts",
                    "write the earlier day first: " + QueryParser.FORMS.get(key));
        }
        conditions.add(new Query.Condition("i.first_seen >= ? AND i.first_seen < ?", List.of(from, to)));
    }

    private LocalDate day(String v, String key, int start) {
        LocalDate today = LocalDate.now(clock);
        switch (v) {
            case "today":
                return today;
            case "yesterday":
                return today.minusDays(1);
            default:
                try {
                    return LocalDate.parse(v);
                } catch (DateTimeParseException e) {
                    throw QueryParser.expected(key, start, "'" + v + "'");
                }
        }
    }

    private long millis(LocalDate d) {
        return d.atStartOfDay(zone).toInstant().toEpochMilli();
    }

    /** A LIKE pattern that matches {@code v} literally ({@code \} is the escape). */
    static String like(String v) {
        return v.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_");
    }
}
