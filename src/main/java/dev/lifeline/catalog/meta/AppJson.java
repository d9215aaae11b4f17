package dev.lifeline.catalog.meta;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Map;
import java.util.function.Function;

/**
 * The apps that write one flat JSON object (or flat text entries) of their own: Fooocus,
 * NovelAI, SwarmUI, Draw Things, Easy Diffusion, and the custom mapping of {@code catalog:
 * fields} for Gradio apps that invent their own keys. Each method knows one app's key names,
 * taken from what that app writes.
 */
final class AppJson {
    private AppJson() {}

    /** Fooocus's own scheme ({@code parameters} JSON with {@code fooocus_scheme}/{@code metadata_scheme} "fooocus"). */
    static ImageMeta fooocus(ObjectNode j, String raw, Found found) {
        Draft d = new Draft("fooocus");
        d.prompt(Draft.text(j.get("prompt"))).negative(Draft.text(j.get("negative_prompt")));
        d.seed(j.get("seed")).steps(j.get("steps")).cfg(j.get("guidance_scale"));
        d.sampler(Draft.text(j.get("sampler"))).scheduler(Draft.text(j.get("scheduler")));
        d.model(Draft.text(j.get("base_model"))).modelHash(Draft.text(j.get("base_model_hash")));
        d.size(Draft.text(j.get("resolution")));
        for (JsonNode l : j.path("loras")) {
            if (l.isArray() && l.size() >= 2) {
                d.lora(Draft.text(l.get(0)), l.get(1));
            }
        }
        return d.build(raw, found);
    }

    static boolean isFooocus(ObjectNode j, Map<String, String> texts) {
        return "fooocus".equals(texts.get("fooocus_scheme"))
                || "fooocus".equals(j.path("metadata_scheme").asText())
                || j.path("version").asText().startsWith("Fooocus");
    }

    /** NovelAI: the prompt in {@code Description}, the rest in {@code Comment}; v4 prompts are base + character captions. */
    static ImageMeta novelAi(ObjectNode c, Map<String, String> texts, String raw, Found found) {
        Draft d = new Draft("novelai");
        JsonNode v4 = c.path("v4_prompt").path("caption");
        if (v4.has("base_caption")) {
            StringBuilder p = new StringBuilder(v4.path("base_caption").asText());
            for (JsonNode ch : v4.path("char_captions")) {
                String t = Draft.text(ch.get("char_caption"));
                if (t != null) {
                    p.append('\n').append(t);
                }
            }
            d.prompt(p.toString());
        }
        d.prompt(Draft.text(c.get("prompt"))).prompt(texts.get("Description"));
        JsonNode v4neg = c.path("v4_negative_prompt").path("caption");
        d.negative(Draft.text(c.get("uc"))).negative(Draft.text(v4neg.get("base_caption")));
        d.seed(c.get("seed")).steps(c.get("steps")).cfg(c.get("scale"));
        d.sampler(Draft.text(c.get("sampler"))).scheduler(Draft.text(c.get("noise_schedule")));
        d.size(c.get("width"), c.get("height"));
        String source = texts.get("Source");
        if (source != null) {
            int sp = source.lastIndexOf(' ');
            if (sp > 0 && source.substring(sp + 1).matches("[0-9A-Fa-f]{8}")) {
                d.model(source.substring(0, sp)).modelHash(source.substring(sp + 1));
            } else {
                d.model(source);
            }
        }
        return d.build(raw, found);
    }

    static boolean isNovelAi(ObjectNode c, Map<String, String> texts) {
        return "NovelAI".equals(texts.get("Software")) || (c.has("uc") && c.has("scale") && c.has("sampler"));
    }

