package dev.lifeline.catalog;

import java.time.Clock;
import java.time.LocalDate;
import java.time.ZoneId;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The {@code find} language, in the shape Diffusion Toolkit users know: free words search the
 * prompt (and model and LoRA names) with FTS5 ranking, {@code key: value} filters narrow, and
 * {@code |} gives alternatives ({@code sampler: "euler a" | ddim}). Every error says where it
 * is, what is wrong and the form that would be right, and nothing user-typed reaches SQL except
 * as a bound parameter.
 */
final class QueryParser {
    /** Each filter and the forms it takes, for errors and {@code find --help}. */
    static final Map<String, String> FORMS = new TreeMap<>(Map.ofEntries(
            Map.entry("negative", "negative: word | \"two words\""),
            Map.entry("seed", "seed: 1234, seed: 123* (prefix) or seed: 100-200"),
            Map.entry("steps", "steps: 20 or steps: 10-30"),
            Map.entry("cfg", "cfg: 7 or cfg: 5.5-7"),
            Map.entry("width", "width: 1024 or width: 512-768"),
            Map.entry("height", "height: 1024 or height: 512-768"),
            Map.entry("sampler", "sampler: \"euler a\" | ddim (case does not matter; * and ? as wildcards)"),
            Map.entry("scheduler", "scheduler: karras"),
            Map.entry("model", "model: sdxl (part of the model's name, or a hash prefix)"),
            Map.entry("lora", "lora: detail (part of a LoRA's name)"),
            Map.entry("size", "size: 1024x1024, size: 1024x? or size: ?x768"),
            Map.entry("tool", "tool: comfyui | a1111"),
            Map.entry(
                    "date",
                    "date: today, date: yesterday, date: 2026-11-30, date: 2026-11-01..2026-11-30, date: since"
                            + " yesterday, date: before 2026-11-01 or date: 7d (the last 7 days)"),
            Map.entry(
                    "path",
                    "path: */portraits/* or path: *.png (a glob: * and ? match across folders; without / it matches"
                            + " the file name; no wildcard: any part of the path)"),
            Map.entry("deleted", "deleted: true or deleted: false"),
            Map.entry("snapshot", "snapshot: 20261130-120000-a1b2c3 (an id or a unique prefix), or snapshot: latest"),
            Map.entry("sha", "sha: 3fa4 (a prefix of the content's SHA-256)")));

    private static final Map<String, String> ALIASES =
            Map.of("neg", "negative", "hash", "sha", "sha256", "sha", "loras", "lora", "checkpoint", "model");

    private static final Pattern KEY = Pattern.compile("([A-Za-z_][A-Za-z0-9_]*):(.*)", Pattern.DOTALL);
    private static final Pattern NUMBER = Pattern.compile("-?\\d+(\\.\\d+)?");
    private static final Pattern DAYS = Pattern.compile("(\\d{1,5})d");
    private static final Pattern HEX = Pattern.compile("[0-9a-fA-F]{1,64}");

    private final String text;
    private final Clock clock;
    private final ZoneId zone;
    private int pos;
    private final List<String> words = new ArrayList<>();
    private final List<String> excluded = new ArrayList<>();
    private final List<String> negatives = new ArrayList<>();
    private final List<Query.Condition> conditions = new ArrayList<>();

    QueryParser(String text, Clock clock) {
        this.text = text == null ? "" : text;
        this.clock = clock;
        this.zone = clock.getZone();
    }

