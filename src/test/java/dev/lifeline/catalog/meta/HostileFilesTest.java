package dev.lifeline.catalog.meta;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.zip.CRC32;
import java.util.zip.Deflater;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Files made to hurt a reader: every sample truncated and with bytes flipped (seeded, bounded),
 * lengths past the end, a zip bomb, JSON nested 10,000 deep, an EXIF IFD that points at itself,
 * and paths that are not files (a FIFO, a folder, a link). None may throw, hang or take memory
 * without bound: each batch runs under a deadline, and the worst cases are checked to give no
 * metadata (or the part that is intact).
 */
class HostileFilesTest {
    private static final Duration BATCH = Duration.ofSeconds(20);
    private static final MetaOptions STEALTH = new MetaOptions(true, Map.of());

    @Test
    void everySampleTruncatedAtManyLengthsGivesAResultOrNothing() throws Exception {
        for (Path p : Samples.all()) {
            byte[] full = Files.readAllBytes(p);
            assertTimeoutPreemptively(
                    BATCH,
                    () -> {
                        int cuts = Math.min(full.length, 300);
                        for (int i = 0; i < cuts; i++) {
                            int len = (int) ((long) full.length * i / Math.max(cuts, 1));
                            MetaReader.read(java.util.Arrays.copyOf(full, len), STEALTH);
                        }
                        // the very first bytes, one at a time
                        for (int len = 0; len < Math.min(full.length, 64); len++) {
                            MetaReader.read(java.util.Arrays.copyOf(full, len), STEALTH);
                        }
                    },
                    p.toString());
        }
    }

    @Test
    void thousandsOfByteFlipsInEverySampleNeverThrowOrHang() throws Exception {
        Random random = new Random(13);
        int cases = 0;
        for (Path p : Samples.all()) {
            byte[] full = Files.readAllBytes(p);
            if (full.length == 0) {
                continue;
            }
            // the header region is where a reader makes its decisions: flip there most often
            int region = Math.min(full.length, 64 * 1024);
            int rounds = full.length > 200_000 ? 150 : 400;
            int[] done = {0};
            assertTimeoutPreemptively(
                    BATCH,
                    () -> {
                        for (int r = 0; r < rounds; r++) {
                            byte[] b = full.clone();
                            int flips = 1 + random.nextInt(r % 3 == 0 ? 1 : 8);
                            for (int f = 0; f < flips; f++) {
                                int at = random.nextInt(random.nextInt(4) == 0 ? b.length : region);
                                b[at] = random.nextInt(3) == 0
                                        ? (byte) (random.nextBoolean() ? 0xff : 0)
                                        : (byte) random.nextInt();
                            }
                            MetaReader.read(b, r % 4 == 0 ? STEALTH : MetaOptions.DEFAULT);
                            done[0]++;
                        }
                    },
                    p.toString());
            cases += done[0];
        }
        assertThat(cases).isGreaterThan(5000);
    }

    @Test
    void byteFlipsInBuiltAvifWebpAndJpegFilesNeverThrowOrHang() throws Exception {
        byte[] tiff = TestImages.tiff(
                true,
                List.of(TestImages.ascii(0x0110, "prompt:{\"1\": {\"class_type\": \"KSampler\", \"inputs\": {}}}")),
                List.of(TestImages.unicodeComment(ContainersTest.INFOTEXT, false)));
        List<byte[]> files = List.of(
                TestImages.avif(tiff, 0),
                TestImages.avif(tiff, 1),
                TestImages.webp("EXIF", TestImages.exifApp1(tiff)),
                TestImages.jpeg(
                        TestImages.exifApp1(tiff), TestImages.xmpApp1("<exif:UserComment>{}</exif:UserComment>")));
        Random random = new Random(7);
        assertTimeoutPreemptively(BATCH, () -> {
            for (byte[] f : files) {
                for (int len = 0; len < f.length; len += 3) {
                    MetaReader.read(java.util.Arrays.copyOf(f, len), STEALTH);
                }
                for (int r = 0; r < 1500; r++) {
                    byte[] b = f.clone();
                    for (int k = 1 + random.nextInt(4); k > 0; k--) {
                        b[random.nextInt(b.length)] = (byte) random.nextInt();
                    }
                    MetaReader.read(b, STEALTH);
                }
            }
        });
    }

