package dev.lifeline.catalog.meta;

import static dev.lifeline.catalog.meta.TestImages.*;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Each tool's own rules, on text as the tool writes it (graph shapes the samples do not cover). */
class ParsersTest {
    private static ImageMeta png1(String key, String value) {
        return MetaReader.read(png(text(key, value), idat()), MetaOptions.DEFAULT)
                .orElseThrow();
    }

    // ---- A1111

    @Test
    void infotextQuotedValuesStayWholeAndBlankLinesBelongToThePrompt() {
        String t = "line one\n\nline three, <lora:add_detail:0.5> <lora:style>\nNegative prompt: bad\n\nworse\n"
                + "Steps: 20, Sampler: Euler a, CFG scale: 7, Seed: 1, Size: 512x768, Model: m,"
                + " Lora hashes: \"add_detail: 7c6bad76eb54, style: 0a1b2c3d4e5f, extra: 999\", Version: f2.0.1v1.10.1";
        ImageMeta m = png1("parameters", t);
        assertThat(m.tool()).isEqualTo("a1111");
        assertThat(m.prompt()).isEqualTo("line one\n\nline three, <lora:add_detail:0.5> <lora:style>");
        assertThat(m.negative()).isEqualTo("bad\n\nworse");
        assertThat(m.sampler()).isEqualTo("Euler a");
        assertThat(m.loras())
                .containsExactly(
                        new ImageMeta.Lora("add_detail", 0.5),
                        new ImageMeta.Lora("style", 1.0),
                        new ImageMeta.Lora("extra", null));
        assertThat(m.scheduler()).isNull();
    }

    @Test
    void aLastLineWithFewerThanThreePairsIsPartOfThePrompt() {
        ImageMeta m = png1("parameters", "a cat\nStyle: watercolor, Mood: calm");
        assertThat(m.prompt()).isEqualTo("a cat\nStyle: watercolor, Mood: calm");
        assertThat(m.seed()).isNull();
        assertThat(m.steps()).isNull();
    }

    @Test
    void aSeedBeyond64BitsIsAbsentNotWrapped() {
        ImageMeta m = png1("parameters", "x\nSteps: 2, Seed: 18446744073709551615, Sampler: Euler");
        assertThat(m.seed()).isNull();
        assertThat(m.steps()).isEqualTo(2);
    }

    @Test
    void fooocusInA1111SchemeIsFooocus() {
        ImageMeta m = png1("parameters", "fox\nSteps: 30, Sampler: DPM++ 2M SDE, Seed: 5, Version: Fooocus v2.5.5");
        assertThat(m.tool()).isEqualTo("fooocus");
    }

    // ---- ComfyUI

    @Test
    void samplerCustomAdvancedWithCfgGuiderPrimitivesSubgraphIdsSwitchAndModelOnlyLora() {
        String g = """
                {"12:3": {"class_type": "SamplerCustomAdvanced", "inputs": {"noise": ["12:4", 0], "guider": ["12:5", 0],
                   "sampler": ["12:6", 0], "sigmas": ["12:8", 0], "latent_image": ["20", 0]}},
                 "12:4": {"class_type": "RandomNoise", "inputs": {"noise_seed": ["30", 0]}},
                 "30": {"class_type": "PrimitiveInt", "inputs": {"value": 9007199254740993}},
                 "12:5": {"class_type": "CFGGuider", "inputs": {"model": ["40", 0], "positive": ["50", 0],
                   "negative": ["51", 0], "cfg": 4.5}},
                 "12:6": {"class_type": "KSamplerSelect", "inputs": {"sampler_name": "dpmpp_2m"}},
                 "12:8": {"class_type": "SplitSigmas", "inputs": {"sigmas": ["12:7", 0], "step": 0}},
                 "12:7": {"class_type": "BasicScheduler", "inputs": {"scheduler": "beta", "steps": 33, "denoise": 1.0,
                   "model": ["40", 0]}},
                 "40": {"class_type": "Any Switch (rgthree)", "inputs": {"any_01": ["41", 0]}},
                 "41": {"class_type": "LoraLoaderModelOnly", "inputs": {"lora_name": "detail.safetensors",
                   "strength_model": 0.75, "model": ["42", 0]}},
                 "42": {"class_type": "UNETLoader", "inputs": {"unet_name": "flux1-schnell.safetensors"}},
                 "50": {"class_type": "CLIPTextEncode", "inputs": {"text": ["60", 0], "clip": ["43", 0]}},
                 "60": {"class_type": "PrimitiveStringMultiline", "inputs": {"value": "a paper boat"}},
                 "51": {"class_type": "ConditioningZeroOut", "inputs": {"conditioning": ["52", 0]}},
                 "52": {"class_type": "Note", "inputs": {}},
                 "43": {"class_type": "CLIPLoader", "inputs": {"clip_name": "t5.safetensors", "type": "flux"}},
                 "20": {"class_type": "EmptySD3LatentImage", "inputs": {"width": ["61", 0], "height": 768}},
                 "61": {"class_type": "PrimitiveInt", "inputs": {"value": 1344}},
                 "70": {"class_type": "VAEDecode", "inputs": {"samples": ["12:3", 0], "vae": ["71", 0]}},
                 "71": {"class_type": "VAELoader", "inputs": {"vae_name": "ae.safetensors"}},
                 "80": {"class_type": "SaveImage", "inputs": {"images": ["70", 0]}}}
                """;
        ImageMeta m = png1("prompt", g);
        assertThat(m.tool()).isEqualTo("comfyui");
        assertThat(m.seed()).isEqualTo(9007199254740993L);
        assertThat(m.steps()).isEqualTo(33);
        assertThat(m.scheduler()).isEqualTo("beta");
        assertThat(m.sampler()).isEqualTo("dpmpp_2m");
        assertThat(m.cfg()).isEqualTo(4.5);
        assertThat(m.prompt()).isEqualTo("a paper boat");
        assertThat(m.negative()).isNull();
        assertThat(m.model()).isEqualTo("flux1-schnell.safetensors");
        assertThat(m.loras()).containsExactly(new ImageMeta.Lora("detail.safetensors", 0.75));
        assertThat(List.of(m.width(), m.height())).containsExactly(1344, 768);
        assertThat(m.raw()).isEqualTo(g);
    }

