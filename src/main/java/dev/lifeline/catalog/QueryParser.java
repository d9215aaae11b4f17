package dev.lifeline.catalog;

import java.time.Clock;
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
 *
 * <p>This class decides what each word of the query is (a word, {@code -word}, a filter, an
 * unknown key) and writes the FTS5 expression of the words; the {@link QueryLexer} reads the
 * text, {@link Filters} turn each filter into SQL.
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

    private final String text;
    private final QueryLexer lex;
    private final Filters filters;
    private final List<String> words = new ArrayList<>();
    private final List<String> excluded = new ArrayList<>();
    private final List<String> negatives = new ArrayList<>();
    private final List<Query.Condition> conditions = new ArrayList<>();

    QueryParser(String text, Clock clock) {
        this.text = text == null ? "" : text;
        this.lex = new QueryLexer(this.text);
        this.filters = new Filters(lex, clock, negatives, conditions);
    }

    Query parse() {
        if (text.length() > 4096) {
            throw new QueryException(
                    "the query is " + text.length() + " characters long; at most 4096 are read",
                    "search for fewer words: the best-ranked images come first anyway");
        }
        while (true) {
            lex.skipSpace();
            if (lex.atEnd()) {
                break;
            }
            int start = lex.pos();
            if (lex.peek() == '"') {
                words.add(lex.quoted());
                continue;
            }
            String word = lex.bare(false);
            Matcher m = KEY.matcher(word);
            if (m.matches()) {
                String key = m.group(1).toLowerCase(Locale.ROOT);
                key = ALIASES.getOrDefault(key, key);
                if (FORMS.containsKey(key)) {
                    lex.pos(start + m.group(1).length() + 1); // just after the colon
                    filters.filter(key, start);
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

    /** The error for filter {@code key} at {@code start} given {@code got}: what came, and the right form. */
    static QueryException expected(String key, int start, String got) {
        return new QueryException(
                "'" + key + ":' at column " + (start + 1) + " got " + got, "write it as " + FORMS.get(key));
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
