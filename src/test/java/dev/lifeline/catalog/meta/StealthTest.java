package dev.lifeline.catalog.meta;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Random;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;

/**
 * Stealth payloads in the four layouts, written the way the A1111 extension writes them: magic,
 * 32-bit bit length, payload, in the low bits of alpha or of R, G, B, column by column. The
 * pixels are filtered with every PNG filter so the decoder's unfiltering is exercised.
 */
class StealthTest {
    private static final MetaOptions STEALTH = new MetaOptions(true, Map.of());
    private static final String INFOTEXT =
            "a red kite\nNegative prompt: fog\nSteps: 12, Sampler: Euler, Seed: 777," + " CFG scale: 4, Size: 40x30";

    @Test
    void alphaPlainAndCompressed() throws Exception {
        for (boolean gz : new boolean[] {false, true}) {
            byte[] png = stealthPng(40, 30, true, gz ? "stealth_pngcomp" : "stealth_pnginfo", payload(gz, INFOTEXT));
            ImageMeta m = MetaReader.read(png, STEALTH).orElseThrow();
            assertThat(m.prompt()).isEqualTo("a red kite");
            assertThat(m.seed()).isEqualTo(777L);
            assertThat(MetaReader.read(png, MetaOptions.DEFAULT)).isEmpty();
        }
    }

    @Test
    void rgbPlainAndCompressedInAnImageWithoutAlpha() throws Exception {
        for (boolean gz : new boolean[] {false, true}) {
            byte[] png = stealthPng(40, 30, false, gz ? "stealth_rgbcomp" : "stealth_rgbinfo", payload(gz, INFOTEXT));
            assertThat(MetaReader.read(png, STEALTH).orElseThrow().negative()).isEqualTo("fog");
        }
    }

    @Test
    void novelAiStealthJsonCarriesItsTextEntries() throws Exception {
        String json =
                "{\"Software\": \"NovelAI\", \"Description\": \"a lighthouse\", \"Source\": \"NovelAI Diffusion V4"
                        + " 4BDE2A90\", \"Comment\": \"{\\\"steps\\\": 23, \\\"scale\\\": 5.0, \\\"seed\\\": 9, \\\"sampler\\\":"
                        + " \\\"k_euler\\\", \\\"uc\\\": \\\"lowres\\\"}\"}";
        ImageMeta m = MetaReader.read(stealthPng(60, 60, true, "stealth_pngcomp", payload(true, json)), STEALTH)
                .orElseThrow();
        assertThat(m.tool()).isEqualTo("novelai");
        assertThat(m.prompt()).isEqualTo("a lighthouse");
        assertThat(m.steps()).isEqualTo(23);
        assertThat(m.negative()).isEqualTo("lowres");
    }

    @Test
    void aWrongMagicOrALengthPastThePixelsIsNothing() throws Exception {
        assertThat(MetaReader.read(stealthPng(40, 30, true, "stealth_nothing", payload(false, INFOTEXT)), STEALTH))
                .isEmpty();
        byte[] lie = stealthPng(40, 30, true, "stealth_pnginfo", payload(false, INFOTEXT), 1 << 30);
        assertThat(MetaReader.read(lie, STEALTH)).isEmpty();
    }

    private static byte[] payload(boolean gz, String text) throws Exception {
        byte[] b = text.getBytes(StandardCharsets.UTF_8);
        if (!gz) {
            return b;
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream z = new GZIPOutputStream(out)) {
            z.write(b);
        }
        return out.toByteArray();
    }

    static byte[] stealthPng(int w, int h, boolean alpha, String magic, byte[] payload) {
        return stealthPng(w, h, alpha, magic, payload, payload.length * 8);
    }

    static byte[] stealthPng(int w, int h, boolean alpha, String magic, byte[] payload, int lengthBits) {
        ByteArrayOutputStream msg = new ByteArrayOutputStream();
        msg.writeBytes(magic.getBytes(StandardCharsets.US_ASCII));
        msg.writeBytes(ByteBuffer.allocate(4).putInt(lengthBits).array());
        msg.writeBytes(payload);
        byte[] bits = msg.toByteArray();
        int bpp = alpha ? 4 : 3;
        byte[][] px = new byte[h][w * bpp];
        Random random = new Random(3);
        for (byte[] row : px) {
            random.nextBytes(row);
        }
        int perPixel = alpha ? 1 : 3;
        long capacity = (long) w * h * perPixel;
        if (bits.length * 8L > capacity) {
            throw new IllegalArgumentException("image too small for the payload");
        }
        for (int k = 0; k < capacity; k++) {
            int bit = k < bits.length * 8 ? (bits[k / 8] >> (7 - k % 8)) & 1 : random.nextInt(2);
            int pixel = k / perPixel;
            int x = pixel / h; // column-major
            int y = pixel % h;
            int channel = alpha ? 3 : k % 3;
            int i = x * bpp + channel;
            px[y][i] = (byte) ((px[y][i] & ~1) | bit);
        }
        ByteArrayOutputStream raw = new ByteArrayOutputStream();
        byte[] prior = new byte[w * bpp];
        for (int y = 0; y < h; y++) {
            int filter = y % 5;
            raw.write(filter);
            raw.writeBytes(filter(filter, px[y], prior, bpp));
            prior = px[y];
        }
        byte[] ihdr = ByteBuffer.allocate(13)
                .putInt(w)
                .putInt(h)
                .put((byte) 8)
                .put((byte) (alpha ? 6 : 2))
                .array();
        return HostileFilesTest.png(ihdr, HostileFilesTest.chunk("IDAT", TestImages.deflate(raw.toByteArray())));
    }

    private static byte[] filter(int f, byte[] row, byte[] prior, int bpp) {
        byte[] out = new byte[row.length];
        for (int i = 0; i < row.length; i++) {
            int a = i >= bpp ? row[i - bpp] & 0xff : 0;
            int b = prior[i] & 0xff;
            int c = i >= bpp ? prior[i - bpp] & 0xff : 0;
            int p = switch (f) {
                case 0 -> 0;
                case 1 -> a;
                case 2 -> b;
                case 3 -> (a + b) >> 1;
                default -> paeth(a, b, c);
            };
            out[i] = (byte) ((row[i] & 0xff) - p);
        }
        return out;
    }

    private static int paeth(int a, int b, int c) {
        int p = a + b - c;
        int pa = Math.abs(p - a);
        int pb = Math.abs(p - b);
        int pc = Math.abs(p - c);
        return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
    }
}