    @Test
    void aChunkLengthOf0x7fffffffIsNoMetadata() {
        byte[] png = png(chunk("tEXt", "parameters\0photo\nSteps: 1, Seed: 2, Sampler: Euler"));
        ByteBuffer.wrap(png).putInt(33, 0x7fffffff); // the tEXt chunk's length
        assertThat(MetaReader.read(png, STEALTH)).isEmpty();
        byte[] huge = png(chunk("IDAT", ""), chunk("tEXt", "parameters\0x"));
        ByteBuffer.wrap(huge).putInt(33, 0xffffffff);
        assertThat(MetaReader.read(huge, STEALTH)).isEmpty();
    }

    @Test
    void aZipBombInZtxtIsNoMetadataAndStaysSmall() {
        // 64 MiB of zeros in 64 KiB, twice: without the caps this is 128 MiB of heap
        byte[] zeros = deflate(new byte[64 * 1024 * 1024]);
        byte[] bomb = png(ztxt("parameters", zeros), ztxt("Comment", zeros));
        assertThat(bomb.length).isLessThan(200_000);
        assertTimeoutPreemptively(
                BATCH, () -> assertThat(MetaReader.read(bomb, STEALTH)).isEmpty());
        // a valid NovelAI Comment just past the per-entry cap (1 MiB inflated) is refused as a whole;
        // the same entry under the cap is read
        String uc = "x".repeat(1024 * 1024);
        String comment = "{\"steps\": 28, \"scale\": 5, \"sampler\": \"k_euler\", \"uc\": \"" + uc + "\"}";
        byte[] big = png(
                HostileFilesTest.chunk("tEXt", "Software\0NovelAI"),
                ztxt("Comment", comment.getBytes(StandardCharsets.UTF_8)));
        assertThat(MetaReader.read(big, MetaOptions.DEFAULT)).isEmpty();
        String small = comment.replace(uc, "lowres");
        byte[] ok = png(
                HostileFilesTest.chunk("tEXt", "Software\0NovelAI"),
                ztxt("Comment", small.getBytes(StandardCharsets.UTF_8)));
        assertThat(MetaReader.read(ok, MetaOptions.DEFAULT).orElseThrow().negative())
                .isEqualTo("lowres");
    }

    private static byte[] ztxt(String key, byte[] compressedOrRaw) {
        boolean raw = compressedOrRaw.length == 0 || compressedOrRaw[0] != 0x78;
        byte[] z = raw ? deflate(compressedOrRaw) : compressedOrRaw;
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.writeBytes((key + "\0\0").getBytes(StandardCharsets.ISO_8859_1));
        body.writeBytes(z);
        return chunk("zTXt", body.toByteArray());
    }

    private static byte[] deflate(byte[] raw) {
        Deflater d = new Deflater(9);
        d.setInput(raw);
        d.finish();
        ByteArrayOutputStream z = new ByteArrayOutputStream();
        byte[] buf = new byte[64 * 1024];
        while (!d.finished()) {
            z.write(buf, 0, d.deflate(buf));
        }
        d.end();
        return z.toByteArray();
    }

    @Test
    void jsonNested10000DeepIsNoMetadataNotAStackOverflow() {
        String deep = "{\"a\":".repeat(10_000) + "1" + "}".repeat(10_000);
        for (String key : List.of("prompt", "workflow", "invokeai_metadata", "parameters", "Comment", "sd-metadata")) {
            byte[] png = png(chunk("tEXt", key + "\0" + deep));
            assertThat(MetaReader.read(png, MetaOptions.DEFAULT)).as(key).isEmpty();
        }
        assertThat(JsonText.parse(deep))
                .as("the parser's own limit, not a caught StackOverflowError")
                .isNull();
        String arrays = "[".repeat(10_000) + "]".repeat(10_000);
        assertThat(JsonText.parse(arrays)).isNull();
        assertThat(MetaReader.read(png(chunk("tEXt", "prompt\0" + arrays)), MetaOptions.DEFAULT))
                .isEmpty();
    }

