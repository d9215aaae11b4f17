package dev.lifeline.catalog.meta;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A ComfyUI image with only the UI graph ({@code workflow}: "Export as PNG", some custom savers):
 * the values exist only as {@code widgets_values}, positional, of the nodes as they were in the
 * editor. Only core nodes whose widget order is known are read — {@code KSampler},
 * {@code KSamplerAdvanced}, {@code CLIPTextEncode} on their {@code positive}/{@code negative},
 * the checkpoint/UNET/LoRA loaders on {@code model}, {@code EmptyLatentImage} — and a widget
 * whose input is wired to another node is skipped (its stored value is stale). Bypassed and
 * muted nodes are ignored.
 */
final class ComfyWorkflow {
    private final Map<Integer, ObjectNode> nodes = new LinkedHashMap<>();
    /** link id → the node it comes from. */
    private final Map<Integer, Integer> from = new HashMap<>();

    private ComfyWorkflow(ObjectNode wf) {
        for (JsonNode n : wf.path("nodes")) {
            if (n instanceof ObjectNode o && o.path("id").canConvertToInt()) {
                int mode = o.path("mode").asInt(0);
                if (mode != 2 && mode != 4) {
                    nodes.put(o.get("id").asInt(), o);
                }
            }
        }
        for (JsonNode l : wf.path("links")) {
            if (l.isArray() && l.size() >= 4) {
                from.put(l.get(0).asInt(), l.get(1).asInt());
            } else if (l.isObject()) {
                from.put(l.path("id").asInt(), l.path("origin_id").asInt());
            }
        }
    }

    static boolean isWorkflow(JsonNode n) {
        return n instanceof ObjectNode o && o.path("nodes").isArray();
    }

    static ImageMeta read(ObjectNode wf, String raw, Found found) {
        return new ComfyWorkflow(wf).read(raw, found);
    }

    private ImageMeta read(String raw, Found found) {
        Draft d = new Draft("comfyui");
        for (ObjectNode n : nodes.values()) {
            String type = n.path("type").asText();
            JsonNode w = n.path("widgets_values");
            int base;
            if (type.equals("KSampler")) {
                base = 0;
            } else if (type.equals("KSamplerAdvanced")) {
                base = 1;
            } else {
                continue;
            }
            String seedName = base == 0 ? "seed" : "noise_seed";
            if (!wired(n, seedName)) {
                d.seed(w.get(base));
            }
            if (!wired(n, "steps")) {
                d.steps(w.get(base + 2));
            }
            if (!wired(n, "cfg")) {
                d.cfg(w.get(base + 3));
            }
            if (!wired(n, "sampler_name")) {
                d.sampler(Draft.text(w.get(base + 4)));
            }
            if (!wired(n, "scheduler")) {
                d.scheduler(Draft.text(w.get(base + 5)));
            }
            d.prompt(text(source(n, "positive")));
            d.negative(text(source(n, "negative")));
            model(d, source(n, "model"));
            ObjectNode latent = source(n, "latent_image");
            if (latent != null && latent.path("type").asText().equals("EmptyLatentImage") && !wired(latent, "width")) {
                d.size(
                        latent.path("widgets_values").get(0),
                        latent.path("widgets_values").get(1));
            }
            break;
        }
        return d.build(raw, found);
    }

    private String text(ObjectNode n) {
        if (n == null || !n.path("type").asText().startsWith("CLIPTextEncode") || wired(n, "text")) {
            return null;
        }
        return Draft.text(n.path("widgets_values").get(0));
    }

    private void model(Draft d, ObjectNode n) {
        for (int i = 0; n != null && i < 32; i++) {
            String type = n.path("type").asText();
            JsonNode w = n.path("widgets_values");
            switch (type) {
                case "CheckpointLoaderSimple", "UNETLoader" -> {
                    if (!wired(n, type.equals("UNETLoader") ? "unet_name" : "ckpt_name")) {
                        d.model(Draft.text(w.get(0)));
                    }
                    return;
                }
                case "LoraLoader", "LoraLoaderModelOnly" -> {
                    if (!wired(n, "lora_name")) {
                        d.lora(Draft.text(w.get(0)), w.get(1));
                    }
                }
                default -> {}
            }
            n = source(n, "model");
        }
    }

    /** Whether the input {@code name} of {@code n} is wired to another node. */
    private static boolean wired(ObjectNode n, String name) {
        for (JsonNode in : n.path("inputs")) {
            if (name.equals(in.path("name").asText()) && in.hasNonNull("link")) {
                return true;
            }
        }
        return false;
    }

    /** The node feeding input {@code name} of {@code n}, or null. */
    private ObjectNode source(ObjectNode n, String name) {
        for (JsonNode in : n.path("inputs")) {
            if (name.equals(in.path("name").asText()) && in.path("link").canConvertToInt() && in.hasNonNull("link")) {
                Integer id = from.get(in.get("link").asInt());
                return id == null ? null : nodes.get(id);
            }
        }
        return null;
    }
}
