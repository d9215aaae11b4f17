package dev.lifeline.backup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lifeline.config.BackupSpec;
import dev.lifeline.core.LifelineException;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class VaultTest {
    @TempDir
    Path tmp;

    Path src() {
        return tmp.resolve("outputs");
    }

    Path repo() {
        return tmp.resolve("repo");
    }

    static String sha(Path p) throws IOException {
        return ObjectStore.hex(ObjectStore.sha256().digest(Files.readAllBytes(p)));
    }

    /** Where the repository keeps the object of {@code sha256}. */
    Path object(String sha256) {
        return repo().resolve("objects/" + sha256.substring(0, 2) + "/" + sha256);
    }

    static Map<String, String> tree(Path root) throws IOException {
        Map<String, String> out = new java.util.TreeMap<>();
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : (Iterable<Path>) s.filter(Files::isRegularFile)::iterator) {
                out.put(root.relativize(p).toString(), sha(p));
            }
        }
        return out;
    }

    @Test
    void everythingStaysRestorableAfterTheSourceIsDeleted() throws Exception {
        Fixtures.outputs(src(), 20, 1);
        Map<String, String> before = tree(src());
        Vault v = Fixtures.vault(Fixtures.spec(repo(), src()));
        BackupResult r = v.backup();
        assertThat(r.snapshot()).isNotNull();
        assertThat(r.files()).isEqualTo(20);

        Vault.deleteTree(src()); // rm -rf outputs
        BackupResult after = v.backup();
        assertThat(after.unchanged())
                .as("an emptied source never replaces the last snapshot")
                .isTrue();

        v.restore("latest", List.of(), tmp.resolve("back"), false);
        assertThat(tree(tmp.resolve("back/outputs"))).isEqualTo(before);
    }

    @Test
    void lifelinesOwnWorkingFilesInASourceAreNeverBackedUp() throws Exception {
        Fixtures.write(src().resolve("img.png"), Fixtures.png(8, 1));
        // doctor's writable probe and a restore's temp file and lock, as they exist for a moment
        Fixtures.write(src().resolve(".lifeline-doctor123.tmp"), new byte[0]);
        Fixtures.write(src().resolve("sub/.lifeline-restore-8f00aa"), Fixtures.png(8, 2));
        Fixtures.write(src().resolve(".lifeline-restore.lock"), "pid 1 started now\n".getBytes(StandardCharsets.UTF_8));
        Fixtures.write(src().resolve(".lifeline.yaml"), "a user's file\n".getBytes(StandardCharsets.UTF_8));
        Vault v = Fixtures.vault(Fixtures.spec(repo(), src()));
        v.backup();
        assertThat(v.ls("latest", ""))
                .extracting(FileEntry::path)
                .containsExactly("outputs/.lifeline.yaml", "outputs/img.png");
    }

    @Test
    void oddFileNamesSurviveTheManifestRoundTrip() throws Exception {
        Fixtures.write(src().resolve("we\"ird\\name.png"), Fixtures.png(8, 1));
        Fixtures.write(src().resolve("日本/画像 1.png"), Fixtures.png(8, 2));
        Fixtures.write(src().resolve("plain.png"), Fixtures.png(8, 3));
        Fixtures.vault(Fixtures.spec(repo(), src())).backup();
        Vault fresh = Fixtures.vault(Fixtures.spec(repo(), src())); // reads the manifest from disk
        assertThat(fresh.ls("latest", ""))
                .extracting(FileEntry::path)
                .containsExactly("outputs/plain.png", "outputs/we\"ird\\name.png", "outputs/日本/画像 1.png");
        fresh.restore("latest", List.of(), tmp.resolve("back"), false);
        assertThat(tree(tmp.resolve("back/outputs"))).isEqualTo(tree(src()));
        assertThat(fresh.backup().unchanged()).isTrue();
    }

    @Test
    void objectsAreNamedByTheirSha256AndIdenticalFilesStoredOnce() throws Exception {
        byte[] same = Fixtures.random(5000, 7);
        Fixtures.write(src().resolve("a.bin"), same);
        Fixtures.write(src().resolve("sub/b.bin"), same);
        Fixtures.vault(Fixtures.spec(repo(), src())).backup();
        List<Path> objects;
        try (Stream<Path> s = Files.walk(repo().resolve("objects"))) {
            objects = s.filter(Files::isRegularFile).toList();
        }
        assertThat(objects).hasSize(1);
        Path o = objects.get(0);
        assertThat(o.getFileName().toString()).isEqualTo(sha(src().resolve("a.bin")));
        assertThat(o.getParent().getFileName().toString())
                .isEqualTo(o.getFileName().toString().substring(0, 2));
    }

    @Test
    void rescanReadsOnlyFilesWhoseSizeOrMtimeChanged() throws Exception {
        Fixtures.outputs(src(), 10, 2);
        Vault v = Fixtures.vault(Fixtures.spec(repo(), src()));
        assertThat(v.backup().hashed()).isEqualTo(10);

        BackupResult same = v.backup();
        assertThat(same.unchanged()).isTrue();
        assertThat(same.hashed()).isZero();

        Fixtures.write(src().resolve("2026-01-07/new.png"), Fixtures.png(16, 99));
        Path changed = src().resolve("2026-01-05/img_2_0.png");
        Fixtures.write(changed, Fixtures.png(20, 98));
        Files.setLastModifiedTime(changed, java.nio.file.attribute.FileTime.fromMillis(1_000_000));
        BackupResult next = v.backup();
        assertThat(next.hashed()).isEqualTo(2);
        assertThat(next.files()).isEqualTo(11);
        DiffResult d = v.diff(next.parent(), next.snapshot());
        assertThat(d.added()).containsExactly("outputs/2026-01-07/new.png");
        assertThat(d.changed()).containsExactly("outputs/2026-01-05/img_2_0.png");
        assertThat(d.removed()).isEmpty();
    }

    @Test
    void aChangeThatKeepsTheFileCountIsNotMistakenForNoChange() throws Exception {
        Fixtures.outputs(src(), 6, 1);
        Vault v = Fixtures.vault(Fixtures.spec(repo(), src()));
        v.backup();
        Path a = src().resolve("2026-01-05/img_1_0.png");

        // only the mtime moves: read again, same object, but a new snapshot records the new time
        Files.setLastModifiedTime(a, java.nio.file.attribute.FileTime.fromMillis(2_000_000));
        BackupResult touched = v.backup();
        assertThat(touched.unchanged()).isFalse();
        assertThat(touched.hashed()).isEqualTo(1);
        assertThat(touched.storedObjects()).isZero();

        // only the mode
        Files.setPosixFilePermissions(a, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        assertThat(v.backup().unchanged()).isFalse();
        assertThat(v.ls("latest", "outputs/2026-01-05/img_1_0.png"))
                .extracting(FileEntry::mode)
                .containsExactly(0600);

        // a rename: same count, same sizes
        Files.move(a, src().resolve("2026-01-05/renamed.png"));
        BackupResult renamed = v.backup();
        assertThat(renamed.unchanged()).isFalse();
        assertThat(v.diff(renamed.parent(), renamed.snapshot()).added())
                .containsExactly("outputs/2026-01-05/renamed.png");

        // and nothing: no snapshot, nothing read
        BackupResult same = Fixtures.vault(Fixtures.spec(repo(), src())).backup();
        assertThat(same.unchanged()).isTrue();
        assertThat(same.hashed()).isZero();
    }

    @Test
    void symbolicLinksAreKeptAsLinksNeverFollowed() throws Exception {
        Fixtures.outputs(src(), 2, 3);
        Path day = src().resolve("2026-01-05");
        Files.createSymbolicLink(src().resolve("latest.png"), Path.of("2026-01-05/img_3_0.png"));
        Files.createSymbolicLink(src().resolve("today"), Path.of("2026-01-05"));
        Files.createSymbolicLink(src().resolve("etc"), Path.of("/etc")); // points out: stored, not followed
        Files.createSymbolicLink(src().resolve("dangling"), Path.of("gone/nowhere.png"));
        java.nio.file.attribute.FileTime linkTime =
                java.nio.file.attribute.FileTime.from(java.time.Instant.parse("2025-03-04T05:06:07Z"));
        Files.getFileAttributeView(
                        src().resolve("etc"),
                        java.nio.file.attribute.BasicFileAttributeView.class,
                        java.nio.file.LinkOption.NOFOLLOW_LINKS)
                .setTimes(linkTime, null, null);
        Vault v = Fixtures.vault(Fixtures.spec(repo(), src()));
        BackupResult r = v.backup();
        assertThat(r.files()).isEqualTo(6);
        assertThat(v.ls("latest", "outputs/etc"))
                .singleElement()
                .satisfies(e -> assertThat(e.link()).isEqualTo("/etc"));
        assertThat(v.sums("latest"))
                .as("sha256sum -c would follow a link: only regular files are listed")
                .hasSize(2);
        assertThat(v.backup().unchanged()).isTrue();

        Path back = tmp.resolve("back");
        v.restore("latest", List.of(), back, false);
        Path out = back.resolve("outputs");
        assertThat(Files.readSymbolicLink(out.resolve("latest.png"))).isEqualTo(Path.of("2026-01-05/img_3_0.png"));
        assertThat(Files.readAllBytes(out.resolve("latest.png")))
                .isEqualTo(Files.readAllBytes(day.resolve("img_3_0.png")));
        assertThat(Files.readSymbolicLink(out.resolve("today"))).isEqualTo(Path.of("2026-01-05"));
        assertThat(Files.readSymbolicLink(out.resolve("etc"))).isEqualTo(Path.of("/etc"));
        assertThat(Files.getLastModifiedTime(out.resolve("etc"), java.nio.file.LinkOption.NOFOLLOW_LINKS))
                .as("a restored link has its own time, not its target's or the restore's")
                .isEqualTo(linkTime);
        assertThat(Files.isSymbolicLink(out.resolve("dangling"))).isTrue();
        assertThat(v.drill(tmp.resolve("scratch")).problems()).isEmpty();

        // retargeting a link is a change
        Files.delete(src().resolve("latest.png"));
        Files.createSymbolicLink(src().resolve("latest.png"), Path.of("2026-01-06/img_3_1.png"));
        BackupResult next = v.backup();
        assertThat(v.diff(next.parent(), next.snapshot()).changed()).containsExactly("outputs/latest.png");
    }

    @Test
    void restoreRefusesAManifestThatWritesThroughItsOwnLink() throws Exception {
        Fixtures.outputs(src(), 1, 4);
        Vault v = Fixtures.vault(Fixtures.spec(repo(), src()));
        v.backup();
        Manifest m;
        try (var in = Files.newInputStream(
                repo().resolve("snapshots/" + v.snapshots().get(0).id() + ".json"))) {
            m = Manifest.decode(in, "first");
        }
        FileEntry file = m.files().get(0);
        List<FileEntry> evil = List.of(
                new FileEntry("outputs/x", 4, 1, 0777, file.sha256(), "/tmp"),
                new FileEntry("outputs/x/owned.png", file.size(), 1, 0644, file.sha256()));
        Files.write(
                repo().resolve("snapshots/20990101-000000-abcdef.json"),
                new Manifest("20990101-000000-abcdef", Instant.now(), "h", null, m.sources(), evil).encode());

        Path back = tmp.resolve("back");
        assertThatThrownBy(() -> v.restore("20990101-000000-abcdef", List.of(), back, false))
                .isInstanceOf(LifelineException.class)
                .hasMessageContaining("lies under the symbolic link outputs/x");
        assertThat(back.resolve("outputs")).doesNotExist();
    }

    @Test
    void excludedGlobsAreNotBackedUp() throws Exception {
        Fixtures.write(src().resolve("keep.png"), Fixtures.png(8, 1));
        Fixtures.write(src().resolve("deep/x/partial.tmp"), Fixtures.random(10, 1));
        Fixtures.write(src().resolve("cache/thing.png"), Fixtures.png(8, 2));
        Fixtures.write(src().resolve("drafts/a.png"), Fixtures.png(8, 3));
        Fixtures.write(src().resolve("drafts/sub/b.png"), Fixtures.png(8, 4));
        // a glob with a slash matches the path inside the source; '*' does not cross folders
        BackupSpec spec = Fixtures.spec(repo(), src()).withExclude(List.of("*.tmp", "cache", "drafts/*.png"));
        Vault v = Fixtures.vault(spec);
        v.backup();
        assertThat(v.ls("latest", ""))
                .extracting(FileEntry::path)
                .containsExactlyInAnyOrder("outputs/keep.png", "outputs/drafts/sub/b.png");
    }

    @Test
    void verifyNamesTheFileAndSnapshotOfAFlippedByte() throws Exception {
        Fixtures.outputs(src(), 6, 3);
        Vault v = Fixtures.vault(Fixtures.spec(repo(), src()));
        String snap = v.backup().snapshot();
        assertThat(v.verify(true, 0).ok()).isTrue();

        FileEntry victim = v.ls(snap, "outputs/2026-01-06/img_3_1.png").get(0);
        Path object = object(victim.sha256());
        object.toFile().setWritable(true);
        try (RandomAccessFile raf = new RandomAccessFile(object.toFile(), "rw")) {
            raf.seek(100);
            int b = raf.read();
            raf.seek(100);
            raf.write(b ^ 0x01);
        }
        assertThat(v.verify(false, 0).ok()).as("presence and size still fine").isTrue();
        VerifyResult r = v.verify(true, 0);
        assertThat(r.ok()).isFalse();
        assertThat(r.problems()).singleElement().satisfies(p -> {
            assertThat(p.kind()).isEqualTo("corrupt");
            assertThat(p.affected()).containsExactly(snap + ":outputs/2026-01-06/img_3_1.png");
        });
        RestoreResult restored = v.restore(snap, List.of("outputs/2026-01-06/img_3_1.png"), tmp.resolve("r"), false);
        assertThat(restored.unrestored()).singleElement().satisfies(u -> {
            assertThat(u.path()).isEqualTo("outputs/2026-01-06/img_3_1.png");
            assertThat(u.problem()).contains("corrupt");
            assertThat(u.neededBy()).containsExactly(snap);
        });
        assertThat(tmp.resolve("r/outputs/2026-01-06/img_3_1.png")).doesNotExist();
    }

    @Test
    void restoreNamesFilesOnlyAfterTheirFlushAndLeavesNoTempFilesWhenItFails() throws Exception {
        Fixtures.outputs(src(), 30, 3);
        // a flush every 4 files: most files get their names from the background flusher
        Vault v = Fixtures.vault(Fixtures.spec(repo(), src())).restoreFlushEvery(Long.MAX_VALUE, 4);
        String snap = v.backup().snapshot();
        Path back = tmp.resolve("back");
        assertThat(v.restore(snap, List.of(), back, false).files()).isEqualTo(30);
        assertThat(tree(back.resolve("outputs"))).isEqualTo(tree(src()));

        FileEntry victim = v.ls(snap, "outputs/2026-01-05/img_3_22.png").get(0);
        Path object = object(victim.sha256());
        object.toFile().setWritable(true);
        Files.write(object, new byte[] {1, 2, 3}, java.nio.file.StandardOpenOption.APPEND);
        Path broken = tmp.resolve("broken");
        assertThat(v.restore(snap, List.of(), broken, false).unrestored())
                .extracting(RestoreResult.Unrestored::path)
                .containsExactly("outputs/2026-01-05/img_3_22.png");
        Map<String, String> expected = tree(src());
        try (Stream<Path> s = Files.walk(broken)) {
            for (Path p : (Iterable<Path>) s.filter(Files::isRegularFile)::iterator) {
                String rel = broken.resolve("outputs").relativize(p).toString();
                assertThat(p.getFileName().toString())
                        .as("no temp file is left")
                        .doesNotStartWith(".lifeline-restore-");
                assertThat(sha(p))
                        .as("a restored name holds its whole, checked file: " + rel)
                        .isEqualTo(expected.get(rel));
            }
        }
        assertThat(broken.resolve("outputs/2026-01-05/img_3_22.png")).doesNotExist();
    }

    @Test
    void aFlushThatFailsInTheBackgroundFailsTheRestore() throws Exception {
        Fixtures.outputs(src(), 12, 4);
        Vault v = Fixtures.vault(Fixtures.spec(repo(), src())).restoreFlushEvery(Long.MAX_VALUE, 1);
        String snap = v.backup().snapshot();
        // --overwrite lets the restore start, but a file cannot replace a folder that holds files
        Path back = tmp.resolve("back");
        Fixtures.write(back.resolve("outputs/2026-01-05/img_4_0.png/inside.txt"), new byte[] {1});
        assertThatThrownBy(() -> v.restore(snap, List.of(), back, true))
                .as("a file that never got its name is a failed restore")
                .hasMessageContaining("img_4_0.png");
    }

    @Test
    void verifyNamesEverySnapshotThatNeedsAMissingObject() throws Exception {
        Fixtures.write(src().resolve("a.png"), Fixtures.png(8, 5));
        Vault v = Fixtures.vault(Fixtures.spec(repo(), src()));
        String s1 = v.backup().snapshot();
        Fixtures.write(src().resolve("b.png"), Fixtures.png(8, 6));
        String s2 = v.backup().snapshot();
        String sha = sha(src().resolve("a.png"));
        Files.delete(object(sha));
        VerifyResult r = v.verify(false, 0);
        assertThat(r.problems()).singleElement().satisfies(p -> {
            assertThat(p.kind()).isEqualTo("missing");
            assertThat(p.affected()).containsExactlyInAnyOrder(s1 + ":outputs/a.png", s2 + ":outputs/a.png");
        });
    }

    @Test
    void restoreRefusesAManifestThatEscapesTheTarget() throws Exception {
        Fixtures.write(src().resolve("a.png"), Fixtures.png(8, 5));
        Vault v = Fixtures.vault(Fixtures.spec(repo(), src()));
        String id = v.backup().snapshot();
        String sha = sha(src().resolve("a.png"));
        for (String evil : List.of("../escaped.png", "/tmp/absolute.png", "outputs/../../up.png", "outputs//x.png")) {
            Path m = repo().resolve("snapshots/" + id + ".json");
            String text = Files.readString(m).replaceAll("\"path\":\"[^\"]*\"", "\"path\":\"" + evil + "\"");
            Files.writeString(m, text);
            Vault fresh = Fixtures.vault(Fixtures.spec(repo(), src())); // no cached manifest
            Path target = tmp.resolve("target");
            assertThatThrownBy(() -> fresh.restore(id, List.of(), target, true))
                    .isInstanceOf(LifelineException.class)
                    .hasMessageContaining("refusing")
                    .hasMessageContaining(evil);
            assertThat(tmp.resolve("escaped.png")).doesNotExist();
            assertThat(tmp.resolve("up.png")).doesNotExist();
            if (Files.exists(target)) {
                try (Stream<Path> s = Files.walk(target)) {
                    assertThat(s.filter(Files::isRegularFile))
                            .as("nothing written")
                            .isEmpty();
                }
            }
        }
        assertThat(sha).hasSize(64);
    }

    @Test
    void restoreRefusesToWriteThroughASymlinkOutOfTheTarget() throws Exception {
        Fixtures.write(src().resolve("sub/a.png"), Fixtures.png(8, 5));
        Vault v = Fixtures.vault(Fixtures.spec(repo(), src()));
        v.backup();
        Path target = tmp.resolve("target");
        Path outside = Files.createDirectories(tmp.resolve("outside"));
        Files.createDirectories(target);
        Files.createSymbolicLink(target.resolve("outputs"), outside);
        assertThatThrownBy(() -> v.restore("latest", List.of(), target, true))
                .hasMessageContaining("is a symbolic link")
                .hasMessageContaining("never writes through a link");
        try (Stream<Path> s = Files.list(outside)) {
            assertThat(s).isEmpty();
        }
    }

    @Test
    void restoreNeverOverwritesWithoutBeingAsked() throws Exception {
        Fixtures.write(src().resolve("a.png"), Fixtures.png(8, 5));
        Fixtures.write(src().resolve("b.png"), Fixtures.png(8, 6));
        Vault v = Fixtures.vault(Fixtures.spec(repo(), src()));
        v.backup();
        Path target = tmp.resolve("t");
        Fixtures.write(target.resolve("outputs/a.png"), "mine".getBytes(StandardCharsets.UTF_8));
        assertThatThrownBy(() -> v.restore("latest", List.of(), target, false))
                .hasMessageContaining("already exist")
                .isInstanceOfSatisfying(
                        LifelineException.class, e -> assertThat(e.hint()).contains("--overwrite"));
        assertThat(Files.readString(target.resolve("outputs/a.png"))).isEqualTo("mine");
        assertThat(target.resolve("outputs/b.png")).doesNotExist();

        v.restore("latest", List.of("outputs/*.png"), target, true);
        assertThat(sha(target.resolve("outputs/a.png"))).isEqualTo(sha(src().resolve("a.png")));
    }

    @Test
    void sumsAreCheckableWithCoreutilsSha256sum() throws Exception {
        Fixtures.outputs(src(), 4, 8);
        Fixtures.write(src().resolve("with space.txt"), "hello".getBytes(StandardCharsets.UTF_8));
        Vault v = Fixtures.vault(Fixtures.spec(repo(), src()));
        v.backup();
        Path target = tmp.resolve("t");
        v.restore("latest", List.of(), target, false);
        Path sums = Files.write(tmp.resolve("sums.txt"), v.sums("latest"));
        Process p = new ProcessBuilder("sha256sum", "-c", "--strict", sums.toString())
                .directory(target.toFile())
                .redirectErrorStream(true)
                .start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        assertThat(out).contains("outputs/with space.txt: OK");
    }

    @Test
    void pruneAppliesRetentionAndDeletesOnlyUnreferencedObjects() throws Exception {
        AtomicLong now = new AtomicLong(Instant.parse("2026-01-01T00:00:00Z").toEpochMilli());
        Clock clock = new Clock() {
            @Override
            public ZoneOffset getZone() {
                return ZoneOffset.UTC;
            }

            @Override
            public Clock withZone(java.time.ZoneId zone) {
                return this;
            }

            @Override
            public Instant instant() {
                return Instant.ofEpochMilli(now.get());
            }
        };
        BackupSpec spec = Fixtures.spec(repo(), src()).withRetention(new BackupSpec.Retention(1, 0, 2, 0, 0));
        Vault v = new Vault(
                spec,
                dev.lifeline.core.EventListener.NONE,
                clock,
                ObjectStore.WriteHook.NONE,
                Remote.Factory.S3,
                Map.of());
        Fixtures.write(src().resolve("keep.png"), Fixtures.png(8, 1));
        for (int i = 0; i < 4; i++) { // four snapshots on four days, each with its own extra file
            Fixtures.write(src().resolve("day.png"), Fixtures.png(8, 100 + i));
            Files.setLastModifiedTime(src().resolve("day.png"), java.nio.file.attribute.FileTime.fromMillis(now.get()));
            v.backup();
            now.addAndGet(Duration.ofDays(1).toMillis());
        }
        assertThat(v.snapshots()).hasSize(4);
        PruneResult dry = v.prune(true);
        assertThat(dry.removed()).hasSize(2);
        assertThat(v.snapshots()).hasSize(4);

        PruneResult r = v.prune(false);
        assertThat(r.kept()).hasSize(2);
        assertThat(r.objectsDeleted()).isEqualTo(2);
        assertThat(v.snapshots()).extracting(Snapshot::id).containsExactlyElementsOf(r.kept());
        assertThat(v.verify(true, 0).ok()).isTrue();
        v.restore("latest", List.of(), tmp.resolve("t"), false);
        assertThat(tmp.resolve("t/outputs/keep.png")).exists();
    }

    @Test
    void drillRestoresChecksAndDecodesEveryImage() throws Exception {
        Fixtures.outputs(src(), 6, 4);
        Vault v = Fixtures.vault(Fixtures.spec(repo(), src()));
        v.backup();
        DrillResult ok = v.drill(tmp.resolve("scratch"));
        assertThat(ok.ok()).isTrue();
        assertThat(ok.images()).isEqualTo(6);

        Fixtures.write(src().resolve("broken.png"), Fixtures.random(300, 3)); // not an image
        v.backup();
        DrillResult bad = v.drill(tmp.resolve("scratch"));
        assertThat(bad.problems()).singleElement().asString().contains("broken.png");
        try (Stream<Path> s = Files.list(tmp.resolve("scratch"))) {
            assertThat(s).as("the drill cleans up").isEmpty();
        }
    }

    @Test
    void aFullDiskFailsClearlyAndLeavesTheRepositoryConsistent() throws Exception {
        Fixtures.outputs(src(), 4, 5);
        Vault first = Fixtures.vault(Fixtures.spec(repo(), src()));
        String good = first.backup().snapshot();
        Fixtures.outputs(src().resolve("more"), 30, 6);

        AtomicLong budget = new AtomicLong(20_000);
        ObjectStore.WriteHook full = n -> {
            if (budget.addAndGet(-ObjectStore.BUFFER) < 0) {
                throw new IOException("No space left on device");
            }
        };
        Vault failing = new Vault(
                Fixtures.spec(repo(), src()),
                dev.lifeline.core.EventListener.NONE,
                Clock.systemUTC(),
                full,
                Remote.Factory.S3,
                Map.of());
        assertThatThrownBy(failing::backup)
                .isInstanceOf(LifelineException.class)
                .hasMessageContaining("No space left on device")
                .satisfies(e -> assertThat(((LifelineException) e).hint()).contains("free space"));

        assertThat(first.snapshots()).extracting(Snapshot::id).containsExactly(good);
        assertThat(first.verify(true, 0).ok()).isTrue();
        try (Stream<Path> s = Files.list(repo().resolve("tmp"))) {
            assertThat(s).as("no half-written temp files").isEmpty();
        }
        BackupResult again = first.backup();
        assertThat(again.files()).isEqualTo(34);
        assertThat(first.verify(true, 0).ok()).isTrue();
    }

    @Test
    void aStaleLockFromADeadWriterIsClearedAndALiveOneNamed() throws Exception {
        Fixtures.write(src().resolve("a.png"), Fixtures.png(8, 5));
        Files.createDirectories(repo());
        Files.writeString(repo().resolve("lock"), "pid 999999 started 2020-01-01T00:00:00Z\n");
        Fixtures.Recorder rec = new Fixtures.Recorder();
        Fixtures.vault(Fixtures.spec(repo(), src()), rec).backup();
        assertThat(rec.count("stale-lock")).isEqualTo(1);
        assertThat(Files.readString(repo().resolve("lock")))
                .as("released cleanly")
                .isEmpty();

        // a live holder in this JVM: the second writer waits, then names the holder
        try (WriterLock held = WriterLock.acquire(repo().resolve("lock"), Duration.ofSeconds(1), rec)) {
            assertThatThrownBy(() -> WriterLock.acquire(repo().resolve("lock"), Duration.ofMillis(200), rec))
                    .hasMessageContaining("in use by another writer")
                    .hasMessageContaining("pid " + ProcessHandle.current().pid());
            assertThat(held).isNotNull();
        }
    }
}