    @Test
    void longLinesThatMakeRegexesBacktrackAreReadInLinearTime() {
        // A1111's own re_param is quadratic on a long line without colons (40,000 characters: 7 s)
        String words = "ab cd ".repeat(170_000); // ~1 MiB
        byte[] infotext = png(chunk("tEXt", "parameters\0x\n" + words));
        byte[] colons = png(chunk("tEXt", "parameters\0x\n" + "a:".repeat(400_000)));
        String opens = "<exif:UserComment>".repeat(200_000);
        byte[] xmp = TestImages.jpeg(TestImages.xmpApp1(opens));
        assertTimeoutPreemptively(Duration.ofSeconds(5), () -> {
            assertThat(MetaReader.read(infotext, MetaOptions.DEFAULT)
                            .orElseThrow()
                            .prompt())
                    .endsWith("ab cd");
            MetaReader.read(colons, MetaOptions.DEFAULT);
            assertThat(MetaReader.read(xmp, MetaOptions.DEFAULT)).isEmpty();
        });
    }

    @Test
    void aFileOfManyLargeTextChunksIsReadOnlyUpToTheBudget(@TempDir Path dir) throws Exception {
        // 64 chunks of 1 MiB of junk before the real one: reading stops at 32 MiB, the real one is never reached
        Path f = dir.resolve("many.png");
        try (java.io.OutputStream out = Files.newOutputStream(f)) {
            byte[] junk = chunk("tEXt", "junk\0" + "j".repeat(1024 * 1024));
            out.write(Png.SIGNATURE);
            out.write(chunk(
                    "IHDR",
                    ByteBuffer.allocate(13)
                            .putInt(1)
                            .putInt(1)
                            .put((byte) 8)
                            .put((byte) 6)
                            .array()));
            for (int i = 0; i < 64; i++) {
                out.write(junk);
            }
            out.write(chunk("tEXt", "parameters\0late\nSteps: 1, Seed: 2, Sampler: Euler"));
        }
        assertThat(MetaReader.read(f, MetaOptions.DEFAULT)).isEmpty();
    }

    @Test
    void aComfyGraphWhoseLinksFormACycleEnds() {
        String graph = "{\"1\":{\"class_type\":\"SaveImage\",\"inputs\":{\"images\":[\"2\",0]}},"
                + "\"2\":{\"class_type\":\"KSampler\",\"inputs\":{\"seed\":[\"3\",0],\"steps\":5,\"cfg\":7,"
                + "\"model\":[\"3\",0],\"positive\":[\"3\",0],\"negative\":[\"2\",0],\"latent_image\":[\"2\",0]}},"
                + "\"3\":{\"class_type\":\"Loop\",\"inputs\":{\"a\":[\"3\",0],\"b\":[\"2\",0],\"model\":[\"3\",0]}}}";
        ImageMeta m = assertTimeoutPreemptively(
                BATCH,
                () -> MetaReader.read(png(chunk("tEXt", "prompt\0" + graph)), MetaOptions.DEFAULT)
                        .orElseThrow());
        assertThat(m.tool()).isEqualTo("comfyui");
        assertThat(m.steps()).isEqualTo(5);
    }

    @Test
    void anExifIfdPointingAtItselfEnds() {
        // MM TIFF: IFD0 at 8 with one entry: ExifIFD pointer → 8 (itself); next IFD → 8
        ByteBuffer t = ByteBuffer.allocate(64);
        t.put("MM".getBytes(StandardCharsets.US_ASCII)).putShort((short) 42).putInt(8);
        t.putShort((short) 2);
        t.putShort((short) 0x8769).putShort((short) 4).putInt(1).putInt(8);
        t.putShort((short) 0x9286).putShort((short) 7).putInt(40).putInt(8); // UserComment over the IFD itself
        t.putInt(8);
        byte[] jpeg = jpeg(t.array());
        assertTimeoutPreemptively(BATCH, () -> MetaReader.read(jpeg, STEALTH));
        // and a count that runs past the segment
        ByteBuffer u = ByteBuffer.allocate(32);
        u.put("II".getBytes(StandardCharsets.US_ASCII))
                .put((byte) 42)
                .put((byte) 0)
                .putInt(Integer.reverseBytes(8));
        u.putShort(Short.reverseBytes((short) 1));
        u.putShort(Short.reverseBytes((short) 0x9286)).putShort(Short.reverseBytes((short) 7));
        u.putInt(Integer.reverseBytes(0x7fffffff)).putInt(Integer.reverseBytes(20));
        assertThat(MetaReader.read(jpeg(u.array()), STEALTH)).isEmpty();
    }

