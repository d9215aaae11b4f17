package dev.lifeline.backup;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lifeline.core.LifelineException;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Restore against a hostile or half-written target: links, racing swaps, private modes, a kill -9 midway. */
class RestoreTest {
    static final int SWAP_ROUNDS = 25;

    @TempDir
    Path tmp;

    Path src() {
        return tmp.resolve("outputs");
    }

    Path repo() {
        return tmp.resolve("repo");
    }

    /** Everything under {@code root}; a walk that races a rename is walked again (a bounded number of times). */
    static List<Path> files(Path root) throws IOException {
        for (int attempt = 0; ; attempt++) {
            if (!Files.exists(root, LinkOption.NOFOLLOW_LINKS)) {
                return List.of();
            }
            try (Stream<Path> s = Files.walk(root)) {
                return s.filter(p -> !p.equals(root)).toList();
            } catch (java.io.UncheckedIOException | java.nio.file.NoSuchFileException e) {
                if (attempt == 100) {
                    throw e;
                }
            }
        }
    }

    static List<Path> temps(Path root) throws IOException {
        return files(root).stream()
                .filter(p -> p.getFileName().toString().startsWith(TargetTree.TEMP))
                .toList();
    }

    @Test
    void aFolderSwappedForALinkWhileRestoringNeverRedirectsAWrite() throws Exception {
        for (int i = 0; i < 60; i++) {
            Fixtures.write(src().resolve("sub/img_" + i + ".png"), Fixtures.random(20_000, i));
        }
        Vault v = Fixtures.vault(Fixtures.spec(repo(), src())).restoreFlushEvery(Long.MAX_VALUE, 8);
        v.backup();
        Path outside = Files.createDirectories(tmp.resolve("outside"));
        int refused = 0;
        for (int round = 0; round < SWAP_ROUNDS; round++) {
            Path target = tmp.resolve("target-" + round);
            Path sub = target.resolve("outputs/sub");
            AtomicBoolean stop = new AtomicBoolean();
            // a local attacker with write access to the target: moves the folder away, puts a link to
            // 'outside' in its place, takes it out again, over and over
            Thread racer = new Thread(
                    () -> {
                        for (int n = 0; !stop.get() && n < 1_000_000; n++) {
                            try {
                                if (Files.isDirectory(sub, LinkOption.NOFOLLOW_LINKS)) {
                                    Files.move(
                                            sub, target.resolve("outputs/away-" + n), StandardCopyOption.ATOMIC_MOVE);
                                }
                                Files.createSymbolicLink(sub, outside);
                                Thread.onSpinWait();
                                Files.delete(sub);
                            } catch (IOException e) {
                                Thread.yield(); // the restore got there first: try again
                            }
                        }
                    },
                    "swapper");
            Files.createDirectories(target.resolve("outputs"));
            racer.start();
            try {
                v.restore("latest", List.of(), target, true);
            } catch (LifelineException e) {
                refused++; // it saw the link: refused, which is fine
            } finally {
                stop.set(true);
                racer.join(Fixtures.scaled(Duration.ofSeconds(10)).toMillis());
            }
            assertThat(racer.isAlive()).isFalse();
            assertThat(files(outside))
                    .as("round %d: nothing is written through the swapped-in link", round)
                    .isEmpty();
        }
        assertThat(refused).as("rounds refused").isLessThanOrEqualTo(SWAP_ROUNDS);
    }

    @Test
    void aLinkPlantedAtARestoredNameIsReplacedNotWrittenThrough() throws Exception {
        Fixtures.write(src().resolve("a.png"), Fixtures.png(8, 1));
        Vault v = Fixtures.vault(Fixtures.spec(repo(), src()));
        v.backup();
        Path victim =
                Fixtures.write(tmp.resolve("elsewhere/precious.txt"), "precious".getBytes(StandardCharsets.UTF_8));
        Path target = tmp.resolve("target");
        Files.createDirectories(target.resolve("outputs"));
        Files.createSymbolicLink(target.resolve("outputs/a.png"), victim);
        v.restore("latest", List.of(), target, true);
        assertThat(victim).hasContent("precious");
        assertThat(Files.isSymbolicLink(target.resolve("outputs/a.png"))).isFalse();
        assertThat(Files.readAllBytes(target.resolve("outputs/a.png")))
                .isEqualTo(Files.readAllBytes(src().resolve("a.png")));
    }

