package dev.lifeline.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lifeline.testing.TestTimes;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.io.RandomAccessFile;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** What a user who loses things sees: the commands that get files back after a dead disk, bit rot or a broken manifest. */
class BackupRecoveryTest {
    @TempDir
    Path tmp;

    record Run(int status, String out, String err) {}

    Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cl = Main.commandLine(args);
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        cl.setExecutionExceptionHandler((e, c, p) -> {
            c.getErr().println("lifeline: " + e.getMessage());
            if (e instanceof dev.lifeline.core.LifelineException le && le.hint() != null) {
                c.getErr().println("  → " + le.hint());
            }
            return 1;
        });
        int status = cl.execute(args);
        return new Run(status, out.toString(), err.toString());
    }

    static byte[] random(int size, long seed) {
        byte[] b = new byte[size];
        new Random(seed).nextBytes(b);
        return b;
    }

    static String sha(byte[] data) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
    }

    Path object(String sha) {
        return tmp.resolve("vault/objects/" + sha.substring(0, 2) + "/" + sha);
    }

    String config(String extra) throws IOException {
        Files.createDirectories(tmp.resolve("outputs"));
        return Files.writeString(
                        tmp.resolve("lifeline.yaml"),
                        "backup:\n  repository: ./vault\n  sources: [./outputs]\n" + extra)
                .toString();
    }

    @Test
    void anImageTheWatcherStoredIsRestorableAtOnceEvenIfTheDiskDiesBeforeTheNextSnapshot() throws Exception {
        String c = config("  schedule: 1h\n  watch: { quiet: 200ms }\n");
        byte[] first = random(30_000, 1);
        Files.write(tmp.resolve("outputs/first.png"), first);
        assertThat(run("-c", c, "backup", "now", "-q").status()).isZero();

        Process watch = new ProcessBuilder(
                        ProcessHandle.current().info().command().orElse("java"),
                        "-XX:TieredStopAtLevel=1",
                        "-XX:+UseSerialGC",
                        "-cp",
                        System.getProperty("java.class.path"),
                        Main.class.getName(),
                        "-c",
                        c,
                        "backup",
                        "watch")
                .redirectError(ProcessBuilder.Redirect.DISCARD)
                .start();
        List<String> lines = new CopyOnWriteArrayList<>();
        Thread reader = new Thread(
                () -> {
                    try (BufferedReader r =
                            new BufferedReader(new InputStreamReader(watch.getInputStream(), StandardCharsets.UTF_8))) {
                        for (String line = r.readLine(); line != null; line = r.readLine()) {
                            lines.add(line);
                        }
                    } catch (IOException e) {
                        // the watcher was killed
                    }
                },
                "watch-output");
        reader.start();
        byte[] generated = random(50_000, 2);
        try {
            Files.write(tmp.resolve("outputs/generated.png"), generated);
            Awaitility.await()
                    .atMost(TestTimes.scaled(Duration.ofSeconds(20)))
                    .until(() -> lines.stream().anyMatch(l -> l.startsWith("stored ") && l.endsWith("generated.png")));
        } finally {
            watch.destroyForcibly(); // the machine dies ten minutes after generating: no snapshot was cut
            assertThat(watch.waitFor(TestTimes.scaled(Duration.ofSeconds(20)).toSeconds(), TimeUnit.SECONDS))
                    .isTrue();
            reader.join(TestTimes.scaled(Duration.ofSeconds(10)).toMillis());
        }
        try (var walk = Files.walk(tmp.resolve("outputs"))) { // the disk died
            for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }

        Run snapshots = run("-c", c, "backup", "snapshots");
        assertThat(snapshots.out()).containsPattern("pending .* 2 .*'latest' includes them");
        JsonNode json = new ObjectMapper()
                .readTree(run("-c", c, "backup", "snapshots", "--json").out());
        assertThat(json).hasSize(2);
        assertThat(json.get(1).get("status").asText()).isEqualTo("pending");
        assertThat(json.get(1).get("parent").asText())
                .isEqualTo(json.get(0).get("id").asText());

        assertThat(run("-c", c, "backup", "ls", "latest").out())
                .contains("outputs/first.png")
                .contains("outputs/generated.png");
        Run restore = run(
                "-c",
                c,
                "backup",
                "restore",
                "latest",
                "--to",
                tmp.resolve("back").toString());
        assertThat(restore.status()).as(restore.err()).isZero();
        assertThat(restore.out()).contains("restored 2 files").contains("the files stored since (pending)");
        assertThat(tmp.resolve("back/outputs/generated.png")).hasBinaryContent(generated);
        assertThat(tmp.resolve("back/outputs/first.png")).hasBinaryContent(first);
    }

    @Test
    void oneBadObjectDoesNotBlockARestoreAndRepairStoresItAgainFromTheSource() throws Exception {
        String c = config("");
        byte[] a = random(40_000, 1);
        byte[] b = random(40_000, 2); // same size as a: repair must pick the file that hashes right
        byte[] cc = random(10_000, 3);
        Files.write(tmp.resolve("outputs/a.png"), a);
        Files.write(tmp.resolve("outputs/b.png"), b);
        Files.write(tmp.resolve("outputs/c.png"), cc);
        assertThat(run("-c", c, "backup", "now", "-q").status()).isZero();
        String s1 = new ObjectMapper()
                .readTree(run("-c", c, "backup", "snapshots", "--json").out())
                .get(0)
                .get("id")
                .asText();
        byte[] d = random(5_000, 4);
        Files.write(tmp.resolve("outputs/d.png"), d);
        assertThat(run("-c", c, "backup", "now", "-q").status()).isZero();
        String s2 = new ObjectMapper()
                .readTree(run("-c", c, "backup", "snapshots", "--json").out())
                .get(1)
                .get("id")
                .asText();

        Files.delete(object(sha(a))); // lost
        Path rotten = object(sha(b)); // bit rot
        rotten.toFile().setWritable(true);
        try (RandomAccessFile raf = new RandomAccessFile(rotten.toFile(), "rw")) {
            raf.seek(1000);
            int x = raf.read();
            raf.seek(1000);
            raf.write(x ^ 0x10);
        }

        Path back = tmp.resolve("back");
        Run broken = run("-c", c, "backup", "restore", "latest", "--to", back.toString());
        assertThat(broken.status()).as("a restore that missed files fails").isEqualTo(1);
        assertThat(broken.out())
                .containsPattern("not restored: outputs/a.png: object missing .*needed by " + s1 + ", " + s2)
                .containsPattern("not restored: outputs/b.png: object corrupt");
        assertThat(broken.err()).contains("2 files of snapshot").contains("lifeline backup repair");
        assertThat(back.resolve("outputs/c.png")).hasBinaryContent(cc);
        assertThat(back.resolve("outputs/d.png")).hasBinaryContent(d);
        assertThat(back.resolve("outputs/a.png")).doesNotExist();
        assertThat(back.resolve("outputs/b.png")).doesNotExist();
        assertThat(run("-c", c, "backup", "verify").err()).contains("lifeline backup repair");

        Run repair = run("-c", c, "backup", "repair");
        assertThat(repair.status()).as(repair.out() + repair.err()).isZero();
        assertThat(repair.out())
                .contains("repaired missing object " + sha(a))
                .contains("repaired corrupt object " + sha(b))
                .contains("2 repaired, 0 left");
        assertThat(run("-c", c, "backup", "verify", "--read-data").status()).isZero();

        Run resumed = run("-c", c, "backup", "restore", "latest", "--to", back.toString());
        assertThat(resumed.status()).as(resumed.err()).isZero();
        assertThat(resumed.out()).contains("restored 2 files").contains("2 already there, kept");
        assertThat(back.resolve("outputs/a.png")).hasBinaryContent(a);
        assertThat(back.resolve("outputs/b.png")).hasBinaryContent(b);

        // gone from the source too: repair says so, and where else to look
        Files.delete(tmp.resolve("outputs/a.png"));
        Files.delete(object(sha(a)));
        Run hopeless = run("-c", c, "backup", "repair");
        assertThat(hopeless.status()).isEqualTo(1);
        assertThat(hopeless.out()).contains("still missing: object " + sha(a)).contains(s1 + ":outputs/a.png");
        assertThat(hopeless.err()).contains("--from remote");
    }

    @Test
    void aCorruptNewestManifestIsNoParentAndIsMarked() throws Exception {
        String c = config("");
        Files.write(tmp.resolve("outputs/a.png"), random(3_000, 1));
        Files.write(tmp.resolve("outputs/b.png"), random(3_000, 2));
        assertThat(run("-c", c, "backup", "now", "-q").status()).isZero();
        Files.write(tmp.resolve("outputs/c.png"), random(3_000, 3));
        assertThat(run("-c", c, "backup", "now", "-q").status()).isZero();
        JsonNode before = new ObjectMapper()
                .readTree(run("-c", c, "backup", "snapshots", "--json").out());
        String s1 = before.get(0).get("id").asText();
        String s2 = before.get(1).get("id").asText();
        Path m2 = tmp.resolve("vault/snapshots/" + s2 + ".json");
        byte[] whole = Files.readAllBytes(m2);
        m2.toFile().setWritable(true);
        Files.write(m2, java.util.Arrays.copyOf(whole, whole.length - 60)); // its file list cut short

        assertThat(run("-c", c, "backup", "snapshots").out()).containsPattern(s2 + " .*CORRUPT");
        Run restore = run(
                "-c",
                c,
                "backup",
                "restore",
                "latest",
                "--to",
                tmp.resolve("r1").toString());
        assertThat(restore.status()).as(restore.err()).isZero();
        assertThat(restore.err())
                .contains(s2)
                .contains("cannot be read; latest is " + s1)
                .doesNotContain("consistent");
        assertThat(restore.out()).contains("restored 2 files");
        Run explicit =
                run("-c", c, "backup", "restore", s2, "--to", tmp.resolve("r0").toString());
        assertThat(explicit.status()).isEqualTo(1);
        assertThat(explicit.err())
                .contains("snapshot " + s2 + " cannot be read")
                .contains("--from remote")
                .doesNotContain("consistent");

        Run next = run("-c", c, "backup", "now"); // nothing changed in the sources since s2
        assertThat(next.status()).as(next.err()).isZero();
        assertThat(next.out()).startsWith("snapshot ").contains("3 files");
        assertThat(next.err()).contains(s2).contains("not used as a parent");
        JsonNode after = new ObjectMapper()
                .readTree(run("-c", c, "backup", "snapshots", "--json").out());
        assertThat(after).hasSize(3);
        assertThat(after.get(1).get("status").asText()).isEqualTo("corrupt");
        assertThat(after.get(2).get("status").asText()).isEqualTo("ok");
        assertThat(after.get(2).get("files").asInt()).isEqualTo(3);
        assertThat(after.get(2).get("parent").asText()).isEqualTo(s1);
        assertThat(run(
                                "-c",
                                c,
                                "backup",
                                "restore",
                                "latest",
                                "--to",
                                tmp.resolve("r2").toString())
                        .status())
                .isZero();
        assertThat(tmp.resolve("r2/outputs/c.png")).exists();
        assertThat(run("-c", c, "backup", "now").out()).startsWith("no changes since snapshot");

        // garbage where the newest manifest was: not even its head reads
        String s3 = after.get(2).get("id").asText();
        Path m3 = tmp.resolve("vault/snapshots/" + s3 + ".json");
        m3.toFile().setWritable(true);
        Files.writeString(m3, "\u0000\u0000garbage");
        assertThat(run("-c", c, "backup", "snapshots").out()).containsPattern(s3 + " .*\\?.*CORRUPT");
        Run again = run("-c", c, "backup", "now");
        assertThat(again.out()).startsWith("snapshot ").contains("3 files");
        assertThat(again.err()).contains(s3).contains("not used as a parent");
        // noticed once: the complete snapshot written is the latest now; a stray file is not a snapshot at all
        Files.writeString(tmp.resolve("vault/snapshots/notes.json"), "my notes");
        assertThat(run("-c", c, "backup", "now").out()).startsWith("no changes since snapshot");
    }
}