    Query parse() {
        if (text.length() > 4096) {
            throw new QueryException(
                    "the query is " + text.length() + " characters long; at most 4096 are read",
                    "search for fewer words: the best-ranked images come first anyway");
        }
        while (true) {
            skipSpace();
            if (pos >= text.length()) {
                break;
            }
            int start = pos;
            char c = text.charAt(pos);
            if (c == '"') {
                words.add(quoted());
                continue;
            }
            String word = bare(false);
            Matcher m = KEY.matcher(word);
            if (m.matches()) {
                String key = m.group(1).toLowerCase(Locale.ROOT);
                key = ALIASES.getOrDefault(key, key);
                if (FORMS.containsKey(key)) {
                    pos = start + m.group(1).length() + 1; // just after the colon
                    filter(key, start);
                    continue;
                }
                if (m.group(2).isEmpty()) {
                    String near = nearest(key);
                    throw new QueryException(
                            "unknown filter '" + m.group(1) + ":' at column " + (start + 1)
                                    + (near == null ? "" : " (did you mean '" + near + ":'?)"),
                            "filters: " + String.join(", ", FORMS.keySet()) + "; to search for the word itself,"
                                    + " quote it: \"" + m.group(1) + ":\"");
                }
            }
            if (word.startsWith("-") && word.length() > 1) {
                excluded.add(word.substring(1));
            } else {
                words.add(word);
            }
        }
        return new Query(text, match(), conditions);
    }

    // ------------------------------------------------------------------ the FTS5 expression

    private String match() {
        List<String> positive = tokens(words);
        List<String> negative = tokens(negatives);
        List<String> not = tokens(excluded);
        if (!not.isEmpty() && positive.isEmpty()) {
            throw new QueryException(
                    "'-" + excluded.get(0) + "' leaves out images whose prompt has that word, but there is no word"
                            + " to search for",
                    "add a word to search for, such as: portrait -" + excluded.get(0));
        }
        List<String> parts = new ArrayList<>();
        if (!positive.isEmpty()) {
            String p = "{prompt model loras} : (" + String.join(" AND ", positive) + ")";
            if (!not.isEmpty()) {
                p = p + " NOT {prompt model loras} : (" + String.join(" OR ", not) + ")";
            }
            parts.add("(" + p + ")");
        }
        if (!negative.isEmpty()) {
            parts.add("(negative : (" + String.join(" OR ", negative) + "))");
        }
        return parts.isEmpty() ? null : String.join(" AND ", parts);
    }

    /**
     * Each word as an FTS5 string (quotes doubled), so nothing the user types is FTS5 syntax; a
     * word with no letter or digit (a comma of a pasted prompt) has nothing to match and is left
     * out. Single words match as prefixes, as a {@code LIKE '%word%'} user expects of "cat"
     * matching "cats"; a quoted phrase matches as written.
     */
    private static List<String> tokens(List<String> in) {
        List<String> out = new ArrayList<>();
        for (String w : in) {
            if (w.codePoints().noneMatch(Character::isLetterOrDigit)) {
                continue;
            }
            String q = "\"" + w.replace("\"", "\"\"") + "\"";
            out.add(w.indexOf(' ') >= 0 ? q : q + "*");
        }
        return out;
    }

    // ------------------------------------------------------------------ filters

