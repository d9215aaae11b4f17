package dev.lifeline.catalog.meta;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Which tool wrote a file's text entries, and its parser. Container differences are folded
 * first: EXIF UserComment is the {@code parameters} of JPEG/WebP/AVIF writers (A1111, Fooocus,
 * SwarmUI), an EXIF text tag of the form {@code key:{json}} is that key (ComfyUI WebP: Model
 * {@code prompt:}, Make {@code workflow:}), EXIF Software/MakerNote are Fooocus's
 * {@code Software}/{@code fooocus_scheme}. Then, first match wins: a custom mapping, InvokeAI,
 * {@code parameters} (SwarmUI, Fooocus, Draw Things, Easy Diffusion JSON, other JSON, A1111
 * infotext), ComfyUI ({@code prompt}, else {@code workflow}), NovelAI, Draw Things XMP, Easy
 * Diffusion's per-field entries.
 */
final class Recognize {
    private static final Pattern KEYED_JSON =
            Pattern.compile("^([A-Za-z_][A-Za-z0-9_ -]{0,40}):\\s*([\\[{].*)$", Pattern.DOTALL);

    private Recognize() {}

    static ImageMeta meta(Found found, MetaOptions options) {
        Map<String, String> t = fold(found.texts);
        if (t.isEmpty()) {
            return null;
        }
        if (!options.fields().isEmpty()) {
            ImageMeta m = custom(t, options, found);
            if (m != null) {
                return m;
            }
        }
        String invoke = t.get("invokeai_metadata");
        ObjectNode j;
        if ((j = JsonText.object(invoke)) != null) {
            return InvokeAi.metadata(j, invoke, found);
        }
        if ((j = JsonText.object(t.get("sd-metadata"))) != null) {
            return InvokeAi.sdMetadata(j, t.get("sd-metadata"), found);
        }
        if (t.containsKey("Dream")) {
            ImageMeta m = InvokeAi.dream(t.get("Dream"), found);
            if (m != null) {
                return m;
            }
        }
        if ((j = JsonText.object(t.get("invokeai_graph"))) != null) {
            return InvokeAi.graph(j, t.get("invokeai_graph"), found);
        }
        String params = t.get("parameters");
        if (params != null) {
            ImageMeta m = parameters(params, t, found);
            if (m != null) {
                return m;
            }
        }
        String prompt = t.get("prompt");
        JsonNode graph = JsonText.parse(prompt);
        if (ComfyGraph.isGraph(graph)) {
            return ComfyGraph.read((ObjectNode) graph, prompt, found);
        }
        String workflow = t.get("workflow");
        JsonNode wf = JsonText.parse(workflow);
        if (ComfyWorkflow.isWorkflow(wf)) {
            return ComfyWorkflow.read((ObjectNode) wf, workflow, found);
        }
        String comment = t.get("Comment");
        if ((j = JsonText.object(comment)) != null && AppJson.isNovelAi(j, t)) {
            return AppJson.novelAi(j, t, comment, found);
        }
        String xmp = t.get("xmp:UserComment");
        if ((j = JsonText.object(xmp)) != null && AppJson.isDrawThings(j)) {
            return AppJson.drawThings(j, xmp, found);
        }
        Function<String, JsonNode> entries = k -> t.containsKey(k) ? TextNode.valueOf(t.get(k)) : null;
        if (AppJson.isEasyDiffusion(entries)) {
            return AppJson.easyDiffusion(entries, entriesText(t), found);
        }
        return null;
    }

    private static ImageMeta parameters(String params, Map<String, String> t, Found found) {
        ObjectNode j = JsonText.object(params);
        if (j == null) {
            String lead = params.stripLeading();
            // JSON that did not parse (broken, or past the limits) is not a prompt
            return lead.startsWith("{") || lead.startsWith("[") ? null : Infotext.read(params, found);
        }
        if (j.has("sui_image_params")) {
            return AppJson.swarmUi(j, params, found);
        }
        if (AppJson.isFooocus(j, t)) {
            return AppJson.fooocus(j, params, found);
        }
        if (AppJson.isDrawThings(j)) {
            return AppJson.drawThings(j, params, found);
        }
        if (AppJson.isEasyDiffusion(j::get)) {
            return AppJson.easyDiffusion(j::get, params, found);
        }
        return AppJson.generic(j, params, found);
    }

    /** The custom mapping, looked up in the first JSON object among the entries, else in the entries themselves. */
    private static ImageMeta custom(Map<String, String> t, MetaOptions options, Found found) {
        for (String key : t.keySet()) {
            String v = t.get(key);
            ObjectNode j = JsonText.object(v);
            if (j != null) {
                ImageMeta m = AppJson.custom(options.fields(), j::get, v, found);
                if (m != null) {
                    return m;
                }
            }
        }
        return AppJson.custom(
                options.fields(), k -> t.containsKey(k) ? TextNode.valueOf(t.get(k)) : null, entriesText(t), found);
    }

    /** The entries as {@code key: value} lines, the raw text of per-field writers. */
    private static String entriesText(Map<String, String> t) {
        StringBuilder b = new StringBuilder();
        t.forEach((k, v) -> b.append(k).append(": ").append(v).append('\n'));
        return b.toString();
    }

    /** The container-specific keys folded into the ones the parsers look for. */
    static Map<String, String> fold(Map<String, String> texts) {
        Map<String, String> t = new LinkedHashMap<>(texts);
        for (String k : new String[] {"exif:Model", "exif:Make", "exif:ImageDescription", "exif:UserComment"}) {
            String v = texts.get(k);
            if (v != null) {
                Matcher m = KEYED_JSON.matcher(v);
                if (m.matches()) {
                    t.putIfAbsent(m.group(1), m.group(2));
                }
            }
        }
        String uc = texts.get("exif:UserComment");
        if (uc != null && !KEYED_JSON.matcher(uc).matches()) {
            t.putIfAbsent("parameters", uc);
        }
        putIfPresent(t, "Software", texts.get("exif:Software"));
        String maker = texts.get("exif:MakerNote");
        if (maker != null && (maker.equals("fooocus") || maker.equals("a1111"))) {
            t.putIfAbsent("fooocus_scheme", maker);
        }
        return t;
    }

    private static void putIfPresent(Map<String, String> t, String k, String v) {
        if (v != null) {
            t.putIfAbsent(k, v);
        }
    }
}
