package dev.lifeline.catalog.meta;

import static dev.lifeline.catalog.meta.TestImages.*;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Where each writer puts its text, byte by byte: EXIF byte orders and charsets, XMP, iTXt, WebP chunks. */
class ContainersTest {
    static final String INFOTEXT = "a lighthouse at dusk, <lora:film_grain:0.6>\nNegative prompt: blurry\n"
            + "Steps: 28, Sampler: DPM++ 2M, Schedule type: Karras, CFG scale: 6.5, Seed: 4242424242, Size: 832x1216,"
            + " Model hash: 0123abcd, Model: sdxl_base";

    private static ImageMeta read(byte[] file) {
        return MetaReader.read(file, MetaOptions.DEFAULT).orElseThrow();
    }

    private static void isTheLighthouse(ImageMeta m) {
        assertThat(m.tool()).isEqualTo("a1111");
        assertThat(m.prompt()).isEqualTo("a lighthouse at dusk, <lora:film_grain:0.6>");
        assertThat(m.negative()).isEqualTo("blurry");
        assertThat(m.seed()).isEqualTo(4242424242L);
        assertThat(m.steps()).isEqualTo(28);
        assertThat(m.cfg()).isEqualTo(6.5);
        assertThat(m.sampler()).isEqualTo("DPM++ 2M");
        assertThat(m.scheduler()).isEqualTo("Karras");
        assertThat(m.model()).isEqualTo("sdxl_base");
        assertThat(m.modelHash()).isEqualTo("0123abcd");
        assertThat(m.loras()).containsExactly(new ImageMeta.Lora("film_grain", 0.6));
        assertThat(m.width()).isEqualTo(832);
        assertThat(m.height()).isEqualTo(1216);
    }

    @Test
    void userCommentUtf16ByteOrderComesFromTheTextNotTheTiffHeader() {
        // A1111: BE in MM; SwarmUI: LE in II; Civitai: BE in II
        for (boolean little : new boolean[] {false, true}) {
            for (boolean bigEndianText : new boolean[] {false, true}) {
                byte[] jpg = jpeg(exifApp1(tiff(little, List.of(), List.of(unicodeComment(INFOTEXT, bigEndianText)))));
                isTheLighthouse(read(jpg));
            }
        }
    }

    @Test
    void userCommentAsciiPrefixAndRawUtf8AsFooocusWritesIt() {
        byte[] ascii = "ASCII\0\0\0".getBytes(StandardCharsets.US_ASCII);
        byte[] text = INFOTEXT.getBytes(StandardCharsets.US_ASCII);
        byte[] v = new byte[ascii.length + text.length];
        System.arraycopy(ascii, 0, v, 0, 8);
        System.arraycopy(text, 0, v, 8, text.length);
        isTheLighthouse(read(jpeg(exifApp1(tiff(false, List.of(), List.of(new Entry(0x9286, 7, v)))))));

        String fooocus = "{\"prompt\": \"ein Fuchs im Schnee, 狐\", \"negative_prompt\": \"\", \"steps\": 30,"
                + " \"guidance_scale\": 4.0, \"seed\": \"6952411511246973023\", \"sampler\": \"dpmpp_2m_sde_gpu\","
                + " \"scheduler\": \"karras\", \"base_model\": \"juggernautXL_v8\", \"resolution\": \"(896, 1152)\","
                + " \"loras\": [[\"sd_xl_offset_example-lora_1.0.safetensors\", 0.1]], \"version\": \"Fooocus v2.5.0\"}";
        ImageMeta m = read(jpeg(exifApp1(tiff(
                true,
                List.of(ascii(0x0131, "Fooocus v2.5.0")),
                List.of(rawComment(fooocus), ascii(0x927C, "fooocus"))))));
        assertThat(m.tool()).isEqualTo("fooocus");
        assertThat(m.prompt()).isEqualTo("ein Fuchs im Schnee, 狐");
        assertThat(m.negative()).isNull();
        assertThat(m.seed()).isEqualTo(6952411511246973023L);
        assertThat(m.width()).isEqualTo(896);
        assertThat(m.height()).isEqualTo(1152);
        assertThat(m.loras()).containsExactly(new ImageMeta.Lora("sd_xl_offset_example-lora_1.0.safetensors", 0.1));
    }