    /** SwarmUI: {@code {"sui_image_params": {...}, "sui_models": [...]}}. */
    static ImageMeta swarmUi(ObjectNode j, String raw, Found found) {
        JsonNode p = j.path("sui_image_params");
        Draft d = new Draft("swarmui");
        d.prompt(Draft.text(p.get("prompt"))).negative(Draft.text(p.get("negativeprompt")));
        d.seed(p.get("seed")).steps(p.get("steps")).cfg(p.get("cfgscale"));
        d.sampler(Draft.text(p.get("sampler"))).scheduler(Draft.text(p.get("scheduler")));
        d.model(Draft.text(p.get("model"))).size(p.get("width"), p.get("height"));
        JsonNode names = p.path("loras");
        JsonNode weights = p.path("loraweights");
        for (int i = 0; i < names.size() && i < 100; i++) {
            d.lora(Draft.text(names.get(i)), weights.get(i));
        }
        for (JsonNode m : j.path("sui_models")) {
            if ("Stable-Diffusion".equals(m.path("param").asText())
                    || "model".equals(m.path("param").asText())) {
                d.modelHash(Draft.text(m.get("hash")));
            }
        }
        return d.build(raw, found);
    }

    /** Draw Things: XMP {@code exif:UserComment} JSON with {@code c}, {@code uc}, {@code scale}, {@code size}. */
    static ImageMeta drawThings(ObjectNode j, String raw, Found found) {
        Draft d = new Draft("drawthings");
        d.prompt(Draft.text(j.get("c"))).negative(Draft.text(j.get("uc")));
        d.seed(j.get("seed")).steps(j.get("steps")).cfg(j.get("scale"));
        d.sampler(Draft.text(j.get("sampler"))).model(Draft.text(j.get("model")));
        d.size(Draft.text(j.get("size")));
        JsonNode v2 = j.path("v2");
        d.size(v2.get("width"), v2.get("height"));
        for (JsonNode l : j.path("lora")) {
            d.lora(Draft.text(l.get("file")), l.get("weight"));
        }
        return d.build(raw, found);
    }

    static boolean isDrawThings(ObjectNode j) {
        return j.has("c") && (j.has("scale") || j.has("uc"));
    }

    /** Easy Diffusion, either as JSON or as one text entry per field; its own key names or the printed ones. */
    static ImageMeta easyDiffusion(Function<String, JsonNode> get, String raw, Found found) {
        Draft d = new Draft("easydiffusion");
        d.prompt(Draft.text(either(get, "prompt", "Prompt")));
        d.negative(Draft.text(either(get, "negative_prompt", "Negative Prompt")));
        d.seed(either(get, "seed", "Seed")).steps(either(get, "num_inference_steps", "Steps"));
        d.cfg(either(get, "guidance_scale", "Guidance Scale"));
        d.sampler(Draft.text(either(get, "sampler_name", "Sampler")));
        d.model(Draft.text(either(get, "use_stable_diffusion_model", "Stable Diffusion model")));
        d.size(either(get, "width", "Width"), either(get, "height", "Height"));
        String lora = Draft.text(either(get, "use_lora_model", "LoRA model"));
        if (lora != null) {
            d.lora(lora, either(get, "lora_alpha", "LoRA Strength"));
        }
        return d.build(raw, found);
    }

    static boolean isEasyDiffusion(Function<String, JsonNode> get) {
        return get.apply("use_stable_diffusion_model") != null || get.apply("Stable Diffusion model") != null;
    }

    /**
     * The user's mapping ({@code catalog: fields: {seed: my_seed, ...}}): ImageMeta field name →
     * the app's key, a dotted path into nested objects. {@code size} takes "1024x1024" or
     * "1024 x 1024"; {@code model_hash} and {@code modelHash} both name the hash.
     */
    static ImageMeta custom(Map<String, String> fields, Function<String, JsonNode> get, String raw, Found found) {
        Draft d = new Draft("custom");
        for (Map.Entry<String, String> f : fields.entrySet()) {
            JsonNode v = path(get, f.getValue());
            if (v == null) {
                continue;
            }
            switch (f.getKey()) {
                case "prompt" -> d.prompt(Draft.text(v));
                case "negative" -> d.negative(Draft.text(v));
                case "seed" -> d.seed(v);
                case "steps" -> d.steps(v);
                case "cfg" -> d.cfg(v);
                case "sampler" -> d.sampler(Draft.text(v));
                case "scheduler" -> d.scheduler(Draft.text(v));
                case "model" -> d.model(Draft.text(v));
                case "modelHash", "model_hash" -> d.modelHash(Draft.text(v));
                case "width" -> d.size(v, path(get, fields.get("height")));
                case "size" -> d.size(Draft.text(v));
                case "tool" -> d.tool = Draft.text(v) == null ? d.tool : Draft.text(v);
                case "loras" -> loras(d, v);
                default -> {}
            }
        }
        return d.empty() ? null : d.build(raw, found);
    }

