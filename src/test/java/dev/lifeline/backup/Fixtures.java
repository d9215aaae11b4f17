package dev.lifeline.backup;

import dev.lifeline.config.BackupSpec;
import dev.lifeline.core.Event;
import dev.lifeline.core.EventListener;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import javax.imageio.ImageIO;

/** Shared test data and deadlines. Deadlines scale with -Dlifeline.test.timeScale for slow machines. */
final class Fixtures {
    private Fixtures() {}

    static Duration scaled(Duration d) {
        return dev.lifeline.testing.TestTimes.scaled(d);
    }

    /** A real, decodable PNG with noisy pixels, so every one is unique. */
    static byte[] png(int side, long seed) {
        Random r = new Random(seed);
        BufferedImage img = new BufferedImage(side, side, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < side; y++) {
            for (int x = 0; x < side; x++) {
                img.setRGB(x, y, r.nextInt());
            }
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            ImageIO.write(img, "png", out);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return out.toByteArray();
    }

    static byte[] random(int size, long seed) {
        byte[] b = new byte[size];
        new Random(seed).nextBytes(b);
        return b;
    }

    static Path write(Path file, byte[] data) throws IOException {
        Files.createDirectories(file.getParent());
        return Files.write(file, data);
    }

    /** An outputs folder with {@code n} PNGs in two date folders. */
    static void outputs(Path dir, int n, long seed) throws IOException {
        for (int i = 0; i < n; i++) {
            write(
                    dir.resolve((i % 2 == 0 ? "2026-01-05" : "2026-01-06") + "/img_" + seed + "_" + i + ".png"),
                    png(24, seed * 1000 + i));
        }
    }

    static BackupSpec spec(Path repo, Path... sources) {
        return BackupSpec.of(repo, List.of(sources));
    }

    static Vault vault(BackupSpec spec, EventListener events) {
        return new Vault(spec, events, Clock.systemUTC(), ObjectStore.WriteHook.NONE, Remote.Factory.S3, Map.of());
    }

    static Vault vault(BackupSpec spec) {
        return vault(spec, EventListener.NONE);
    }

    /** Collects events for assertions. */
    static class Recorder implements EventListener {
        final List<Event> events = new CopyOnWriteArrayList<>();

        @Override
        public void onEvent(Event e) {
            events.add(e);
        }

        long count(String type) {
            return events.stream().filter(e -> e.type().equals(type)).count();
        }
    }

    /**
     * Starts an in-process S3 server (S3Proxy on 127.0.0.1, an ephemeral port) holding these
     * empty buckets, with the test credentials, and waits until it serves.
     */
    static org.gaul.s3proxy.S3Proxy s3(String... buckets) throws Exception {
        org.gaul.s3proxy.nio2blob.TransientNio2BlobStore store = new org.gaul.s3proxy.nio2blob.TransientNio2BlobStore();
        for (String b : buckets) {
            store.createContainer(b);
        }
        org.gaul.s3proxy.S3Proxy proxy = org.gaul.s3proxy.S3Proxy.builder()
                .blobStore(store)
                .endpoint(java.net.URI.create("http://127.0.0.1:0"))
                .awsAuthentication(
                        org.gaul.s3proxy.auth.AuthenticationType.AWS_V2_OR_V4, S3MirrorTest.ACCESS, S3MirrorTest.SECRET)
                .build();
        proxy.start();
        org.awaitility.Awaitility.await()
                .atMost(scaled(Duration.ofSeconds(20)))
                .until(() -> "STARTED".equals(proxy.getState()));
        return proxy;
    }

    static java.net.URI endpoint(org.gaul.s3proxy.S3Proxy proxy) {
        return java.net.URI.create("http://127.0.0.1:" + proxy.getPort());
    }
}