    @Test
    void workflowOnlyFallsBackToWidgetValuesOfCoreNodes() {
        String wf = """
                {"nodes": [
                  {"id": 3, "type": "KSampler", "mode": 0, "inputs": [{"name": "model", "link": 1},
                    {"name": "positive", "link": 2}, {"name": "negative", "link": 3}, {"name": "latent_image", "link": 4}],
                    "widgets_values": [123456789012, "randomize", 25, 6.5, "euler_ancestral", "karras", 1]},
                  {"id": 4, "type": "CheckpointLoaderSimple", "mode": 0, "inputs": [], "widgets_values": ["dream.safetensors"]},
                  {"id": 6, "type": "CLIPTextEncode", "mode": 0, "inputs": [{"name": "clip", "link": 5}],
                    "widgets_values": ["a lantern"]},
                  {"id": 7, "type": "CLIPTextEncode", "mode": 0, "inputs": [{"name": "clip", "link": 6}],
                    "widgets_values": ["smoke"]},
                  {"id": 5, "type": "EmptyLatentImage", "mode": 0, "inputs": [], "widgets_values": [768, 512, 1]},
                  {"id": 9, "type": "KSampler", "mode": 4, "inputs": [], "widgets_values": [1, "fixed", 1, 1, "x", "y", 1]}],
                 "links": [[1, 4, 0, 3, 0, "MODEL"], [2, 6, 0, 3, 1, "CONDITIONING"], [3, 7, 0, 3, 2, "CONDITIONING"],
                   [4, 5, 0, 3, 3, "LATENT"], [5, 4, 1, 6, 0, "CLIP"], [6, 4, 1, 7, 0, "CLIP"]]}
                """;
        ImageMeta m = png1("workflow", wf);
        assertThat(m.tool()).isEqualTo("comfyui");
        assertThat(m.seed()).isEqualTo(123456789012L);
        assertThat(m.steps()).isEqualTo(25);
        assertThat(m.cfg()).isEqualTo(6.5);
        assertThat(m.sampler()).isEqualTo("euler_ancestral");
        assertThat(m.scheduler()).isEqualTo("karras");
        assertThat(m.prompt()).isEqualTo("a lantern");
        assertThat(m.negative()).isEqualTo("smoke");
        assertThat(m.model()).isEqualTo("dream.safetensors");
        assertThat(List.of(m.width(), m.height())).containsExactly(768, 512);
    }

    // ---- InvokeAI, NovelAI, Easy Diffusion, custom

    @Test
    void invokeAi5MetadataWithModelObjectsAndLoras() {
        ImageMeta m = png1(
                "invokeai_metadata",
                "{\"positive_prompt\": \"a tram\", \"negative_prompt\": \"\", \"seed\": 7, \"steps\": 30,"
                        + " \"cfg_scale\": 7.5, \"scheduler\": \"dpmpp_2m_k\", \"width\": 1024, \"height\": 1024,"
                        + " \"model\": {\"key\": \"k\", \"hash\": \"blake3:abc\", \"name\": \"sdxl-base\"},"
                        + " \"loras\": [{\"model\": {\"key\": \"l\", \"name\": \"pixel-art\"}, \"weight\": 0.9}]}");
        assertThat(m.tool()).isEqualTo("invokeai");
        assertThat(m.negative()).isNull();
        assertThat(m.sampler()).isEqualTo("dpmpp_2m_k");
        assertThat(m.model()).isEqualTo("sdxl-base");
        assertThat(m.modelHash()).isEqualTo("blake3:abc");
        assertThat(m.loras()).containsExactly(new ImageMeta.Lora("pixel-art", 0.9));
    }