    /** A list of names, of {name, weight} objects or [name, weight] pairs, or text "a:0.5, b". */
    private static void loras(Draft d, JsonNode v) {
        if (v.isTextual()) {
            for (String item : v.textValue().split(",")) {
                int colon = item.lastIndexOf(':');
                boolean weighted = colon > 0 && Draft.asDouble(item.substring(colon + 1)) != null;
                d.lora(
                        weighted ? item.substring(0, colon).strip() : item.strip(),
                        weighted ? item.substring(colon + 1) : null);
            }
            return;
        }
        for (JsonNode l : v) {
            if (l.isTextual()) {
                d.lora(l.textValue(), null);
            } else if (l.isArray() && l.size() >= 1) {
                d.lora(Draft.text(l.get(0)), l.get(1));
            } else if (l.isObject()) {
                d.lora(
                        Draft.text(l.has("name") ? l.get("name") : l.get("lora")),
                        l.has("weight") ? l.get("weight") : l.get("strength"));
            }
        }
    }

    /** Keys most Gradio apps use; only when there is a prompt and one more known field. */
    static ImageMeta generic(ObjectNode j, String raw, Found found) {
        Draft d = new Draft("custom");
        Function<String, JsonNode> get = j::get;
        d.prompt(Draft.text(any(get, "prompt", "Prompt", "positive_prompt")));
        if (d.prompt == null) {
            return null;
        }
        d.negative(Draft.text(any(get, "negative_prompt", "negative", "Negative prompt", "negativePrompt")));
        d.seed(any(get, "seed", "Seed")).steps(any(get, "steps", "num_inference_steps", "Steps"));
        d.cfg(any(get, "cfg", "cfg_scale", "guidance_scale", "CFG scale"));
        d.sampler(Draft.text(any(get, "sampler", "sampler_name", "Sampler")));
        d.scheduler(Draft.text(any(get, "scheduler", "Scheduler")));
        d.model(Draft.text(any(get, "model", "Model", "model_name")));
        d.modelHash(Draft.text(any(get, "model_hash", "Model hash")));
        d.size(any(get, "width"), any(get, "height"));
        d.size(Draft.text(any(get, "resolution", "size", "Size")));
        boolean more = d.seed != null || d.steps != null || d.cfg != null || d.sampler != null || d.model != null;
        return more ? d.build(raw, found) : null;
    }

    private static JsonNode either(Function<String, JsonNode> get, String a, String b) {
        JsonNode v = get.apply(a);
        return v != null ? v : get.apply(b);
    }

    private static JsonNode any(Function<String, JsonNode> get, String... keys) {
        for (String k : keys) {
            JsonNode v = get.apply(k);
            if (v != null && !v.isNull()) {
                return v;
            }
        }
        return null;
    }

    private static JsonNode path(Function<String, JsonNode> get, String dotted) {
        if (dotted == null) {
            return null;
        }
        JsonNode v = get.apply(dotted);
        if (v != null || dotted.indexOf('.') < 0) {
            return v;
        }
        String[] parts = dotted.split("\\.");
        v = get.apply(parts[0]);
        for (int i = 1; v != null && i < parts.length; i++) {
            v = v.get(parts[i]);
        }
        return v;
    }
}