    @Test
    void swarmUiJpegCarriesItsJsonAsUtf16LeInALittleEndianTiff() {
        String json = "{\"sui_image_params\": {\"prompt\": \"a cozy cabin\", \"negativeprompt\": \"people\","
                + " \"model\": \"juggernautXL\", \"seed\": 1717, \"steps\": 24, \"cfgscale\": 5.5, \"width\": 1024,"
                + " \"height\": 768, \"sampler\": \"dpmpp_2m\", \"scheduler\": \"karras\", \"loras\": [\"detail\"],"
                + " \"loraweights\": [\"0.8\"]}, \"sui_models\": []}";
        ImageMeta m = read(jpeg(exifApp1(tiff(true, List.of(), List.of(unicodeComment(json, false))))));
        assertThat(m.tool()).isEqualTo("swarmui");
        assertThat(m.prompt()).isEqualTo("a cozy cabin");
        assertThat(m.negative()).isEqualTo("people");
        assertThat(m.seed()).isEqualTo(1717L);
        assertThat(m.cfg()).isEqualTo(5.5);
        assertThat(m.scheduler()).isEqualTo("karras");
        assertThat(m.loras()).containsExactly(new ImageMeta.Lora("detail", 0.8));
        assertThat(m.width()).isEqualTo(1024);
    }

    @Test
    void drawThingsXmpUserCommentJson() {
        String json = "{&quot;c&quot;:&quot;a koi pond &amp; lilies&quot;,&quot;uc&quot;:&quot;text&quot;,"
                + "&quot;seed&quot;:3003,&quot;steps&quot;:20,&quot;scale&quot;:4.5,&quot;sampler&quot;:"
                + "&quot;DPM++ 2M Karras&quot;,&quot;model&quot;:&quot;sd_xl_base_1.0_f16.ckpt&quot;,"
                + "&quot;size&quot;:&quot;1024x1024&quot;,&quot;lora&quot;:[{&quot;file&quot;:&quot;koi_f16.ckpt"
                + "&quot;,&quot;weight&quot;:0.7}]}";
        String xmp = "<x:xmpmeta xmlns:x=\"adobe:ns:meta/\"><rdf:RDF><rdf:Description xmp:CreatorTool=\"Draw Things\">"
                + "<exif:UserComment><rdf:Alt><rdf:li xml:lang=\"x-default\">" + json
                + "</rdf:li></rdf:Alt></exif:UserComment></rdf:Description></rdf:RDF></x:xmpmeta>";
        ImageMeta m = read(jpeg(xmpApp1(xmp)));
        assertThat(m.tool()).isEqualTo("drawthings");
        assertThat(m.prompt()).isEqualTo("a koi pond & lilies");
        assertThat(m.negative()).isEqualTo("text");
        assertThat(m.seed()).isEqualTo(3003L);
        assertThat(m.cfg()).isEqualTo(4.5);
        assertThat(m.model()).isEqualTo("sd_xl_base_1.0_f16.ckpt");
        assertThat(m.loras()).containsExactly(new ImageMeta.Lora("koi_f16.ckpt", 0.7));
        assertThat(m.width()).isEqualTo(1024);
    }