    @Test
    void eachFileGetsItsRecordedModeAndAPrivateOneIsNeverReadableByOthersWhileWritten() throws Exception {
        Map<String, String> modes = Map.of(
                "private/secret-0.bin", "rw-------",
                "private/secret-1.bin", "rw-------",
                "private/secret-2.bin", "rw-------",
                "run.sh", "rwxr-xr-x",
                "group.txt", "rw-r-----",
                "frozen.png", "r--r--r--",
                "odd.bin", "-w-r---w-");
        for (Map.Entry<String, String> e : modes.entrySet()) {
            Path f = Fixtures.write(
                    src().resolve(e.getKey()),
                    Fixtures.random(
                            e.getKey().startsWith("private/") ? 24 << 20 : 1000,
                            e.getKey().hashCode()));
            Files.setPosixFilePermissions(f, PosixFilePermissions.fromString(e.getValue()));
        }
        Vault v = Fixtures.vault(Fixtures.spec(repo(), src()));
        v.backup();
        Path target = Files.createDirectories(tmp.resolve("target"));
        // another local user would open any temp file with a read bit for group or others
        List<String> exposed = new CopyOnWriteArrayList<>();
        AtomicBoolean stop = new AtomicBoolean();
        Thread watcher = new Thread(
                () -> {
                    for (int n = 0; !stop.get() && n < 10_000_000; n++) {
                        try {
                            for (Path p : temps(target.resolve("outputs/private"))) {
                                if (!Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
                                    continue; // a folder being made: it holds nothing yet
                                }
                                Set<PosixFilePermission> perms =
                                        Files.getPosixFilePermissions(p, LinkOption.NOFOLLOW_LINKS);
                                if (perms.contains(PosixFilePermission.GROUP_READ)
                                        || perms.contains(PosixFilePermission.OTHERS_READ)) {
                                    exposed.add(p + " " + PosixFilePermissions.toString(perms));
                                }
                            }
                        } catch (IOException | java.io.UncheckedIOException e) {
                            // renamed while looked at
                        }
                    }
                },
                "peeker");
        watcher.start();
        try {
            v.restore("latest", List.of(), target, false);
        } finally {
            stop.set(true);
            watcher.join(Fixtures.scaled(Duration.ofSeconds(10)).toMillis());
        }
        assertThat(exposed)
                .as("temp files readable by others while being written")
                .isEmpty();
        for (Map.Entry<String, String> e : modes.entrySet()) {
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(
                            target.resolve("outputs").resolve(e.getKey()))))
                    .as(e.getKey())
                    .isEqualTo(e.getValue());
        }
        // the same content copied there by hand, but with another mode: kept, and given the recorded mode
        Path again = Files.createDirectories(tmp.resolve("again/outputs"));
        Files.copy(src().resolve("run.sh"), again.resolve("run.sh"));
        Files.setPosixFilePermissions(again.resolve("run.sh"), PosixFilePermissions.fromString("rw-rw-rw-"));
        assertThat(v.restore("latest", List.of("outputs/run.sh"), tmp.resolve("again"), false)
                        .alreadyThere())
                .isEqualTo(1);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(again.resolve("run.sh"))))
                .isEqualTo("rwxr-xr-x");
        assertThat(Files.getLastModifiedTime(again.resolve("run.sh")))
                .isEqualTo(Files.getLastModifiedTime(src().resolve("run.sh")));
    }

    @Test
    void aSecondRestoreIntoTheSameTargetIsRefusedInsteadOfRemovingTheFirstOnesTempFiles() throws Exception {
        for (int i = 0; i < 1200; i++) {
            Fixtures.write(src().resolve("d" + (i % 10) + "/img_" + i + ".png"), Fixtures.random(80_000, i));
        }
        Vault v = Fixtures.vault(Fixtures.spec(repo(), src()));
        v.backup();
        Path target = tmp.resolve("target");
        Process child = child(target);
        try (BufferedReader r =
                new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
            assertThat(r.readLine()).isEqualTo("ready");
            Awaitility.await()
                    .atMost(Fixtures.scaled(Duration.ofSeconds(30)))
                    .pollInterval(Duration.ofMillis(2))
                    .until(() -> !child.isAlive() || !temps(target).isEmpty());
            // held still midway (SIGSTOP keeps its lock), so a fast machine cannot finish it first
            signal(child, "STOP");
            try {
                assertThat(child.isAlive())
                        .as("the first restore is still writing")
                        .isTrue();
                org.assertj.core.api.Assertions.assertThatThrownBy(() -> v.restore("latest", List.of(), target, false))
                        .isInstanceOf(LifelineException.class)
                        .hasMessageContaining("another restore is writing into")
                        .hasMessageContaining("pid " + child.pid());
            } finally {
                signal(child, "CONT");
            }
            assertThat(child.waitFor(Fixtures.scaled(Duration.ofSeconds(60)).toSeconds(), TimeUnit.SECONDS))
                    .isTrue();
            assertThat(r.readLine()).isEqualTo("done");
        }
        assertThat(child.exitValue()).isZero();
        assertThat(temps(target)).isEmpty();
        assertThat(VaultTest.tree(target.resolve("outputs"))).isEqualTo(VaultTest.tree(src()));
    }

    private static void signal(Process p, String sig) throws IOException, InterruptedException {
        Process kill = new ProcessBuilder("kill", "-" + sig, Long.toString(p.pid())).start();
        assertThat(kill.waitFor(10, TimeUnit.SECONDS) && kill.exitValue() == 0)
                .as("kill -" + sig)
                .isTrue();
    }

    private Process child(Path target) throws IOException {
        return new ProcessBuilder(
                        ProcessHandle.current().info().command().orElse("java"),
                        "-XX:TieredStopAtLevel=1",
                        "-XX:+UseSerialGC",
                        "-cp",
                        System.getProperty("java.class.path"),
                        RestoreChild.class.getName(),
                        repo().toString(),
                        src().toString(),
                        target.toString())
                .redirectErrorStream(true)
                .start();
    }

    @Test
    void aRestoreKilledMidwayIsCleanedUpAndResumedWithoutOverwrite() throws Exception {
        for (int i = 0; i < 1200; i++) {
            Fixtures.write(src().resolve("d" + (i % 10) + "/img_" + i + ".png"), Fixtures.random(80_000, i));
        }
        Vault v = Fixtures.vault(Fixtures.spec(repo(), src()));
        v.backup();
        Path target = null;
        int tempsAtKill = 0;
        int namedAtKill = 0;
        for (int attempt = 0; attempt < 3 && tempsAtKill == 0; attempt++) {
            target = tmp.resolve("target-" + attempt);
            Process child = child(target);
            try (BufferedReader r =
                    new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
                assertThat(r.readLine()).isEqualTo("ready");
                Path t = target;
                Awaitility.await()
                        .atMost(Fixtures.scaled(Duration.ofSeconds(30)))
                        .pollInterval(Duration.ofMillis(2))
                        .until(() -> !child.isAlive()
                                || (!temps(t).isEmpty()
                                        && files(t.resolve("outputs")).size() > 100));
                child.destroyForcibly(); // SIGKILL
                assertThat(child.waitFor(Fixtures.scaled(Duration.ofSeconds(20)).toSeconds(), TimeUnit.SECONDS))
                        .isTrue();
            }
            tempsAtKill = temps(target).size();
            namedAtKill = (int) files(target.resolve("outputs")).stream()
                    .filter(p -> Files.isRegularFile(p)
                            && !p.getFileName().toString().startsWith(TargetTree.TEMP))
                    .count();
        }
        assertThat(tempsAtKill).as("the kill left temp files to clean").isPositive();

        RestoreResult again = v.restore("latest", List.of(), target, false);
        assertThat(temps(target)).as("no temp file is left").isEmpty();
        assertThat(target.resolve(TargetTree.LOCK)).as("nor the restore's lock").doesNotExist();
        assertThat(again.leftoversRemoved()).isEqualTo(tempsAtKill);
        assertThat(again.alreadyThere()).isEqualTo(namedAtKill);
        assertThat(again.files() + again.alreadyThere()).isEqualTo(1200);
        assertThat(VaultTest.tree(target.resolve("outputs"))).isEqualTo(VaultTest.tree(src()));
    }
}