    @Test
    void aStealthImageClaimingBillionsOfPixelsIsNotDecoded() {
        byte[] ihdr = ByteBuffer.allocate(13)
                .putInt(100_000)
                .putInt(100_000)
                .put((byte) 8)
                .put((byte) 6)
                .array();
        byte[] png = png(ihdr, chunk("IDAT", new byte[] {0x78, 1}));
        assertTimeoutPreemptively(
                Duration.ofSeconds(2),
                () -> assertThat(MetaReader.read(png, STEALTH)).isEmpty());
    }

    @Test
    void aFifoAFolderAndALinkAreRefusedWithoutBlocking(@TempDir Path dir) throws Exception {
        Path fifo = dir.resolve("out.png");
        Process mk = new ProcessBuilder("mkfifo", fifo.toString()).start();
        assertThat(mk.waitFor()).isZero();
        Path link = Files.createSymbolicLink(
                dir.resolve("link.png"),
                Samples.file("a1111/sdparsers_automatic1111_cropped.png").toAbsolutePath());
        assertTimeoutPreemptively(Duration.ofSeconds(5), () -> {
            assertThat(MetaReader.read(fifo, MetaOptions.DEFAULT)).isEmpty();
            assertThat(MetaReader.read(dir, MetaOptions.DEFAULT)).isEmpty();
            assertThat(MetaReader.read(link, MetaOptions.DEFAULT)).isEmpty();
            assertThatThrownBy(() -> MetaReader.inspect(fifo, MetaOptions.DEFAULT))
                    .isInstanceOf(IOException.class)
                    .hasMessageContaining("out.png")
                    .hasMessageContaining("not a regular file");
            assertThatThrownBy(() -> MetaReader.inspect(dir, MetaOptions.DEFAULT))
                    .hasMessageContaining("a folder");
            assertThatThrownBy(() -> MetaReader.inspect(link, MetaOptions.DEFAULT))
                    .hasMessageContaining("symbolic link");
            assertThatThrownBy(() -> MetaReader.inspect(dir.resolve("missing.png"), MetaOptions.DEFAULT))
                    .isInstanceOf(java.nio.file.NoSuchFileException.class);
        });
    }

    // ---- small file builders

    static byte[] png(byte[]... chunks) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(Png.SIGNATURE);
        boolean ihdr = chunks.length > 0 && chunks[0].length == 13;
        if (ihdr) {
            out.writeBytes(chunk("IHDR", chunks[0]));
        } else {
            out.writeBytes(chunk(
                    "IHDR",
                    ByteBuffer.allocate(13)
                            .putInt(1)
                            .putInt(1)
                            .put((byte) 8)
                            .put((byte) 6)
                            .array()));
        }
        for (int i = ihdr ? 1 : 0; i < chunks.length; i++) {
            out.writeBytes(chunks[i]);
        }
        out.writeBytes(chunk("IEND", new byte[0]));
        return out.toByteArray();
    }

    static byte[] chunk(String type, String body) {
        return chunk(type, body.getBytes(StandardCharsets.UTF_8));
    }

    static byte[] chunk(String type, byte[] body) {
        ByteBuffer b = ByteBuffer.allocate(12 + body.length);
        byte[] t = type.getBytes(StandardCharsets.US_ASCII);
        b.putInt(body.length).put(t).put(body);
        CRC32 crc = new CRC32();
        crc.update(t);
        crc.update(body);
        b.putInt((int) crc.getValue());
        return b.array();
    }

    static byte[] jpeg(byte[] tiff) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(0xFF);
        out.write(0xD8);
        out.write(0xFF);
        out.write(0xE1);
        int len = 2 + 6 + tiff.length;
        out.write(len >> 8);
        out.write(len & 0xff);
        out.writeBytes("Exif\0\0".getBytes(StandardCharsets.US_ASCII));
        out.writeBytes(tiff);
        out.writeBytes(new byte[] {(byte) 0xFF, (byte) 0xD9});
        return out.toByteArray();
    }
}
