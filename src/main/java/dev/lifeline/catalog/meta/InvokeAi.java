package dev.lifeline.catalog.meta;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * InvokeAI, in its three generations: {@code invokeai_metadata} (3.x and later; the graph alone
 * in {@code invokeai_graph} when metadata is off), {@code sd-metadata} (2.x JSON), and the
 * legacy {@code Dream} command line ({@code "prompt [negative]" -s 50 -S 42 -W 512 -H 768 -C 7.5
 * -A k_lms}). InvokeAI's "scheduler" is what other tools call the sampler, so it fills both.
 * In 2.x prompts the negative is the text in square brackets.
 */
final class InvokeAi {
    private static final Pattern BRACKETS = Pattern.compile("\\[([^\\[\\]]*)\\]");
    private static final Pattern DREAM = Pattern.compile("^\\s*\"((?:\\\\.|[^\"\\\\])*)\"(.*)$", Pattern.DOTALL);

    private InvokeAi() {}

    static ImageMeta metadata(ObjectNode m, String raw, Found found) {
        Draft d = new Draft("invokeai");
        d.prompt(Draft.text(m.get("positive_prompt"))).negative(Draft.text(m.get("negative_prompt")));
        d.seed(m.get("seed")).steps(m.get("steps")).cfg(m.get("cfg_scale"));
        d.sampler(Draft.text(m.get("scheduler"))).scheduler(Draft.text(m.get("scheduler")));
        d.size(m.get("width"), m.get("height"));
        JsonNode model = m.path("model");
        d.model(Draft.text(model.isTextual() ? model : first(model, "model_name", "name")));
        d.modelHash(Draft.text(model.get("hash")));
        for (JsonNode l : m.path("loras")) {
            JsonNode which = l.has("lora") ? l.get("lora") : l.path("model");
            d.lora(Draft.text(first(which, "model_name", "name", "key")), l.get("weight"));
        }
        return d.build(raw, found);
    }

    /** Only the graph: the noise, denoise and model-loader nodes. */
    static ImageMeta graph(ObjectNode g, String raw, Found found) {
        Draft d = new Draft("invokeai");
        JsonNode nodes = g.path("nodes");
        for (JsonNode n : nodes) {
            String type = n.path("type").asText();
            if (type.equals("noise")) {
                d.seed(n.get("seed")).size(n.get("width"), n.get("height"));
            } else if (type.startsWith("denoise_latents")) {
                d.steps(n.get("steps")).cfg(n.get("cfg_scale"));
                d.sampler(Draft.text(n.get("scheduler"))).scheduler(Draft.text(n.get("scheduler")));
            } else if (type.endsWith("model_loader")) {
                JsonNode model = n.path("model");
                d.model(Draft.text(first(model, "model_name", "name")));
            }
        }
        return d.build(raw, found);
    }

    static ImageMeta sdMetadata(ObjectNode m, String raw, Found found) {
        Draft d = new Draft("invokeai");
        JsonNode image = m.path("image");
        JsonNode p = image.get("prompt");
        String prompt = p == null ? null : p.isArray() ? Draft.text(p.path(0).get("prompt")) : Draft.text(p);
        if (prompt != null) {
            String[] split = split(prompt);
            d.prompt(split[0]).negative(split[1]);
        }
        d.seed(image.get("seed")).steps(image.get("steps")).cfg(image.get("cfg_scale"));
        d.sampler(Draft.text(image.get("sampler"))).size(image.get("width"), image.get("height"));
        d.model(Draft.text(m.get("model_weights"))).modelHash(Draft.text(m.get("model_hash")));
        return d.build(raw, found);
    }

    static ImageMeta dream(String text, Found found) {
        Matcher m = DREAM.matcher(text);
        if (!m.matches()) {
            return null;
        }
        Draft d = new Draft("invokeai");
        String[] split = split(m.group(1).replace("\\\"", "\""));
        d.prompt(split[0]).negative(split[1]);
        List<String> args = new ArrayList<>(List.of(m.group(2).trim().split("\\s+")));
        String w = null;
        String h = null;
        for (int i = 0; i + 1 < args.size(); i++) {
            String a = args.get(i);
            String v = args.get(i + 1);
            switch (a) {
                case "-s", "--steps" -> d.steps(v);
                case "-S", "--seed" -> d.seed(v);
                case "-C", "--cfg_scale" -> d.cfg(v);
                case "-A", "--sampler" -> d.sampler(v);
                case "-W", "--width" -> w = v;
                case "-H", "--height" -> h = v;
                case "-m", "--model" -> d.model(v);
                default -> {
                    continue;
                }
            }
            i++;
        }
        d.size(w, h);
        return d.empty() ? null : d.build(text, found);
    }

    /** InvokeAI 2.x: {@code [bracketed]} parts of a prompt are the negative. */
    static String[] split(String prompt) {
        Matcher m = BRACKETS.matcher(prompt);
        List<String> negative = new ArrayList<>();
        while (m.find()) {
            negative.add(m.group(1).strip());
        }
        String positive = BRACKETS.matcher(prompt).replaceAll("").strip();
        return new String[] {positive, negative.isEmpty() ? null : String.join(", ", negative)};
    }

    private static JsonNode first(JsonNode o, String... keys) {
        for (String k : keys) {
            JsonNode v = o.get(k);
            if (v != null && v.isTextual()) {
                return v;
            }
        }
        return null;
    }
}
