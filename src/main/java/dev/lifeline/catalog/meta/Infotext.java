package dev.lifeline.catalog.meta;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A1111's "infotext" (also Forge, SD.Next, Fooocus's A1111 scheme, Civitai), read with A1111's
 * own rules ({@code modules/infotext_utils.py parse_generation_parameters}): the last line holds
 * the parameters only when it has at least three {@code key: value} pairs, otherwise it is part of
 * the prompt; lines up to {@code Negative prompt:} are the prompt (blank lines allowed), the rest
 * the negative; a quoted value ({@code Lora hashes: "a: 1, b: 2"}) stays whole and is unquoted as
 * JSON. {@code <lora:name:weight>} in the prompt gives the LoRAs.
 */
final class Infotext {
    private static final Pattern LORA = Pattern.compile("<(?:lora|lyco):([^:>]{1,300})(?::([^:>]{0,40}))?[^>]{0,200}>");
    /** Infotext longer than this is not parsed (the raw text is still kept). */
    static final int MAX_LENGTH = 1024 * 1024;

    private Infotext() {}

    /** The parameters of the last line, in order; keys as written. */
    record Parsed(String prompt, String negative, Map<String, String> params) {}

    static Parsed parse(String text) {
        String[] lines = text.strip().split("\n", -1);
        List<String> body = new ArrayList<>(List.of(lines).subList(0, lines.length - 1));
        String last = lines[lines.length - 1];
        Map<String, String> params = new LinkedHashMap<>();
        int pairs = params(last, params);
        if (pairs < 3) {
            body.add(last);
            params.clear();
        }
        StringBuilder prompt = new StringBuilder();
        StringBuilder negative = new StringBuilder();
        boolean inNegative = false;
        for (String line : body) {
            line = line.strip();
            if (line.startsWith("Negative prompt:")) {
                inNegative = true;
                line = line.substring(16).strip();
            }
            StringBuilder to = inNegative ? negative : prompt;
            if (!to.isEmpty()) {
                to.append('\n');
            }
            to.append(line);
        }
        return new Parsed(prompt.toString(), negative.toString(), params);
    }

    /**
     * An A1111-style image. Without a parameter line the whole text is the prompt, as A1111
     * itself reads it (apps that write only a prompt to {@code parameters} do so too).
     */
    static ImageMeta read(String text, Found found) {
        if (text.length() > MAX_LENGTH || text.isBlank()) {
            return null;
        }
        Parsed p = parse(text);
        Map<String, String> k = p.params();
        String version = k.get("Version");
        Draft d = new Draft(version != null && version.startsWith("Fooocus") ? "fooocus" : "a1111");
        d.prompt(p.prompt()).negative(p.negative());
        d.steps(k.get("Steps")).seed(k.get("Seed")).cfg(k.get("CFG scale")).sampler(k.get("Sampler"));
        d.scheduler(k.get("Schedule type")).scheduler(k.get("Scheduler"));
        d.model(k.get("Model")).modelHash(k.get("Model hash"));
        d.size(k.get("Size"));
        Matcher lora = LORA.matcher(p.prompt());
        while (lora.find()) {
            String w = lora.group(2);
            d.lora(lora.group(1).strip(), w == null || w.isBlank() ? "1" : w.strip());
        }
        String hashes = k.get("Lora hashes");
        if (hashes != null) {
            for (String item : hashes.split(",")) {
                int colon = item.lastIndexOf(':');
                if (colon > 0) {
                    d.lora(item.substring(0, colon).strip(), null);
                }
            }
        }
        return d.build(text, found);
    }

    /**
     * The {@code key: value} pairs of a parameter line, as A1111's {@code re_param} finds them
     * ({@code \\s*(\\w[\\w \\-/]+):\\s*("(?:\\\\.|[^\\\\"])+"|[^,]*)(?:,|$)}, Python's Unicode
     * {@code \\w}), in one left-to-right pass: the regex itself takes time quadratic in a long line
     * without colons (40,000 characters: 7 s), and an image's text is not to be trusted.
     *
     * @return how many pairs the line has (A1111 counts them to decide whether it is parameters)
     */
    static int params(String line, Map<String, String> into) {
        int n = line.length();
        int pos = 0;
        int pairs = 0;
        while (pos < n && pairs < 1000) {
            int colon = line.indexOf(':', pos);
            if (colon < 0) {
                break;
            }
            int k = colon;
            while (k > pos && keyChar(line.charAt(k - 1))) {
                k--;
            }
            while (k < colon && line.charAt(k) == ' ') {
                k++; // re_param's leading \\s* takes these, the key starts at a word character
            }
            String key = line.substring(k, colon);
            boolean valid = key.length() >= 2 && word(key.charAt(0));
            if (!valid) {
                pos = colon + 1;
                continue;
            }
            int v = colon + 1;
            while (v < n && Character.isWhitespace(line.charAt(v))) {
                v++;
            }
            int next;
            String value;
            int close = v < n && line.charAt(v) == '"' ? closingQuote(line, v) : -1;
            if (close > v + 1 && (close + 1 == n || line.charAt(close + 1) == ',')) {
                value = line.substring(v, close + 1);
                next = close + 2;
            } else {
                int comma = line.indexOf(',', v);
                value = line.substring(v, comma < 0 ? n : comma);
                next = comma < 0 ? n : comma + 1;
            }
            pairs++;
            into.putIfAbsent(key, unquote(value.strip()));
            pos = next;
        }
        return pairs;
    }

    /** The index of the quote closing the one at {@code open} (backslash escapes honoured), or -1. */
    private static int closingQuote(String s, int open) {
        for (int i = open + 1; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\') {
                i++;
            } else if (c == '"') {
                return i;
            }
        }
        return -1;
    }

    private static boolean word(char c) {
        return Character.isLetterOrDigit(c) || c == '_';
    }

    private static boolean keyChar(char c) {
        return word(c) || c == ' ' || c == '-' || c == '/';
    }

    private static String unquote(String v) {
        if (v.length() < 2 || v.charAt(0) != '"' || v.charAt(v.length() - 1) != '"') {
            return v;
        }
        com.fasterxml.jackson.databind.JsonNode n = JsonText.parse("[" + v + "]");
        return n != null && n.size() == 1 && n.get(0).isTextual() ? n.get(0).textValue() : v;
    }
}
