package dev.lifeline.catalog.meta;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Each real sample gives exactly the values EXPECTED.md states for it (typed in here by hand,
 * one case per file); the negative samples give no metadata. Where EXPECTED.md's prose and the
 * file disagree, the comment on the case says which was followed.
 */
class SampleFilesTest {
    static final String DUCK_MODEL = "realistic_realisticVisionV20_v20";

    static Stream<Arguments> samples() {
        return Stream.of(
                // ---- a1111
                of("a1111/sdparsers_automatic1111_cropped.png", duck()),
                of("a1111/sdparsers_automatic1111_cropped.jpg", duck()),
                of("a1111/sdparsers_text_after_idat.png", duck()),
                of(
                        "a1111/sdparsers_automatic1111_stealth.png",
                        true,
                        want().tool("a1111")
                                .prompt("a circle")
                                .negative("a square")
                                .sampler("Euler")
                                .scheduler("Automatic")
                                .cfg(7.0)
                                .seed(2015833630L)
                                .steps(20)
                                .model("realisticVisionV51_v51VAE")
                                .hash("15012c538f")
                                .size(64, 64)
                                .rawContains("Clip skip: 2", "Version: v1.9.4-169-ga30b19dd")),
                // ---- comfyui
                of(
                        "comfyui/sdparsers_img2img_cropped.png",
                        // EXPECTED.md says the raw value is "dpmpp_2m"; the file says "sample_dpmpp_2m"
                        // (early ComfyUI names), which the reader gives as today's name
                        want().tool("comfyui")
                                .sampler("dpmpp_2m")
                                .seed(280823642470253L)
                                .steps(20)
                                .cfg(8.0)
                                .scheduler("normal")
                                .model("v1-5-pruned-emaonly.ckpt")
                                .prompt("photograph of victorian woman with wings, sky clouds, meadow grass")
                                .negative("watermark, text")),
                of(
                        "comfyui/sdparsers_night_evening_day_morning_cropped.png",
                        // two samplers: the first pass (#3) is the generation; #24 refines it
                        want().tool("comfyui")
                                .sampler("dpmpp_sde")
                                .seed(335608130539327L)
                                .steps(13)
                                .cfg(8.5)
                                .scheduler("normal")
                                .model("Anything-V3.0.ckpt")
                                .promptContains(
                                        "(masterpiece) (best quality) beautiful landscape breathtaking amazing view"
                                                + " nature photograph forest mountains ocean (sky) national park scenery",
                                        "(best quality) (night:1.3) (darkness) sky (black)",
                                        "(best quality) (daytime:1.2) sky (blue)")
                                .negativeStarts("(hands), text, error, cropped, (worst quality:1.2)")
                                .size(704, 1280)),
                of(
                        "comfyui/sdparsers_unclip_2pass_cropped.png",
                        // prompts are given stripped of surrounding blank lines, as sd-parsers gives them
                        want().tool("comfyui")
                                .seed(1106257833005336L)
                                .steps(26)
                                .cfg(8.0)
                                .sampler("uni_pc_bh2")
                                .model("wd-1-5-beta2-aesthetic-unclip-h-fp32.safetensors")
                                .prompt("(waifu, anime, exceptional, best aesthetic, new, newest, best quality,"
                                        + " masterpiece, extremely detailed:1.2)")),
                of(
                        "comfyui/cex_z_image_turbo_example.png",
                        want().tool("comfyui")
                                .seed(47447417949230L)
                                .steps(9)
                                .cfg(1.0)
                                .sampler("euler")
                                .scheduler("simple")
                                .model("z_image_turbo_bf16.safetensors")
                                .size(1024, 1024)
                                .promptStarts("cute anime style girl with massive fluffy fennec ears and a big fluffy"
                                        + " tail blonde messy long hair blue eyes wearing a maid outfit")
                                .negative("blurry ugly bad")),
                of(
                        "comfyui/cex_flux_dev_example.png",
                        // no CFG node: the FluxGuidance value is the guidance scale
                        want().tool("comfyui")
                                .seed(219670278747233L)
                                .steps(20)
                                .scheduler("simple")
                                .sampler("euler")
                                .cfg(3.5)
                                .model("flux1-dev.safetensors")
                                .promptStarts("cute anime girl with massive fluffy fennec ears and a big fluffy tail"
                                        + " blonde messy long hair blue eyes wearing a maid outfit with a long black"
                                        + " gold leaf pattern dress and a white apron mouth open holding a fancy black"
                                        + " forest cake")
                                .negative(null)
                                .size(1024, 1024)),
                of(
                        "comfyui/cex_sdxl_refiner_prompt_example.png",
                        want().tool("comfyui")
                                .seed(6767725640732L)
                                .steps(25)
                                .cfg(8.0)
                                .sampler("euler")
                                .scheduler("normal")
                                .model("sd_xl_base_1.0.safetensors")
                                .prompt("daytime sky nature dark blue galaxy bottle")
                                .negative("text, watermark")
                                .size(1024, 1024)),
                of(
                        "comfyui/cex_lora_multiple.png",
                        want().tool("comfyui")
                                .seed(513173432917412L)
                                .steps(20)
                                .cfg(8.0)
                                .sampler("euler")
                                .scheduler("normal")
                                .model("v1-5-pruned-emaonly.ckpt")
                                .loras(
                                        new ImageMeta.Lora("epiNoiseoffset_v2.safetensors", 1.0),
                                        new ImageMeta.Lora("theovercomer8sContrastFix_sd15.safetensors", 1.0))
                                .prompt("masterpiece best quality girl")
                                .negative("bad hands")
                                .size(512, 512)),
                of(
                        "comfyui/cex_sdxlturbo_example.png",
                        want().tool("comfyui")
                                .seed(0L)
                                .steps(1)
                                .cfg(1.0)
                                .sampler("euler_ancestral")
                                .model("sd_xl_turbo_1.0_fp16.safetensors")
                                .prompt("beautiful landscape scenery glass bottle with a galaxy inside cute fennec fox"
                                        + " snow HDR sunset")
                                .negative("text, watermark")
                                .size(512, 512)),
                of(
                        "comfyui/cex_text_to_video_wan.webp",
                        want().tool("comfyui")
                                .seed(82628696717253L)
                                .steps(30)
                                .cfg(6.0)
                                .sampler("uni_pc")
                                .scheduler("simple")
                                .model("wan2.1_t2v_1.3B_fp16.safetensors")
                                .prompt("a fox moving quickly in a beautiful winter scenery nature trees mountains"
                                        + " daytime tracking camera")
                                .negativeStarts("色调艳丽，过曝，静态，细节模糊不清，字幕")
                                .size(832, 480)),
                of(
                        "comfyui/promptreadernode_simple_example_workflow_only.png",
                        // workflow only, and every sampler widget is wired to custom nodes: no stale values
                        want().tool("comfyui").seed(null).rawContains("\"SDPromptSaver\"", "\"nodes\"")),
                // ---- invokeai
                of(
                        "invokeai/sdparsers_invokeai_dream1.png",
                        want().tool("invokeai")
                                .promptStarts("professional full body photo of young woman, hyper long brunette hair")
                                .negative("rendering, glowing eyes, skinny")
                                .sampler("k_lms")
                                .steps(50)
                                .cfg(5.0)
                                .seed(2980747362L)
                                .size(512, 768)),
                of(
                        "invokeai/sdparsers_invokeai_sdmeta1.png",
                        want().tool("invokeai")
                                .promptStarts("professional full body photo of young woman, hyper long brunette hair")
                                .negative("rendering, glowing eyes, skinny")
                                .model("deliberateForInvoke_v08")
                                .hash("56d1442a0feefd64836a19ac8e3527ec71c884fc962e246ddf67b03e42921272")
                                .steps(50)
                                .cfg(5.0)
                                .sampler("k_lms")
                                .seed(2980747362L)
                                .rawContains("codeformer", "esrgan")),
                of(
                        "invokeai/sdparsers_invokeai_imeta1.png",
                        want().tool("invokeai")
                                .prompt("digital artwork, oil painting. painterly brushstrokes, holidays,")
                                .negative(
                                        "grainy+, photo, oversaturated, overexposed, blurry, compressed jpg+, noisy++,"
                                                + " unfocused , black and white")
                                .scheduler("euler")
                                .seed(3293022630L)
                                .cfg(8.0)
                                .steps(35)
                                .model("juggernautXL")
                                .size(1024, 1024)
                                .rawContains("sdxl_txt2img")),
                // ---- fooocus
                of(
                        "fooocus/sdparsers_fooocus1_cropped.png",
                        want().tool("fooocus")
                                .prompt("a smiling goldfish")
                                .negative(null)
                                .sampler("dpmpp_2m_sde_gpu")
                                .scheduler("karras")
                                .seed(6952411511246973023L)
                                .steps(30)
                                .cfg(4.0)
                                .model("juggernautXL_v8Rundiffusion")
                                .hash("aeb7e9e689")
                                .rawContains("\"sharpness\": 2", "Fooocus v2.4.3", "Fooocus Sharp")),
                // ---- novelai
                of(
                        "novelai/sdparsers_novelai1_cropped.png",
                        want().tool("novelai")
                                .prompt("masterpiece, best quality,  cat, space, icon")
                                .negativeStarts("lowres, bad anatomy, bad hands, text, error")
                                .sampler("k_euler_ancestral")
                                .seed(2253955223L)
                                .cfg(10.0)
                                .steps(50)
                                .model("Stable Diffusion")
                                .hash("1D44365E")
                                .rawContains("\"strength\": 0.4", "\"noise\": 0.0")),
                // ---- negative
                of("negative/sdparsers_empty_file.png", none()),
                of("negative/sdparsers_empty_image.jpg", none()),
                of("negative/cex_pose_present_nometa.png", none()));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("samples")
    void eachSampleGivesTheValuesExpectedMdStates(String name, boolean stealth, Want want) throws Exception {
        Optional<ImageMeta> got = MetaReader.inspect(Samples.file(name), new MetaOptions(stealth, java.util.Map.of()));
        want.check(got);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("samples")
    void theSameFromBytesInMemory(String name, boolean stealth, Want want) throws Exception {
        want.check(MetaReader.read(
                java.nio.file.Files.readAllBytes(Samples.file(name)), new MetaOptions(stealth, java.util.Map.of())));
    }

    @org.junit.jupiter.api.Test
    void stealthPayloadIsReadOnlyWhenAsked() {
        assertThat(MetaReader.read(Samples.file("a1111/sdparsers_automatic1111_stealth.png"), MetaOptions.DEFAULT))
                .isEmpty();
    }

    @org.junit.jupiter.api.Test
    void everySampleFileHasACase() throws Exception {
        List<String> cases = samples().map(a -> (String) a.get()[0]).sorted().toList();
        List<String> files = Samples.all().stream()
                .map(p -> Samples.DIR.relativize(p).toString())
                .sorted()
                .toList();
        assertThat(cases).isEqualTo(files);
    }

    private static Want duck() {
        return want().tool("a1111")
                .prompt("photo of a duck")
                .negative("monochrome")
                .sampler("UniPC")
                .steps(15)
                .cfg(5.0)
                .seed(235284042L)
                .model(DUCK_MODEL)
                .hash("c0d1994c73")
                .size(512, 400);
    }

    private static Arguments of(String name, Want want) {
        return of(name, false, want);
    }

    private static Arguments of(String name, boolean stealth, Want want) {
        return Arguments.of(name, stealth, want);
    }

    private static Want want() {
        return new Want(false);
    }

    private static Want none() {
        return new Want(true);
    }

    /** The stated fields of one sample; fields not stated are not checked. */
    static final class Want {
        private final boolean none;
        private final List<Consumer<ImageMeta>> checks = new ArrayList<>();

        Want(boolean none) {
            this.none = none;
        }

        void check(Optional<ImageMeta> got) {
            if (none) {
                assertThat(got).as("no metadata").isEmpty();
                return;
            }
            assertThat(got).as("metadata").isPresent();
            ImageMeta m = got.orElseThrow();
            assertThat(m.raw()).as("raw").isNotBlank();
            checks.forEach(c -> c.accept(m));
        }

        private Want add(Consumer<ImageMeta> c) {
            checks.add(c);
            return this;
        }

        Want tool(String v) {
            return add(m -> assertThat(m.tool()).as("tool").isEqualTo(v));
        }

        Want prompt(String v) {
            return add(m -> assertThat(m.prompt()).as("prompt").isEqualTo(v));
        }

        Want promptStarts(String v) {
            return add(m -> assertThat(m.prompt()).as("prompt").startsWith(v));
        }

        Want promptContains(String... v) {
            return add(m -> assertThat(m.prompt()).as("prompt").contains(v));
        }

        Want negative(String v) {
            return add(m -> assertThat(m.negative()).as("negative").isEqualTo(v));
        }

        Want negativeStarts(String v) {
            return add(m -> assertThat(m.negative()).as("negative").startsWith(v));
        }

        Want seed(Long v) {
            return add(m -> assertThat(m.seed()).as("seed").isEqualTo(v));
        }

        Want steps(int v) {
            return add(m -> assertThat(m.steps()).as("steps").isEqualTo(v));
        }

        Want cfg(double v) {
            return add(m -> assertThat(m.cfg()).as("cfg").isEqualTo(v));
        }

        Want sampler(String v) {
            return add(m -> assertThat(m.sampler()).as("sampler").isEqualTo(v));
        }

        Want scheduler(String v) {
            return add(m -> assertThat(m.scheduler()).as("scheduler").isEqualTo(v));
        }

        Want model(String v) {
            return add(m -> assertThat(m.model()).as("model").isEqualTo(v));
        }

        Want hash(String v) {
            return add(m -> assertThat(m.modelHash()).as("modelHash").isEqualTo(v));
        }

        Want loras(ImageMeta.Lora... v) {
            return add(m -> assertThat(m.loras()).as("loras").containsExactly(v));
        }

        Want size(int w, int h) {
            return add(m ->
                    assertThat(new int[] {m.width(), m.height()}).as("size").containsExactly(w, h));
        }

        Want rawContains(String... v) {
            return add(m -> assertThat(m.raw()).as("raw").contains(v));
        }

        @Override
        public String toString() {
            return none ? "none" : checks.size() + " checks";
        }
    }

    static Path path(String name) {
        return Samples.file(name);
    }
}
