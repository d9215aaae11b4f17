package dev.lifeline.catalog;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lifeline.backup.Vault;
import dev.lifeline.config.BackupSpec;
import dev.lifeline.core.EventListener;
import dev.lifeline.core.Json;
import dev.lifeline.core.LifelineException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The index against real vaults in temp folders and real SQLite: what {@code find} shows after each vault operation. */
class CatalogTest {
    @TempDir
    Path tmp;

    final TestImages images = new TestImages();

    Path src() {
        return tmp.resolve("outputs");
    }

    Path repo() {
        return tmp.resolve("repo");
    }

    Vault vault(BackupSpec.Retention retention) {
        BackupSpec spec = BackupSpec.of(repo(), List.of(src()));
        return Vault.open(retention == null ? spec : spec.withRetention(retention), EventListener.NONE);
    }

    Catalog catalog() {
        return Catalog.open(repo(), images);
    }

    @Test
    void findsImagesByPromptWordsAndFiltersRankedByBm25() throws Exception {
        images.write(
                src().resolve("a.png"),
                "a",
                TestImages.meta("a castle on a hill, sunset", 1234567, "sdxl_base", "Euler a", "detail_tweaker"));
        images.write(
                src().resolve("b.png"),
                "b",
                TestImages.meta("castle castle castle, night", 99, "flux_dev", "DPM++ 2M"));
        images.write(src().resolve("c.png"), "c", TestImages.meta("portrait of a cat", 5, "sdxl_base", "Euler a"));
        images.write(src().resolve("notes.txt"), "n", null);
        Vault v = vault(null);
        v.backup();
        try (Catalog c = catalog()) {
            c.sync(v);
            assertThat(TestImages.paths(c.search("castle", 10))).containsExactly("outputs/b.png", "outputs/a.png");
            assertThat(TestImages.paths(c.search("castle model: sdxl", 10))).containsExactly("outputs/a.png");
            assertThat(TestImages.paths(c.search("seed: 1234*", 10))).containsExactly("outputs/a.png");
            assertThat(TestImages.paths(c.search("sampler: \"euler a\" | ddim", 10)))
                    .containsExactlyInAnyOrder("outputs/a.png", "outputs/c.png");
            assertThat(TestImages.paths(c.search("lora: detail", 10))).containsExactly("outputs/a.png");
            assertThat(TestImages.paths(c.search("cats", 10))).isEmpty();
            assertThat(TestImages.paths(c.search("ca", 10))).hasSize(3); // prefixes: castle, cat
            assertThat(TestImages.paths(c.search("negative: hands", 10))).hasSize(3);
            assertThat(TestImages.paths(c.search("path: */a.*", 10))).containsExactly("outputs/a.png");
            assertThat(c.search("", 10).hits())
                    .as("text files are not catalogued")
                    .hasSize(3);
            SearchResult r = c.search("castle", 10);
            assertThat(r.total()).isEqualTo(2);
            assertThat(r.facets().get("model")).containsEntry("sdxl_base", 1L).containsEntry("flux_dev", 1L);
            assertThat(r.facets().get("lora")).containsEntry("detail_tweaker", 1L);
            Hit a = r.hits().get(1);
            assertThat(a.meta().seed()).isEqualTo(1234567L);
            assertThat(a.meta().loras()).extracting(l -> l.name()).containsExactly("detail_tweaker");
            assertThat(a.snapshots()).hasSize(1);
            assertThat(a.deleted()).isFalse();
        }
    }

