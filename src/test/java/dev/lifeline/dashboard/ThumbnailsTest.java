package dev.lifeline.dashboard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.lifeline.testing.TestTimes;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.zip.CRC32;
import java.util.zip.Deflater;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ThumbnailsTest {
    @TempDir
    Path tmp;

    /** A valid PNG header claiming {@code w}×{@code h} pixels, with a tiny (truncated) image stream. */
    static byte[] pngClaiming(int w, int h) throws Exception {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        DataOutputStream d = new DataOutputStream(b);
        d.write(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'});
        ByteArrayOutputStream ihdr = new ByteArrayOutputStream();
        DataOutputStream i = new DataOutputStream(ihdr);
        i.writeInt(w);
        i.writeInt(h);
        i.write(new byte[] {8, 2, 0, 0, 0});
        chunk(d, "IHDR", ihdr.toByteArray());
        Deflater z = new Deflater();
        z.setInput(new byte[1024]);
        z.finish();
        byte[] buf = new byte[2048];
        int n = z.deflate(buf);
        chunk(d, "IDAT", java.util.Arrays.copyOf(buf, n));
        chunk(d, "IEND", new byte[0]);
        return b.toByteArray();
    }

    private static void chunk(DataOutputStream d, String type, byte[] data) throws Exception {
        d.writeInt(data.length);
        byte[] t = type.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        d.write(t);
        d.write(data);
        CRC32 c = new CRC32();
        c.update(t);
        c.update(data);
        d.writeInt((int) c.getValue());
    }

    @Test
    void anImageWhoseHeaderClaimsTooManyPixelsIsRefusedBeforeDecoding() throws Exception {
        Path bomb = Files.write(tmp.resolve("bomb.png"), pngClaiming(50_000, 50_000)); // 2.5 gigapixels, 10 GB decoded

        assertThatThrownBy(() -> Thumbnails.render(bomb))
                .isInstanceOf(Thumbnails.Refused.class)
                .hasMessageContaining("megapixels");
        Path notImage = Files.writeString(tmp.resolve("x.txt"), "not an image");
        assertThatThrownBy(() -> Thumbnails.render(notImage)).isInstanceOf(Thumbnails.Refused.class);
    }

    @Test
    void aThumbnailIsMadeOnceOffTheCallersThreadAndCachedPrivately() throws Exception {
        BufferedImage img = new BufferedImage(2000, 1000, BufferedImage.TYPE_INT_RGB);
        ByteArrayOutputStream png = new ByteArrayOutputStream();
        ImageIO.write(img, "png", png);
        Path obj = Files.write(tmp.resolve("obj"), png.toByteArray());
        String sha = "ab".repeat(32);
        Path cache = tmp.resolve("thumbs");
        try (Thumbnails t = new Thumbnails(cache, s -> s.equals(sha) ? Optional.of(obj) : Optional.empty())) {
            assertThat(t.get(sha)).isInstanceOf(Thumbnails.Pending.class);
            await().atMost(TestTimes.SHORT).until(() -> t.get(sha) instanceof Thumbnails.Ready);
            byte[] jpeg = ((Thumbnails.Ready) t.get(sha)).jpeg();
            BufferedImage thumb = ImageIO.read(new ByteArrayInputStream(jpeg));
            assertThat(thumb.getWidth()).isEqualTo(320);
            assertThat(thumb.getHeight()).isEqualTo(160);
            assertThat(Files.getPosixFilePermissions(cache.resolve(sha + ".jpg")))
                    .containsExactlyInAnyOrderElementsOf(dev.lifeline.core.PrivateFiles.OWNER_ONLY);
            assertThat(t.get("cd".repeat(32))).isInstanceOf(Thumbnails.None.class);
            assertThat(t.get("../../etc/passwd")).isInstanceOf(Thumbnails.None.class);
        }
    }
}
