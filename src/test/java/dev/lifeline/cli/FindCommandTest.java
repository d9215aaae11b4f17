package dev.lifeline.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lifeline.testing.TestTimes;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.Random;
import java.util.Set;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The catalog through the real CLI and a real daemon: what the daemon's vault watcher stores is
 * findable, a kill -9 of the daemon loses nothing, and {@code find --restore-to} gives back the
 * exact bytes, deleted images too.
 */
class FindCommandTest {
    @TempDir
    Path tmp;

    @RegisterExtension
    final DaemonCli cli = DaemonCli.in(() -> tmp);

    static byte[] png(long seed) throws Exception {
        Random r = new Random(seed);
        BufferedImage img = new BufferedImage(16, 16, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 16; y++) {
            for (int x = 0; x < 16; x++) {
                img.setRGB(x, y, r.nextInt());
            }
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageIO.write(img, "png", out);
        return out.toByteArray();
    }

    Set<String> found(Path app, String query) throws Exception {
        DaemonCli.Result r = cli.run(app, "find", "--json", "--limit", "1000", query);
        Set<String> out = new HashSet<>();
        if (r.exit() != 0) {
            return out;
        }
        for (JsonNode h : new ObjectMapper().readTree(r.out()).path("hits")) {
            out.add(h.path("path").asText());
        }
        return out;
    }

    @Test
    void whatTheDaemonStoresIsFoundAndAKillDashNineOfTheDaemonLosesNothing() throws Exception {
        Path outputs = Files.createDirectories(tmp.resolve("outputs"));
        Path repo = tmp.resolve("repo");
        Path app = cli.backedUpApp(outputs, repo);
        cli.ok(app, "up");

        Files.write(outputs.resolve("first.png"), png(1));
        await().atMost(TestTimes.scaled(Duration.ofSeconds(20)))
                .pollInterval(Duration.ofMillis(300))
                .until(() -> found(app, "path: first.png").contains("outputs/first.png"));

        // a burst, and the daemon killed in the middle of it
        for (int i = 0; i < 30; i++) {
            Files.write(outputs.resolve("burst-" + i + ".png"), png(100 + i));
        }
        // killed once part of the burst is indexed: the rest is what the restarted daemon must catch up
        await().atMost(TestTimes.scaled(Duration.ofSeconds(20)))
                .pollInterval(Duration.ofMillis(50))
                .until(() -> found(app, "path: burst-0.png").contains("outputs/burst-0.png"));
        long daemon = cli.daemonPid().orElseThrow();
        ProcessHandle.of(daemon).orElseThrow().destroyForcibly();
        await().atMost(TestTimes.SHORT).until(() -> ProcessHandle.of(daemon).isEmpty());

        // while it is dead: a snapshot from the CLI, with a file the daemon never saw
        Files.write(outputs.resolve("while-dead.png"), png(7));
        cli.ok(app, "backup", "now", "--no-push");
        assertThat(found(app, "path: while-dead.png"))
                .as("not indexed while the daemon is dead")
                .isEmpty();

        cli.ok(app, "up");
        Set<String> stored = new HashSet<>();
        for (String line : cli.run(app, "backup", "ls", "latest").out().split("\n")) {
            if (line.endsWith(".png")) {
                stored.add(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        assertThat(stored).hasSize(32);
        await().atMost(TestTimes.scaled(Duration.ofSeconds(20)))
                .pollInterval(Duration.ofMillis(500))
                .untilAsserted(() -> assertThat(found(app, "path: *.png")).isEqualTo(stored));

        // the op the dashboard's GET /api/find calls
        JsonNode op = cli.client().call("catalog.find", java.util.Map.of("query", "path: burst-*", "limit", 5));
        assertThat(op.path("hits")).hasSize(5);
        assertThat(op.path("total").asLong()).isEqualTo(30);
        assertThat(op.path("hits").get(0).path("repository").asText()).isEqualTo(repo.toString());
        assertThat(op.path("hits").get(0).path("sha256").asText()).hasSize(64);
        assertThat(op.path("facets").path("day").size()).isEqualTo(1);

        DaemonCli.Result status = cli.run(app, "catalog", "status");
        assertThat(status.out()).as(status.toString()).contains("32 images").contains("last indexed 20");
    }

    @Test
    void findRestoreToGivesBackTheExactBytesOfLiveAndDeletedImages() throws Exception {
        Path outputs = Files.createDirectories(tmp.resolve("outputs"));
        Path repo = tmp.resolve("repo");
        Path app = cli.backedUpApp(outputs, repo);
        byte[] kept = png(1);
        byte[] gone = png(2);
        Files.createDirectories(outputs.resolve("portraits"));
        Files.write(outputs.resolve("portraits/kept [1].png"), kept);
        Files.write(outputs.resolve("portraits/gone.png"), gone);
        Files.write(outputs.resolve("other.png"), png(3));
        assertThat(cli.run(app, "backup", "now", "--no-push").exit()).isZero();
        Files.delete(outputs.resolve("portraits/gone.png"));
        assertThat(cli.run(app, "backup", "now", "--no-push").exit()).isZero();
        DaemonCli.Result rb = cli.run(app, "catalog", "rebuild");
        assertThat(rb.exit()).as(rb.toString()).isZero();
        assertThat(rb.out()).contains("3 images from 2 snapshots");

        Path dir = tmp.resolve("back");
        DaemonCli.Result r = cli.run(app, "find", "path: */portraits/*", "--restore-to", dir.toString());
        assertThat(r.exit()).as(r.toString()).isZero();
        assertThat(r.out()).contains("outputs/portraits/gone.png  (deleted)");
        assertThat(r.err()).contains("restored 2 files").contains("from 2 snapshots");
        assertThat(Files.readAllBytes(dir.resolve("outputs/portraits/kept [1].png")))
                .isEqualTo(kept);
        assertThat(Files.readAllBytes(dir.resolve("outputs/portraits/gone.png")))
                .isEqualTo(gone);
        assertThat(dir.resolve("outputs/other.png")).doesNotExist();
    }

    @Test
    void aBadQueryGetsItsErrorAndTheRightFormAndNothingMatchingExitsOne() throws Exception {
        Path outputs = Files.createDirectories(tmp.resolve("outputs"));
        Path app = cli.backedUpApp(outputs, tmp.resolve("repo"));
        Files.write(outputs.resolve("a.png"), png(1));
        assertThat(cli.run(app, "backup", "now", "--no-push").exit()).isZero();
        assertThat(cli.run(app, "catalog", "rebuild").exit()).isZero();
        DaemonCli.Result bad = cli.run(app, "find", "steps: many");
        assertThat(bad.exit()).isEqualTo(1);
        assertThat(bad.err())
                .contains("lifeline: 'steps:' at column 1 got 'many'")
                .contains("→ write it as steps: 20 or steps: 10-30");
        DaemonCli.Result none = cli.run(app, "find", "path: nothing-like-this");
        assertThat(none.exit()).isEqualTo(1);
        assertThat(none.err()).contains("no stored image matches");
        assertThat(cli.run(app, "find").out()).contains("outputs/a.png");
    }
}
