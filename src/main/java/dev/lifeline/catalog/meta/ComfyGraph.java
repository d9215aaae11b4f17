package dev.lifeline.catalog.meta;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * ComfyUI's API graph (the {@code prompt} entry: node id → {@code {class_type, inputs}}, a link
 * being {@code [node id, output index]}), read the way the image was made: from the node that
 * saved it back to the sampler that fed it, then back along the latent to the first pass (a
 * refiner or a hires pass continues the first pass, whose seed, prompt and model are the ones
 * people search for, as in A1111's hires fix). Around that sampler:
 *
 * <ul>
 *   <li>seed: its {@code seed}/{@code noise_seed}, or the {@code RandomNoise} on its {@code noise};
 *   <li>steps and scheduler: its own, or the scheduler node on its {@code sigmas}
 *       ({@code BasicScheduler}, {@code SDTurboScheduler}, through {@code SplitSigmas});
 *   <li>sampler: its {@code sampler_name}, or the {@code KSamplerSelect} on its {@code sampler};
 *   <li>cfg: its own, the {@code CFGGuider}'s, else the {@code FluxGuidance} on the positive path
 *       (a distilled model's guidance is its only guidance scale);
 *   <li>prompts: the text encoders reached from {@code positive}/{@code negative} (or the
 *       guider's), through combine, area, unCLIP and ControlNet nodes, in graph order;
 *   <li>model and LoRAs: the {@code model} chain through LoRA loaders and model patches to a
 *       checkpoint or UNET loader;
 *   <li>size: the empty-latent node on the latent path.
 * </ul>
 *
 * Values given by a link (primitive, seed and string nodes) are followed; unknown nodes on a path
 * (switches, reroutes, pass-throughs) are walked through by their links. Node ids are strings, so
 * group and subgraph ids such as {@code "12:3"} need nothing special. Every walk is bounded.
 */
final class ComfyGraph {
    private static final int MAX_STEPS = 5000;
    private static final Set<String> OUTPUTS = Set.of(
            "SaveImage",
            "PreviewImage",
            "SaveAnimatedWEBP",
            "SaveAnimatedPNG",
            "SaveWEBM",
            "SaveVideo",
            "VHS_VideoCombine",
            "Image Save",
            "SaveImageWebsocket",
            "SaveImageExtended");
    private static final Set<String> SAMPLERS =
            Set.of("KSampler", "KSamplerAdvanced", "SamplerCustom", "SamplerCustomAdvanced");
    /** Inputs that set a sampler up rather than carry the image being made. */
    private static final Set<String> SETUP = Set.of(
            "model",
            "clip",
            "vae",
            "positive",
            "negative",
            "conditioning",
            "guider",
            "sampler",
            "sigmas",
            "noise",
            "control_net",
            "clip_vision",
            "clip_vision_output",
            "style_model",
            "upscale_model",
            "mask");
    /** Inputs not followed when looking for prompt text. */
    private static final Set<String> NOT_TEXT = Set.of(
            "clip",
            "model",
            "vae",
            "clip_vision",
            "clip_vision_output",
            "image",
            "images",
            "pixels",
            "mask",
            "control_net",
            "style_model",
            "latent",
            "samples",
            "latent_image",
            "noise",
            "upscale_model",
            "vae_name");

    private static final List<String> TEXT_KEYS =
            List.of("text", "text_g", "t5xxl", "prompt", "positive_prompt", "string", "text_l", "clip_l", "value");
    private static final List<String> LOADER_KEYS = List.of("ckpt_name", "unet_name", "model_path", "model_name");

    private final ObjectNode graph;
    private int steps;

    private ComfyGraph(ObjectNode graph) {
        this.graph = graph;
    }

    /** Whether {@code n} looks like an API graph: an object of nodes with {@code class_type}. */
    static boolean isGraph(JsonNode n) {
        if (!(n instanceof ObjectNode o) || o.isEmpty()) {
            return false;
        }
        for (JsonNode v : o) {
            if (v.has("class_type")) {
                return true;
            }
        }
        return false;
    }

    static ImageMeta read(ObjectNode graph, String raw, Found found) {
        return new ComfyGraph(graph).read(raw, found);
    }

    private ImageMeta read(String raw, Found found) {
        Draft d = new Draft("comfyui");
        ObjectNode last = finalSampler();
        if (last != null) {
            ObjectNode first = firstPass(last);
            fill(d, first);
            if (d.steps == null || d.sampler == null) {
                fill(d, last);
            }
        }
        return d.build(raw, found);
    }

    private void fill(Draft d, ObjectNode s) {
        JsonNode in = inputs(s);
        d.seed(scalar(in.get("seed"), 0)).seed(scalar(in.get("noise_seed"), 0));
        ObjectNode noise = linked(in.get("noise"));
        if (noise != null) {
            d.seed(scalar(inputs(noise).get("noise_seed"), 0))
                    .seed(scalar(inputs(noise).get("seed"), 0));
        }
        d.steps(scalar(in.get("steps"), 0));
        d.sampler(samplerName(scalar(in.get("sampler_name"), 0)));
        d.scheduler(Draft.text(scalar(in.get("scheduler"), 0)));
        ObjectNode sigmas = schedulerOf(in.get("sigmas"));
        if (sigmas != null) {
            d.steps(scalar(inputs(sigmas).get("steps"), 0));
            d.scheduler(Draft.text(scalar(inputs(sigmas).get("scheduler"), 0)));
            String c = cls(sigmas);
            if (c.equals("KarrasScheduler")) {
                d.scheduler("karras");
            } else if (c.equals("ExponentialScheduler")) {
                d.scheduler("exponential");
            }
        }
        ObjectNode samplerNode = linked(in.get("sampler"));
        if (samplerNode != null) {
            d.sampler(samplerName(scalar(inputs(samplerNode).get("sampler_name"), 0)));
            String c = cls(samplerNode);
            if (c.startsWith("Sampler") && !c.equals("SamplerCustom")) {
                d.sampler(c.substring("Sampler".length()).toLowerCase(java.util.Locale.ROOT));
            }
        }
        d.cfg(scalar(in.get("cfg"), 0));
        ObjectNode guider = linked(in.get("guider"));
        JsonNode positive = in.get("positive");
        JsonNode negative = in.get("negative");
        JsonNode model = in.get("model");
        if (guider != null) {
            JsonNode g = inputs(guider);
            d.cfg(scalar(g.get("cfg"), 0));
            positive = first(g.get("positive"), g.get("conditioning"), g.get("cond1"));
            negative = first(g.get("negative"), g.get("cond2"));
            model = first(model, g.get("model"));
        }
        if (model == null && sigmas != null) {
            model = inputs(sigmas).get("model");
        }
        if (d.cfg == null && positive != null) {
            d.cfg(fluxGuidance(positive));
        }
        d.prompt(texts(positive));
        d.negative(texts(negative));
        model(d, model);
        size(d, first(in.get("latent_image"), in.get("latent")));
    }

    /** Early ComfyUI named samplers {@code sample_dpmpp_2m}; today's name is {@code dpmpp_2m}. */
    private static String samplerName(JsonNode v) {
        String s = Draft.text(v);
        return s != null && s.startsWith("sample_") ? s.substring("sample_".length()) : s;
    }

    // ---- finding the sampler

    private ObjectNode finalSampler() {
        List<ObjectNode> outputs = new ArrayList<>();
        for (JsonNode n : graph) {
            if (n instanceof ObjectNode o
                    && (OUTPUTS.contains(cls(o))
                            || (cls(o).contains("Save") && inputs(o).has("images")))) {
                outputs.add(o);
            }
        }
        for (ObjectNode out : outputs) {
            ObjectNode s = upstreamSampler(out, Set.of());
            if (s != null) {
                return s;
            }
        }
        // no output node: the sampler no other sampler continues from
        ObjectNode last = null;
        for (JsonNode n : graph) {
            if (n instanceof ObjectNode o && isSampler(o)) {
                last = o;
            }
        }
        return last;
    }

    /** The nearest sampler upstream of {@code from}, not following the inputs named in {@code skip}. */
    private ObjectNode upstreamSampler(ObjectNode from, Set<String> skip) {
        ArrayDeque<ObjectNode> queue = new ArrayDeque<>();
        Set<ObjectNode> seen = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        queue.add(from);
        seen.add(from);
        while (!queue.isEmpty() && steps++ < MAX_STEPS) {
            ObjectNode n = queue.poll();
            if (n != from && isSampler(n)) {
                return n;
            }
            for (Map.Entry<String, JsonNode> e : inputs(n).properties()) {
                if (skip.contains(e.getKey())) {
                    continue;
                }
                ObjectNode next = linked(e.getValue());
                if (next != null && seen.add(next)) {
                    queue.add(next);
                }
            }
        }
        return null;
    }

    /** Back along the latent from {@code last} to the sampler that started from noise. */
    private ObjectNode firstPass(ObjectNode last) {
        ObjectNode s = last;
        Set<ObjectNode> seen = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        seen.add(s);
        for (int i = 0; i < 50; i++) {
            ObjectNode before = upstreamSampler(s, SETUP);
            if (before == null || !seen.add(before)) {
                break;
            }
            s = before;
        }
        return s;
    }

    private static boolean isSampler(ObjectNode n) {
        if (SAMPLERS.contains(cls(n))) {
            return true;
        }
        JsonNode in = inputs(n);
        return (in.has("seed") || in.has("noise_seed"))
                && in.has("steps")
                && (in.has("model") || in.has("positive"))
                && (in.has("latent_image") || in.has("latent"));
    }

    private ObjectNode schedulerOf(JsonNode link) {
        ObjectNode n = linked(link);
        for (int i = 0; n != null && i < 10; i++) {
            if (inputs(n).has("steps")) {
                return n;
            }
            n = linked(inputs(n).get("sigmas"));
        }
        return null;
    }

    // ---- prompts

    private String texts(JsonNode link) {
        Set<String> out = new LinkedHashSet<>();
        collectTexts(linked(link), out, java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>()), 0);
        return out.isEmpty() ? null : String.join("\n", out);
    }

    private void collectTexts(ObjectNode n, Set<String> out, Set<ObjectNode> seen, int depth) {
        if (n == null || depth > 64 || !seen.add(n) || steps++ > MAX_STEPS) {
            return;
        }
        JsonNode in = inputs(n);
        if (in.has("clip") || cls(n).contains("TextEncode")) {
            for (String k : TEXT_KEYS) {
                String t = string(in.get(k), 0);
                if (t != null) {
                    if (!t.isBlank()) {
                        out.add(t.strip()); // as people search it; the raw graph keeps the exact text
                    }
                    return;
                }
            }
        }
        for (Map.Entry<String, JsonNode> e : in.properties()) {
            if (!NOT_TEXT.contains(e.getKey())) {
                collectTexts(linked(e.getValue()), out, seen, depth + 1);
            }
        }
    }

    private Double fluxGuidance(JsonNode link) {
        ObjectNode n = linked(link);
        for (int i = 0; n != null && i < 20; i++) {
            JsonNode in = inputs(n);
            if (cls(n).equals("FluxGuidance")) {
                return Draft.asDouble(scalar(in.get("guidance"), 0));
            }
            n = linked(in.get("conditioning"));
        }
        return null;
    }

    // ---- model

    private void model(Draft d, JsonNode link) {
        ObjectNode n = linked(link);
        Set<ObjectNode> seen = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        for (int i = 0; n != null && i < 64 && seen.add(n); i++) {
            JsonNode in = inputs(n);
            String lora = string(in.get("lora_name"), 0);
            if (lora != null && !lora.equals("None")) {
                JsonNode w = first(in.get("strength_model"), in.get("strength"), in.get("lora_strength"));
                d.lora(lora, w == null ? 1.0 : scalar(w, 0));
            }
            for (Map.Entry<String, JsonNode> p : in.properties()) {
                JsonNode v = p.getValue();
                if (v.isObject() && v.has("lora") && v.path("on").asBoolean(true)) { // rgthree Power Lora Loader
                    String name = Draft.text(v.get("lora"));
                    if (name != null && !name.equals("None")) {
                        d.lora(name, v.has("strength") ? v.get("strength") : null);
                    }
                }
            }
            for (String k : LOADER_KEYS) {
                String name = string(in.get(k), 0);
                if (name != null) {
                    d.model(name);
                    return;
                }
            }
            ObjectNode next = linked(in.get("model"));
            if (next == null) {
                for (Map.Entry<String, JsonNode> e : in.properties()) {
                    if (next == null
                            && (!NOT_TEXT.contains(e.getKey()) || e.getKey().equals("model"))) {
                        next = linked(e.getValue());
                    }
                }
            }
            n = next;
        }
    }

    // ---- size

    private void size(Draft d, JsonNode link) {
        ObjectNode n = linked(link);
        Set<ObjectNode> seen = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        for (int i = 0; n != null && i < 32 && seen.add(n); i++) {
            JsonNode in = inputs(n);
            if (in.has("width") && in.has("height") && !isSampler(n)) {
                d.size(scalar(in.get("width"), 0), scalar(in.get("height"), 0));
                return;
            }
            n = linked(first(in.get("samples"), in.get("latent"), in.get("latent_image"), in.get("pixels")));
        }
    }

    // ---- values and links

    /** A scalar input value, following links to primitive, seed and number nodes. */
    private JsonNode scalar(JsonNode v, int depth) {
        if (v == null || depth > 10) {
            return null;
        }
        if (v.isValueNode()) {
            return v;
        }
        ObjectNode n = linked(v);
        if (n == null) {
            return null;
        }
        JsonNode in = inputs(n);
        for (String k : List.of("value", "seed", "noise_seed", "int", "float", "number", "Number", "string", "text")) {
            if (in.has(k)) {
                return scalar(in.get(k), depth + 1);
            }
        }
        JsonNode only = null;
        for (JsonNode x : in) {
            if (x.isValueNode()) {
                if (only != null) {
                    return null;
                }
                only = x;
            }
        }
        return only;
    }

    /** A string input, following links to string, text-box and concatenation nodes. */
    private String string(JsonNode v, int depth) {
        if (v == null || depth > 10) {
            return null;
        }
        if (v.isTextual()) {
            return v.textValue();
        }
        ObjectNode n = linked(v);
        if (n == null) {
            return null;
        }
        JsonNode in = inputs(n);
        for (String k : TEXT_KEYS) {
            String s = string(in.get(k), depth + 1);
            if (s != null) {
                return s;
            }
        }
        List<String> parts = new ArrayList<>();
        for (String k : List.of("string_a", "string_b", "text_a", "text_b", "text1", "text2")) {
            String s = string(in.get(k), depth + 1);
            if (s != null && !s.isEmpty()) {
                parts.add(s);
            }
        }
        if (!parts.isEmpty()) {
            String sep = in.path("delimiter").isTextual() ? in.get("delimiter").textValue() : " ";
            return String.join(sep, parts);
        }
        return null;
    }

    /** The node a link {@code [id, index]} points at, or null. */
    private ObjectNode linked(JsonNode v) {
        if (v == null || !v.isArray() || v.size() != 2 || !v.get(1).isIntegralNumber()) {
            return null;
        }
        JsonNode id = v.get(0);
        if (!id.isTextual() && !id.isIntegralNumber()) {
            return null;
        }
        return graph.get(id.asText()) instanceof ObjectNode o ? o : null;
    }

    private static JsonNode inputs(ObjectNode n) {
        JsonNode in = n.get("inputs");
        return in instanceof ObjectNode ? in : com.fasterxml.jackson.databind.node.MissingNode.getInstance();
    }

    private static String cls(ObjectNode n) {
        JsonNode c = n.get("class_type");
        return c != null && c.isTextual() ? c.textValue() : "";
    }

    private static JsonNode first(JsonNode... vs) {
        for (JsonNode v : vs) {
            if (v != null && !v.isNull() && !v.isMissingNode()) {
                return v;
            }
        }
        return null;
    }
}