    @Test
    void novelAiV4CharacterPromptsJoinTheBaseCaption() {
        byte[] file = png(
                text("Software", "NovelAI"),
                text("Source", "NovelAI Diffusion V4 F6302A9D"),
                text("Description", "short description"),
                text(
                        "Comment",
                        "{\"prompt\": \"1girl, 1boy, park\", \"steps\": 28, \"scale\": 5.0, \"seed\": 12,"
                                + " \"sampler\": \"k_euler_ancestral\", \"noise_schedule\": \"karras\", \"width\": 832,"
                                + " \"height\": 1216, \"uc\": \"lowres\", \"v4_prompt\": {\"caption\": {\"base_caption\":"
                                + " \"park, autumn\", \"char_captions\": [{\"char_caption\": \"girl, red scarf\"},"
                                + " {\"char_caption\": \"boy, blue coat\"}]}}}"),
                idat());
        ImageMeta m = MetaReader.read(file, MetaOptions.DEFAULT).orElseThrow();
        assertThat(m.tool()).isEqualTo("novelai");
        assertThat(m.prompt()).isEqualTo("park, autumn\ngirl, red scarf\nboy, blue coat");
        assertThat(m.scheduler()).isEqualTo("karras");
        assertThat(m.model()).isEqualTo("NovelAI Diffusion V4");
        assertThat(m.modelHash()).isEqualTo("F6302A9D");
        assertThat(m.width()).isEqualTo(832);
    }

    @Test
    void easyDiffusionOneEntryPerField() {
        byte[] file = png(
                text("prompt", "a snail"),
                text("negative_prompt", "salt"),
                text("seed", "31337"),
                text("use_stable_diffusion_model", "sd-v1-5"),
                text("num_inference_steps", "25"),
                text("guidance_scale", "7.5"),
                text("sampler_name", "euler_a"),
                text("width", "512"),
                text("height", "512"),
                text("use_lora_model", "snail_lora"),
                text("lora_alpha", "0.5"),
                idat());
        ImageMeta m = MetaReader.read(file, MetaOptions.DEFAULT).orElseThrow();
        assertThat(m.tool()).isEqualTo("easydiffusion");
        assertThat(m.prompt()).isEqualTo("a snail");
        assertThat(m.seed()).isEqualTo(31337L);
        assertThat(m.model()).isEqualTo("sd-v1-5");
        assertThat(m.loras()).containsExactly(new ImageMeta.Lora("snail_lora", 0.5));
    }

    @Test
    void customFieldsMappingReadsAGradioAppsOwnJsonIncludingNestedKeys() {
        String json = "{\"text\": \"a comet\", \"my_seed\": 2024, \"opts\": {\"n_steps\": 8}, \"res\": \"1024 x 576\","
                + " \"adapters\": \"ink:0.4, paper\"}";
        byte[] file = png(text("parameters", json), idat());
        MetaOptions options = new MetaOptions(
                false,
                Map.of(
                        "prompt",
                        "text",
                        "seed",
                        "my_seed",
                        "steps",
                        "opts.n_steps",
                        "size",
                        "res",
                        "loras",
                        "adapters"));
        ImageMeta m = MetaReader.read(file, options).orElseThrow();
        assertThat(m.tool()).isEqualTo("custom");
        assertThat(m.prompt()).isEqualTo("a comet");
        assertThat(m.seed()).isEqualTo(2024L);
        assertThat(m.steps()).isEqualTo(8);
        assertThat(List.of(m.width(), m.height())).containsExactly(1024, 576);
        assertThat(m.loras()).containsExactly(new ImageMeta.Lora("ink", 0.4), new ImageMeta.Lora("paper", null));
        // without the mapping, the common keys are still tried: "text" is not one of them
        assertThat(MetaReader.read(file, MetaOptions.DEFAULT)).isEmpty();
    }

    @Test
    void gradioJsonWithCommonKeysNeedsNoMapping() {
        ImageMeta m = png1(
                "parameters",
                "{\"prompt\": \"a mug\", \"guidance_scale\": 3.5, \"num_inference_steps\": 4,"
                        + " \"resolution\": \"1024 x 1024\", \"Model\": \"FLUX.1-schnell\"}");
        assertThat(m.tool()).isEqualTo("custom");
        assertThat(m.cfg()).isEqualTo(3.5);
        assertThat(m.steps()).isEqualTo(4);
        assertThat(m.model()).isEqualTo("FLUX.1-schnell");
        assertThat(m.width()).isEqualTo(1024);
    }
}
