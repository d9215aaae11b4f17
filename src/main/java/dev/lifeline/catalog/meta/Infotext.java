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
    /** A1111's re_param, with Python's Unicode \w. */
    private static final Pattern PARAM = Pattern.compile(
            "\\s*(\\w[\\w \\-/]+):\\s*(\"(?:\\\\.|[^\\\\\"])+\"|[^,]*)(?:,|$)", Pattern.UNICODE_CHARACTER_CLASS);

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
        Matcher m = PARAM.matcher(last);
        int pairs = 0;
        while (m.find() && pairs < 1000) {
            if (m.end() == m.start()) {
                break;
            }
            pairs++;
            params.putIfAbsent(m.group(1), unquote(m.group(2).strip()));
        }
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

    private static String unquote(String v) {
        if (v.length() < 2 || v.charAt(0) != '"' || v.charAt(v.length() - 1) != '"') {
            return v;
        }
        com.fasterxml.jackson.databind.JsonNode n = JsonText.parse("[" + v + "]");
        return n != null && n.size() == 1 && n.get(0).isTextual() ? n.get(0).textValue() : v;
    }
}