    @Test
    void aMovedImageKeepsItsIdentityAndDuplicatesCollapse() throws Exception {
        images.write(src().resolve("a.png"), "a", TestImages.meta("red fox in snow", 1, "m", "ddim"));
        Files.copy(src().resolve("a.png"), src().resolve("copy.png"));
        Vault v = vault(null);
        v.backup();
        Files.createDirectories(src().resolve("portraits"));
        Files.move(src().resolve("a.png"), src().resolve("portraits/fox.png"));
        v.backup();
        try (Catalog c = catalog()) {
            c.sync(v);
            SearchResult r = c.search("fox", 10);
            assertThat(r.hits()).as("one image, however many paths").hasSize(1);
            Hit h = r.hits().get(0);
            assertThat(h.snapshots()).hasSize(2);
            assertThat(h.spans())
                    .extracting(Hit.Span::path, Hit.Span::live)
                    .containsExactlyInAnyOrder(
                            org.assertj.core.groups.Tuple.tuple("outputs/a.png", false),
                            org.assertj.core.groups.Tuple.tuple("outputs/copy.png", true),
                            org.assertj.core.groups.Tuple.tuple("outputs/portraits/fox.png", true));
            assertThat(h.deleted()).isFalse();
            assertThat(TestImages.paths(c.search("path: */portraits/*", 10))).hasSize(1);
        }
    }

    @Test
    void aDeletedImageStaysFindableInTheSnapshotsThatHadIt() throws Exception {
        images.write(src().resolve("gone.png"), "g", TestImages.meta("lighthouse at dawn", 7, "m", "ddim"));
        images.write(src().resolve("kept.png"), "k", TestImages.meta("lighthouse at dusk", 8, "m", "ddim"));
        Vault v = vault(null);
        v.backup();
        String first = v.snapshots().get(0).id();
        Files.delete(src().resolve("gone.png"));
        v.backup();
        try (Catalog c = catalog()) {
            c.sync(v);
            SearchResult r = c.search("lighthouse", 10);
            assertThat(r.hits()).hasSize(2);
            Hit gone = r.hits().stream().filter(Hit::deleted).findFirst().orElseThrow();
            assertThat(gone.path()).isEqualTo("outputs/gone.png");
            assertThat(gone.snapshots()).containsExactly(first);
            assertThat(TestImages.paths(c.search("lighthouse deleted: true", 10)))
                    .containsExactly("outputs/gone.png");
            assertThat(TestImages.paths(c.search("deleted: false", 10))).containsExactly("outputs/kept.png");
            assertThat(TestImages.paths(c.search("snapshot: " + first.substring(0, 10), 10)))
                    .hasSize(2);
            assertThat(TestImages.paths(c.search("snapshot: latest", 10))).containsExactly("outputs/kept.png");
        }
    }

    @Test
    void aPrunedImageLeavesTheIndex() throws Exception {
        images.write(src().resolve("old.png"), "o", TestImages.meta("ancient ruins", 1, "m", "ddim"));
        images.write(src().resolve("new.png"), "n", TestImages.meta("modern ruins", 2, "m", "ddim"));
        Vault v = vault(new BackupSpec.Retention(1, 0, 0, 0, 0));
        v.backup();
        try (Catalog c = catalog()) {
            c.sync(v);
            assertThat(c.search("ruins", 10).hits()).hasSize(2);
            Files.delete(src().resolve("old.png"));
            v.backup();
            c.sync(v);
            assertThat(c.search("ruins", 10).hits())
                    .as("deleted, still in the first snapshot")
                    .hasSize(2);
            v.prune(false);
            assertThat(v.snapshots()).hasSize(1);
            SyncResult s = c.sync(v);
            assertThat(s.snapshotsRemoved()).isEqualTo(1);
            assertThat(s.imagesRemoved()).isEqualTo(1);
            assertThat(TestImages.paths(c.search("ruins", 10))).containsExactly("outputs/new.png");
            assertThat(c.status().images()).isEqualTo(1);
        }
    }

    @Test
    void aPruneTheIndexHasNotSeenIsHiddenFromAReaderGivenTheRepositorysSnapshots() throws Exception {
        images.write(src().resolve("old.png"), "o", TestImages.meta("ancient ruins", 1, "m", "ddim"));
        Vault v = vault(new BackupSpec.Retention(1, 0, 0, 0, 0));
        v.backup();
        Files.delete(src().resolve("old.png"));
        images.write(src().resolve("new.png"), "n", TestImages.meta("modern ruins", 2, "m", "ddim"));
        v.backup();
        try (Catalog c = catalog()) {
            c.sync(v);
        }
        v.prune(false);
        java.util.Set<String> now = new java.util.HashSet<>();
        v.snapshots().forEach(s -> now.add(s.id()));
        try (Catalog r = Catalog.openReadOnly(repo())) {
            assertThat(r.search(Query.parse("ruins"), 10, false, false, null).hits())
                    .hasSize(2);
            assertThat(TestImages.paths(r.search(Query.parse("ruins"), 10, false, false, now)))
                    .containsExactly("outputs/new.png");
        }
    }

