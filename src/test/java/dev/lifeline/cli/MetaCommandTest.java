package dev.lifeline.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lifeline.core.Json;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code lifeline meta} on real sample files: what a person reads, what a script parses, and the exit status. */
class MetaCommandTest {
    private static final Path SAMPLES = Path.of("src/test/resources/catalog-samples");
    private static final String DUCK =
            SAMPLES.resolve("a1111/sdparsers_automatic1111_cropped.png").toString();
    private static final String LORAS =
            SAMPLES.resolve("comfyui/cex_lora_multiple.png").toString();
    private static final String PLAIN =
            SAMPLES.resolve("negative/cex_pose_present_nometa.png").toString();

    @Test
    void printsABlockPerFileWithOnlyTheFieldsPresent() {
        CliHelpTest.Run r = CliHelpTest.run("meta", DUCK, LORAS, PLAIN);
        assertThat(r.status()).as(r.err()).isZero();
        assertThat(r.out())
                .contains(DUCK + "\n  tool        a1111\n  prompt      photo of a duck\n  negative    monochrome\n"
                        + "  seed        235284042\n  steps       15\n  cfg         5\n  sampler     UniPC\n")
                .contains("  model hash  c0d1994c73\n")
                .contains("  size        512x400\n")
                .contains("  loras       epiNoiseoffset_v2.safetensors (1)\n"
                        + "              theovercomer8sContrastFix_sd15.safetensors (1)\n")
                .contains(PLAIN + "\n  no generation metadata\n");
        String duckBlock = r.out().substring(0, r.out().indexOf(LORAS));
        assertThat(duckBlock).doesNotContain("scheduler").doesNotContain("loras");
    }

    @Test
    void jsonIsAnArrayOfFileAndMetaWithNullForNoMetadata() {
        CliHelpTest.Run r = CliHelpTest.run("meta", "--json", LORAS, PLAIN);
        assertThat(r.status()).as(r.err()).isZero();
        JsonNode a = Json.parse(r.out());
        assertThat(a.size()).isEqualTo(2);
        assertThat(a.get(0).get("file").asText()).isEqualTo(LORAS);
        JsonNode m = a.get(0).get("meta");
        assertThat(m.get("tool").asText()).isEqualTo("comfyui");
        assertThat(m.get("seed").asLong()).isEqualTo(513173432917412L);
        assertThat(m.get("modelHash").isNull()).isTrue();
        assertThat(m.get("loras").get(1).get("name").asText()).isEqualTo("theovercomer8sContrastFix_sd15.safetensors");
        assertThat(m.get("loras").get(1).get("weight").asDouble()).isEqualTo(1.0);
        assertThat(m.get("raw").asText()).contains("\"LoraLoader\"");
        assertThat(a.get(1).get("file").asText()).isEqualTo(PLAIN);
        assertThat(a.get(1).get("meta").isNull()).isTrue();
    }

    @Test
    void aMissingFileOrAFolderIsNamedAndTheOthersAreStillPrinted(@TempDir Path tmp) throws Exception {
        Path missing = tmp.resolve("gone.png");
        Path folder = Files.createDirectory(tmp.resolve("outputs"));
        CliHelpTest.Run r = CliHelpTest.run("meta", missing.toString(), DUCK, folder.toString());
        assertThat(r.status()).isEqualTo(1);
        assertThat(r.err())
                .contains("cannot read " + missing + ": no such file")
                .contains("cannot read " + folder)
                .contains("a folder");
        assertThat(r.out()).contains(DUCK + "\n  tool        a1111");
        CliHelpTest.Run json = CliHelpTest.run("meta", "--json", missing.toString(), DUCK);
        assertThat(json.status()).isEqualTo(1);
        assertThat(Json.parse(json.out()).get(0).get("file").asText()).isEqualTo(DUCK);
    }

    @Test
    void stealthAndCustomFieldsAreOptIn(@TempDir Path tmp) throws Exception {
        String stealth =
                SAMPLES.resolve("a1111/sdparsers_automatic1111_stealth.png").toString();
        assertThat(CliHelpTest.run("meta", stealth).out()).contains("no generation metadata");
        assertThat(CliHelpTest.run("meta", "--stealth", stealth).out()).contains("  seed        2015833630\n");

        Path gradio = tmp.resolve("gradio.png");
        byte[] png = Files.readAllBytes(Path.of(PLAIN));
        // a Gradio app's own JSON in a tEXt chunk right after IHDR
        byte[] body = "parameters\0{\"my_prompt\": \"a red fox\", \"my_seed\": 77, \"res\": \"640 x 480\"}"
                .getBytes(java.nio.charset.StandardCharsets.UTF_8);
        java.nio.ByteBuffer chunk = java.nio.ByteBuffer.allocate(12 + body.length);
        chunk.putInt(body.length)
                .put("tEXt".getBytes(java.nio.charset.StandardCharsets.US_ASCII))
                .put(body)
                .putInt(0);
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        out.write(png, 0, 33);
        out.writeBytes(chunk.array());
        out.write(png, 33, png.length - 33);
        Files.write(gradio, out.toByteArray());
        CliHelpTest.Run r = CliHelpTest.run(
                "meta",
                "--field",
                "prompt=my_prompt",
                "--field",
                "seed=my_seed",
                "--field",
                "size=res",
                gradio.toString());
        assertThat(r.out())
                .contains("  tool        custom\n  prompt      a red fox\n  seed        77\n")
                .contains("  size        640x480\n");
    }
}