    private void filter(String key, int start) {
        skipSpace();
        if (pos >= text.length()) {
            throw expected(key, start, "nothing");
        }
        switch (key) {
            case "negative" -> negatives.addAll(alternatives(key, start));
            case "seed" -> numeric(key, start, "i.seed", true, false);
            case "steps" -> numeric(key, start, "i.steps", false, false);
            case "cfg" -> numeric(key, start, "i.cfg", false, true);
            case "width" -> numeric(key, start, "i.width", false, false);
            case "height" -> numeric(key, start, "i.height", false, false);
            case "sampler", "scheduler", "tool" -> names(key, start, "i." + key);
            case "model" -> {
                List<String> sql = new ArrayList<>();
                List<Object> args = new ArrayList<>();
                for (String v : alternatives(key, start)) {
                    sql.add("(i.model LIKE ? ESCAPE '\\' OR i.model_hash LIKE ? ESCAPE '\\')");
                    args.add("%" + like(v) + "%");
                    args.add(like(v) + "%");
                }
                or(sql, args);
            }
            case "lora" -> {
                List<String> sql = new ArrayList<>();
                List<Object> args = new ArrayList<>();
                for (String v : alternatives(key, start)) {
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
                for (String v : alternatives(key, start)) {
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
                String v = bare(true).toLowerCase(Locale.ROOT);
                boolean yes = switch (v) {
                    case "true", "yes", "1" -> true;
                    case "false", "no", "0" -> false;
                    default -> throw expected(key, start, "'" + v + "'");
                };
                conditions.add(new Query.Condition(
                        (yes ? "NOT " : "") + "EXISTS (SELECT 1 FROM paths p WHERE p.image_id = i.id AND p.live = 1)",
                        List.of()));
            }
            case "snapshot" -> {
                String v = bare(true);
                if (v.equalsIgnoreCase("latest")) {
                    conditions.add(new Query.Condition(
                            "EXISTS (SELECT 1 FROM paths p WHERE p.image_id = i.id AND p.live = 1)", List.of()));
                } else if (v.matches("[0-9a-f-]{1,22}")) {
                    conditions.add(new Query.Condition(
                            "EXISTS (SELECT 1 FROM paths p JOIN snapshots s ON s.seq BETWEEN p.first_seq AND"
                                    + " p.last_seq WHERE p.image_id = i.id AND substr(s.id, 1, ?) = ?)",
                            List.of(v.length(), v)));
                } else {
                    throw expected(key, start, "'" + v + "'");
                }
            }
            case "sha" -> {
                String v = bare(true);
                if (!HEX.matcher(v).matches()) {
                    throw expected(key, start, "'" + v + "'");
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
        for (String v : alternatives(key, start)) {
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
        for (String v : alternatives(key, start)) {
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
                    throw expected(key, start, "'" + v + "'");
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
                throw expected(key, start, "'" + v + "'");
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
            throw expected(key, start, "'" + v + "' (too large)");
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
        for (String v : alternatives(key, start)) {
            String[] wh = v.toLowerCase(Locale.ROOT).split("[x×*]", -1);
            if (wh.length != 2 || (!wh[0].matches("\\d{1,6}|\\?") || !wh[1].matches("\\d{1,6}|\\?"))) {
                throw expected(key, start, "'" + v + "'");
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
        String v = bare(true).toLowerCase(Locale.ROOT);
        long from;
        long to;
        if (v.equals("since") || v.equals("after") || v.equals("before")) {
            skipSpace();
            if (pos >= text.length()) {
                throw expected(key, start, "'" + v + "' with no day after it");
            }
            String day = bare(true).toLowerCase(Locale.ROOT);
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
                    "write the earlier day first: " + FORMS.get(key));
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
                    throw expected(key, start, "'" + v + "'");
                }
        }
    }

    private long millis(LocalDate d) {
        return d.atStartOfDay(zone).toInstant().toEpochMilli();
    }

    // ------------------------------------------------------------------ lexing

    /** {@code value ( | value )*}, each a bare word or a quoted string. */
    private List<String> alternatives(String key, int start) {
        List<String> out = new ArrayList<>();
        while (true) {
            skipSpace();
            if (pos >= text.length()) {
                throw expected(key, start, "nothing after '|'");
            }
            String v = text.charAt(pos) == '"' ? quoted() : bare(true);
            if (v.isEmpty()) {
                throw expected(key, start, "an empty value");
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

    private String quoted() {
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
    private String bare(boolean value) {
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

    private void skipSpace() {
        while (pos < text.length() && Character.isWhitespace(text.charAt(pos))) {
            pos++;
        }
    }

    private QueryException expected(String key, int start, String got) {
        return new QueryException(
                "'" + key + ":' at column " + (start + 1) + " got " + got, "write it as " + FORMS.get(key));
    }

    /** A LIKE pattern that matches {@code v} literally ({@code \} is the escape). */
    static String like(String v) {
        return v.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_");
    }

    private static String nearest(String word) {
        String best = null;
        int bestD = 3;
        for (String k : FORMS.keySet()) {
            int d = distance(word, k);
            if (d < bestD) {
                bestD = d;
                best = k;
            }
        }
        return best;
    }

    private static int distance(String a, String b) {
        int[] prev = new int[b.length() + 1];
        int[] cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            prev[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }
}
