package dev.lifeline.backup;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lifeline.core.Event;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** What the vault takes in: never through a link, never stuck on a FIFO, kept private. */
class VaultIntakeTest {
    @TempDir
    Path tmp;

    Path src() {
        return tmp.resolve("outputs");
    }

    Path repo() {
        return tmp.resolve("repo");
    }

    /** Every object's SHA-256 in the repository. */
    Set<String> objects() throws IOException {
        Set<String> out = new HashSet<>();
        try (Stream<Path> s = Files.walk(repo().resolve("objects"))) {
            s.filter(Files::isRegularFile).forEach(p -> out.add(p.getFileName().toString()));
        }
        return out;
    }

    static String sha(byte[] data) {
        return ObjectStore.hex(ObjectStore.sha256().digest(data));
    }

    static void mkfifo(Path p) throws Exception {
        Process pr = new ProcessBuilder("mkfifo", p.toString()).inheritIO().start();
        assertThat(pr.waitFor(10, TimeUnit.SECONDS)).isTrue();
        assertThat(pr.exitValue()).isZero();
    }

    /** Atomically puts {@code replacement} (a hard link to it) at {@code at}, so that {@code at} always exists. */
    static void swapIn(Path at, Path replacement, Path scratch) throws IOException {
        Files.deleteIfExists(scratch);
        if (Files.isSymbolicLink(replacement)) {
            Files.createSymbolicLink(scratch, Files.readSymbolicLink(replacement));
        } else {
            Files.createLink(scratch, replacement);
        }
        Files.move(scratch, at, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    /**
     * A service swaps files of its outputs for links to a secret (and a folder for a link to the
     * secret's folder) while backups run; each round touches the files so that every backup reads
     * them again. Never may an object hold the secret.
     */
    @Test
    @Timeout(value = 300, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void aLinkSwappedInBetweenScanAndOpenIsNeverFollowed() throws Exception {
        Path secrets = Files.createDirectories(tmp.resolve("etc"));
        Path aside = Files.createDirectories(tmp.resolve("aside"));
        int n = 24;
        Set<String> secretShas = new HashSet<>();
        List<Path> files = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            byte[] secret = ("root:SECRET-" + i + ":19000:0:99999:7:::\n").getBytes(StandardCharsets.UTF_8);
            Files.write(secrets.resolve("f" + i + ".txt"), secret);
            secretShas.add(sha(secret));
            Path f = Fixtures.write(
                    src().resolve("sub/f" + i + ".txt"), ("image data " + i).getBytes(StandardCharsets.UTF_8));
            files.add(f);
            Files.createLink(aside.resolve("real" + i), f);
            Files.createSymbolicLink(aside.resolve("link" + i), secrets.resolve("f" + i + ".txt"));
        }
        Files.createSymbolicLink(aside.resolve("sublink"), secrets);
        Path realSub = src().resolve("sub");
        Vault v = Fixtures.vault(Fixtures.spec(repo(), src()));
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong swaps = new AtomicLong();
        Thread racer = new Thread(() -> {
            for (int k = 0; !stop.get() && k < 50_000_000; k++) {
                try {
                    int i = k % n;
                    swapIn(files.get(i), aside.resolve("link" + i), aside.resolve("scratch"));
                    swapIn(files.get(i), aside.resolve("real" + i), aside.resolve("scratch"));
                    if (k % 16 == 0) { // the whole folder for a link to the secrets' folder, and back
                        Files.move(realSub, aside.resolve("sub-real"), StandardCopyOption.ATOMIC_MOVE);
                        Files.createSymbolicLink(realSub, secrets);
                        Thread.onSpinWait();
                        Files.delete(realSub);
                        Files.move(aside.resolve("sub-real"), realSub, StandardCopyOption.ATOMIC_MOVE);
                    }
                    swaps.incrementAndGet();
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }
        });
        racer.start();
        try {
            for (int round = 0; round < 60; round++) {
                for (int i = 0; i < n; i++) {
                    Files.setLastModifiedTime(
                            aside.resolve("real" + i),
                            java.nio.file.attribute.FileTime.fromMillis(1_700_000_000_000L + round * 1000L + i));
                }
                v.backup();
            }
        } finally {
            stop.set(true);
            racer.join(10_000);
        }
        assertThat(swaps.get()).as("the racer ran").isGreaterThan(60);
        assertThat(objects())
                .as("no object holds a secret read through a link")
                .doesNotContainAnyElementsOf(secretShas);
        for (FileEntry e : v.ls("latest", "")) {
            if (e.link() == null) {
                assertThat(secretShas).doesNotContain(e.sha256());
            }
        }
    }

    /** A FIFO where the scan saw a regular file: staging it gives up promptly and names it. */
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void aFifoSwappedInIsSkippedWithAWarningInsteadOfHanging() throws Exception {
        Files.createDirectories(src());
        Path fifo = src().resolve("image.png");
        mkfifo(fifo);
        Vault v = Fixtures.vault(Fixtures.spec(repo(), src()));
        Fixtures.Recorder rec = new Fixtures.Recorder();
        // what the scan recorded a moment before the swap: a regular file of 100 bytes
        Scanner.Scanned seen = new Scanner.Scanned("outputs/image.png", fifo, 100, 1, 0644, null, src());
        long t0 = System.nanoTime();
        v.repository().store().cleanTmp();
        assertThat(v.repository().store().stage(seen, rec)).isNull();
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Fixtures.scaled(Duration.ofSeconds(5)));
        assertThat(rec.events)
                .filteredOn(e -> e.type().equals("skipped"))
                .singleElement()
                .satisfies(e -> assertThat(e.message()).contains(fifo.toString()))
                .satisfies(e -> assertThat(e.level()).isEqualTo(Event.Level.WARN));
        v.repository().store().releaseFolders();
    }

    /**
     * A FIFO swapped in for a file and then moved out of the outputs while the backup's open waits
     * on it (so no open by name can meet it): the batch gives that file up after {@link
     * SafeOpen#GIVE_UP}, warns once, and stores the others, even on a one-thread pool whose only
     * thread stays stuck in the kernel.
     */
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void aFifoMovedAwayWhileItsOpenWaitsIsGivenUpAndTheRestIsStored() throws Exception {
        Files.createDirectories(src());
        Path aside = Files.createDirectories(tmp.resolve("aside"));
        Path a = Fixtures.write(src().resolve("a.png"), Fixtures.png(8, 1));
        Path fifo = src().resolve("b.png");
        mkfifo(fifo);
        Path c = Fixtures.write(src().resolve("c.png"), Fixtures.png(8, 3));
        Fixtures.Recorder rec = new Fixtures.Recorder();
        Vault v = Fixtures.vault(Fixtures.spec(repo(), src()), rec);
        v.repository().store().cleanTmp();
        // what the scan recorded a moment before the swap: three regular files
        List<Scanner.Scanned> seen = List.of(
                new Scanner.Scanned("outputs/a.png", a, Files.size(a), 1, 0644, null, src()),
                new Scanner.Scanned("outputs/b.png", fifo, 100, 1, 0644, null, src()),
                new Scanner.Scanned("outputs/c.png", c, Files.size(c), 1, 0644, null, src()));
        java.util.concurrent.ExecutorService pool = v.pool("test", 1);
        Thread mover = new Thread(() -> {
            org.awaitility.Awaitility.await()
                    .atMost(Fixtures.scaled(Duration.ofSeconds(10)))
                    .pollInterval(Duration.ofMillis(10))
                    .until(VaultIntakeTest::aThreadWaitsOnAFifo);
            try {
                Files.move(fifo, aside.resolve("fifo"));
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        mover.start();
        BackupRun run = new BackupRun(
                v.repository(),
                new Scanner(Map.of("outputs", src()), List.of(), rec),
                rec,
                java.time.Clock.systemUTC(),
                pool);
        List<FileEntry> stored;
        try {
            stored = run.storeBatch(seen, new long[2]);
        } finally {
            mover.join(10_000);
            // let the stuck thread go: a writer meets its open
            Thread writer = new Thread(() -> {
                try {
                    Files.newOutputStream(aside.resolve("fifo")).close();
                } catch (IOException ignored) {
                    // nobody waits any more
                }
            });
            writer.setDaemon(true);
            writer.start();
            writer.join(5_000);
            pool.shutdownNow();
            v.repository().store().releaseFolders();
        }
        assertThat(stored).extracting(FileEntry::path).containsExactly("outputs/a.png", "outputs/c.png");
        assertThat(rec.events)
                .filteredOn(e -> e.type().equals("skipped"))
                .singleElement()
                .satisfies(
                        e -> assertThat(e.message()).contains(fifo.toString()).contains("did not open"));
    }

    /** Whether a thread of this JVM is blocked opening a FIFO that has no writer. */
    static boolean aThreadWaitsOnAFifo() {
        try (Stream<Path> tasks = Files.list(Path.of("/proc/self/task"))) {
            return tasks.anyMatch(t -> {
                try {
                    return Files.readString(t.resolve("wchan")).contains("wait_for_partner");
                } catch (IOException gone) {
                    return false;
                }
            });
        } catch (IOException e) {
            return false;
        }
    }

    /** FIFOs swapped in for files during many backups: every backup ends, no FIFO is stored. */
    @Test
    @Timeout(value = 300, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void backupsNeverHangOnFifosSwappedInWhileTheyRun() throws Exception {
        Path aside = Files.createDirectories(tmp.resolve("aside"));
        int n = 16;
        List<Path> files = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Path f = Fixtures.write(src().resolve("f" + i + ".png"), Fixtures.png(8, i));
            files.add(f);
            Files.createLink(aside.resolve("real" + i), f);
        }
        mkfifo(aside.resolve("fifo"));
        Fixtures.Recorder rec = new Fixtures.Recorder();
        Vault v = Fixtures.vault(Fixtures.spec(repo(), src()), rec);
        AtomicBoolean stop = new AtomicBoolean();
        Thread racer = new Thread(() -> {
            for (int k = 0; !stop.get() && k < 50_000_000; k++) {
                try {
                    int i = k % n;
                    swapIn(files.get(i), aside.resolve("fifo"), aside.resolve("scratch"));
                    swapIn(files.get(i), aside.resolve("real" + i), aside.resolve("scratch"));
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }
        });
        racer.start();
        try {
            for (int round = 0; round < 40; round++) {
                for (int i = 0; i < n; i++) {
                    Files.setLastModifiedTime(
                            aside.resolve("real" + i),
                            java.nio.file.attribute.FileTime.fromMillis(1_700_000_000_000L + round * 1000L + i));
                }
                v.backup();
            }
        } finally {
            stop.set(true);
            racer.join(10_000);
        }
        for (Event e : rec.events) {
            if (e.type().equals("skipped")) {
                assertThat(e.message())
                        .containsAnyOf(files.stream().map(Path::toString).toArray(String[]::new));
            }
        }
        assertThat(sha(new byte[0]))
                .as("nothing was stored as the empty content a FIFO gives")
                .isNotIn(objects());
    }

    @Test
    void theRepositoryIsPrivateToItsOwner() throws Exception {
        Fixtures.outputs(src(), 4, 1);
        Vault v = Fixtures.vault(Fixtures.spec(repo(), src()));
        v.backup();
        assertPrivate();
        // a second local user can read nothing of it
        Path obj;
        try (Stream<Path> s = Files.walk(repo().resolve("objects"))) {
            obj = s.filter(Files::isRegularFile).findFirst().orElseThrow();
        }
        if (isRoot() && hasUser("nobody")) {
            Process p = new ProcessBuilder("su", "-s", "/bin/sh", "nobody", "-c", "cat '" + obj + "'")
                    .redirectErrorStream(true)
                    .start();
            assertThat(p.waitFor(10, TimeUnit.SECONDS)).isTrue();
            assertThat(new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8))
                    .contains("Permission denied");
            assertThat(p.exitValue()).isNotZero();
        }
        // and sha256sum still checks every object, as docs/repository-format.md says
        Process check = new ProcessBuilder(
                        "sh",
                        "-c",
                        "cd objects && find . -type f | awk -F/ '{print $3\"  \"$0}' | sha256sum -c --quiet")
                .directory(repo().toFile())
                .redirectErrorStream(true)
                .start();
        assertThat(check.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(check.exitValue()).isZero();
    }

    @Test
    void aRepositoryMadeReadableToOthersIsTightenedWhenOpenedForWriting() throws Exception {
        Fixtures.outputs(src(), 4, 1);
        Fixtures.vault(Fixtures.spec(repo(), src())).backup();
        // as the vault left repositories before: folders 0755, objects 0444, manifests 0644
        try (Stream<Path> s = Files.walk(repo())) {
            for (Path p : (Iterable<Path>) s::iterator) {
                Files.setPosixFilePermissions(
                        p,
                        PosixFilePermissions.fromString(
                                Files.isDirectory(p)
                                        ? "rwxr-xr-x"
                                        : p.startsWith(repo().resolve("objects")) ? "r--r--r--" : "rw-r--r--"));
            }
        }
        Fixtures.Recorder rec = new Fixtures.Recorder();
        Fixtures.outputs(src().resolve("new"), 2, 2);
        Fixtures.vault(Fixtures.spec(repo(), src()), rec).backup();
        assertPrivate();
        assertThat(rec.count("repository-private")).isEqualTo(1);
    }

    private void assertPrivate() throws IOException {
        try (Stream<Path> s = Files.walk(repo())) {
            for (Path p : (Iterable<Path>) s::iterator) {
                String mode =
                        PosixFilePermissions.toString(Files.getPosixFilePermissions(p, LinkOption.NOFOLLOW_LINKS));
                if (Files.isDirectory(p)) {
                    assertThat(mode).as("folder %s", p).isEqualTo("rwx------");
                } else if (p.startsWith(repo().resolve("objects"))) {
                    assertThat(mode).as("object %s", p).isEqualTo("r--------");
                } else {
                    assertThat(mode).as("file %s", p).isEqualTo("rw-------");
                }
            }
        }
    }

    static boolean isRoot() {
        return "root".equals(System.getProperty("user.name"));
    }

    static boolean hasUser(String name) throws IOException {
        return Files.readAllLines(Path.of("/etc/passwd")).stream().anyMatch(l -> l.startsWith(name + ":"));
    }
}