    @Test
    void filesTheWatcherStoredSinceTheLastSnapshotAreFoundAndASyncKeepsThem() throws Exception {
        Vault v = vault(null);
        Files.createDirectories(src());
        v.backup();
        List<dev.lifeline.core.Event> stored = new java.util.concurrent.CopyOnWriteArrayList<>();
        dev.lifeline.backup.VaultWatcher w = dev.lifeline.backup.VaultWatcher.start(v, e -> {
            if (e.type().equals("stored")) {
                stored.add(e);
            }
        });
        try (Catalog c = catalog()) {
            c.sync(v);
            images.write(src().resolve("fresh.png"), "f", TestImages.meta("glass whale", 3, "m", "ddim"));
            org.awaitility.Awaitility.await()
                    .atMost(dev.lifeline.testing.TestTimes.SHORT)
                    .until(() -> !stored.isEmpty());
            dev.lifeline.core.Event e = stored.get(0);
            c.indexStored(List.of(new Catalog.Stored(
                    (String) e.fields().get("sha256"), (String) e.fields().get("path"), e.time())));
            Hit h = c.search("whale", 10).hits().get(0);
            assertThat(h.snapshots()).containsExactly("pending");
            assertThat(h.deleted()).isFalse();
            assertThat(c.sync(v).imagesAdded()).as("the sync finds it indexed").isZero();
            w.close();
            v.backup();
            c.sync(v);
            h = c.search("whale", 10).hits().get(0);
            assertThat(h.snapshots()).hasSize(1).doesNotContain("pending");
            assertThat(h.spans()).hasSize(1);
        } finally {
            w.close();
        }
    }

    @Test
    void aRebuildFromTheRepositoryAloneEqualsTheIndexKeptLive() throws Exception {
        Vault v = vault(null);
        images.write(src().resolve("a.png"), "a", TestImages.meta("tower of books", 1, "m1", "ddim", "l1"));
        images.write(src().resolve("b.png"), "b", TestImages.meta("tower of cards", 2, "m2", "euler"));
        v.backup();
        try (Catalog c = catalog()) {
            c.sync(v);
            Files.move(src().resolve("a.png"), src().resolve("moved.png"));
            Files.delete(src().resolve("b.png"));
            byte[] d = images.write(src().resolve("d.png"), "d", TestImages.meta("tower of sand", 3, "m1", "ddim"));
            v.backup();
            c.sync(v);
            images.write(src().resolve("e.png"), "e", TestImages.meta("tower of glass", 4, "m3", "ddim"));
            v.backup();
            c.indexStored(List.of(new Catalog.Stored(TestImages.sha(d), "outputs/d.png", Instant.now())));
            c.sync(v);
            String live = Json.write(Json.toNode(c.search("tower", 50)));
            SyncResult rb = c.rebuild(v, false);
            assertThat(rb.snapshotsAdded()).isEqualTo(3);
            String rebuilt = Json.write(Json.toNode(c.search("tower", 50)));
            assertThat(withoutTimes(rebuilt)).isEqualTo(withoutTimes(live));
            assertThat(c.search("tower", 50).hits()).hasSize(4);
        }
        Files.delete(repo().resolve(Catalog.FILE));
        try (Catalog fresh = catalog()) {
            fresh.rebuild(v, false);
            assertThat(fresh.search("tower", 50).hits()).hasSize(4);
        }
    }