    @Test
    void comfyUiWebpExifModelPromptAndMakeWorkflowAfterTheImage() {
        String graph = "{\"3\": {\"class_type\": \"KSampler\", \"inputs\": {\"seed\": 99, \"steps\": 12, \"cfg\": 3.0,"
                + " \"sampler_name\": \"euler\", \"scheduler\": \"simple\", \"model\": [\"4\", 0],"
                + " \"positive\": [\"6\", 0], \"negative\": [\"7\", 0], \"latent_image\": [\"5\", 0]}},"
                + " \"4\": {\"class_type\": \"CheckpointLoaderSimple\", \"inputs\": {\"ckpt_name\": \"m.safetensors\"}},"
                + " \"5\": {\"class_type\": \"EmptyLatentImage\", \"inputs\": {\"width\": 640, \"height\": 360}},"
                + " \"6\": {\"class_type\": \"CLIPTextEncode\", \"inputs\": {\"text\": \"金鱼\", \"clip\": [\"4\", 1]}},"
                + " \"7\": {\"class_type\": \"CLIPTextEncode\", \"inputs\": {\"text\": \"\", \"clip\": [\"4\", 1]}},"
                + " \"9\": {\"class_type\": \"SaveAnimatedWEBP\", \"inputs\": {\"images\": [\"3\", 0]}}}";
        byte[] exif = exifApp1(tiff(
                false,
                List.of(ascii(0x010F, "workflow:{\"nodes\": []}"), ascii(0x0110, "prompt:" + graph)),
                List.of()));
        ImageMeta m = read(webp("ANMF", new byte[64], "EXIF", exif));
        assertThat(m.tool()).isEqualTo("comfyui");
        assertThat(m.prompt()).isEqualTo("金鱼");
        assertThat(m.negative()).isNull();
        assertThat(m.seed()).isEqualTo(99L);
        assertThat(m.model()).isEqualTo("m.safetensors");
        assertThat(m.width()).isEqualTo(640);
        assertThat(m.raw()).isEqualTo(graph);
    }

    @Test
    void pngItxtPlainAndCompressedAndZtxt() {
        isTheLighthouse(read(png(itxt("parameters", INFOTEXT, true), idat())));
        isTheLighthouse(read(png(itxt("parameters", INFOTEXT, false), idat())));
        isTheLighthouse(read(png(idat(), ztxt("parameters", INFOTEXT))));
        String cjk = INFOTEXT.replace("a lighthouse at dusk", "夕暮れの灯台");
        assertThat(read(png(itxt("parameters", cjk, true))).prompt()).startsWith("夕暮れの灯台");
    }

    @Test
    void sizeFromTheImageHeaderWhenTheMetadataHasNone() {
        String noSize = "a cat\nSteps: 5, Sampler: Euler, Seed: 1";
        ImageMeta j = read(jpeg(exifApp1(tiff(false, List.of(), List.of(unicodeComment(noSize, true))))));
        assertThat(List.of(j.width(), j.height())).containsExactly(640, 480);
        ImageMeta w = read(webp("EXIF", exifApp1(tiff(true, List.of(), List.of(unicodeComment(noSize, false))))));
        assertThat(List.of(w.width(), w.height())).containsExactly(832, 480);
    }

    @Test
    void avifExifItemFoundThroughIinfAndIloc() {
        byte[] tiff = tiff(false, List.of(), List.of(unicodeComment(INFOTEXT, true)));
        for (int ilocVersion : new int[] {0, 1}) {
            isTheLighthouse(read(avif(tiff, ilocVersion)));
        }
        // the size comes from ispe when the metadata has none
        byte[] noSize =
                tiff(false, List.of(), List.of(unicodeComment("a cat\nSteps: 5, Sampler: Euler, Seed: 1", true)));
        ImageMeta m = read(avif(noSize, 0));
        assertThat(List.of(m.width(), m.height())).containsExactly(1280, 720);
    }

    @Test
    void unknownBytesAndOtherFormatsAreNoMetadata() {
        assertThat(MetaReader.read("GIF89a....".getBytes(StandardCharsets.US_ASCII), MetaOptions.DEFAULT))
                .isEmpty();
        assertThat(MetaReader.read(new byte[0], MetaOptions.DEFAULT)).isEmpty();
        assertThat(MetaReader.read(png(text("date:create", "2023-01-01"), idat()), MetaOptions.DEFAULT))
                .isEmpty();
    }
}