    /** firstSeen of a journal file is when it was stored live, but its mtime after a rebuild. */
    private static String withoutTimes(String json) {
        return json.replaceAll("\"firstSeen\":\"[^\"]*\"", "").replaceAll("\"day\":\\{[^}]*\\}", "");
    }

    @Test
    void userTextNeverReachesSqlOrFts5Syntax() throws Exception {
        images.write(
                src().resolve("a.png"),
                "a",
                TestImages.meta("robert'); DROP TABLE images; -- \"quoted\" NEAR(x y)", 1, "m", "ddim"));
        Vault v = vault(null);
        v.backup();
        try (Catalog c = catalog()) {
            c.sync(v);
            List<String> hostile = List.of(
                    "'; DROP TABLE images; --",
                    "robert');",
                    "\" OR 1=1 --\"",
                    "a OR NOT b",
                    "NEAR(x y)",
                    "prompt : x",
                    "{prompt} : *",
                    "* ^ + - ( ) :",
                    "model: %' OR '1'='1",
                    "lora: _",
                    "path: [",
                    "sampler: *",
                    "x AND",
                    "\"\"\"",
                    "\\\"",
                    "negative: \"NOT\"");
            for (String q : hostile) {
                try {
                    c.search(q, 10);
                } catch (QueryException e) {
                    assertThat(e.hint()).as(q).isNotBlank();
                } catch (LifelineException e) {
                    throw new AssertionError(
                            "'" + q + "' gave an error that is not a query error: " + e.getMessage(), e);
                }
            }
            assertThat(TestImages.paths(c.search("'); DROP TABLE images; --", 10)))
                    .containsExactly("outputs/a.png");
            assertThat(TestImages.paths(c.search("NEAR(x y)", 10))).containsExactly("outputs/a.png");
            assertThat(TestImages.paths(c.search("model: %' OR '1'='1", 10))).isEmpty();
            assertThat(c.status().images()).isEqualTo(1);
        }
    }

    @Test
    void theIndexIsAPrivateCacheTheVaultsOwnCommandsLeaveAlone() throws Exception {
        images.write(src().resolve("a.png"), "a", TestImages.meta("owl", 1, "m", "ddim"));
        Vault v = vault(new BackupSpec.Retention(1, 0, 0, 0, 0));
        v.backup();
        try (Catalog c = catalog()) {
            c.sync(v);
        }
        for (String f : List.of(Catalog.FILE, Catalog.FILE + "-wal", Catalog.FILE + "-shm")) {
            Path p = repo().resolve(f);
            if (Files.exists(p)) {
                assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(p)))
                        .as(f)
                        .isEqualTo("rw-------");
            }
        }
        assertThat(v.verify(true, 100).ok()).isTrue();
        assertThat(v.verify(true, 100).problems()).isEmpty();
        v.backup();
        v.prune(false);
        assertThat(v.repair().remaining()).isEmpty();
        assertThat(repo().resolve(Catalog.FILE)).exists();
        try (Catalog c = Catalog.openReadOnly(repo())) {
            assertThat(c.search("owl", 10).hits()).hasSize(1);
        }
    }

    @Test
    void aLinkWhereTheIndexShouldBeIsRefused() throws Exception {
        Files.createDirectories(repo());
        Path elsewhere = tmp.resolve("elsewhere.db");
        Files.writeString(elsewhere, "not yours");
        Files.createSymbolicLink(repo().resolve(Catalog.FILE), elsewhere);
        assertThatThrownBy(this::catalog)
                .isInstanceOf(LifelineException.class)
                .hasMessageContaining("not a regular file");
        assertThat(Files.readString(elsewhere)).isEqualTo("not yours");
    }

    @Test
    void readingAMissingCatalogSaysHowToMakeIt() {
        assertThatThrownBy(() -> Catalog.openReadOnly(repo()))
                .isInstanceOf(LifelineException.class)
                .hasMessageContaining("no catalog")
                .satisfies(e -> assertThat(((LifelineException) e).hint()).contains("catalog rebuild"));
        assertThat(Optional.ofNullable(repo().toFile().listFiles())).isEmpty();
    }
}
