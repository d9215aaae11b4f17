package dev.lifeline.backup;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Names are bytes; one name the vault cannot keep costs that file, not the snapshot. */
class VaultNamesTest {
    @TempDir
    Path tmp;

    Path src() {
        return tmp.resolve("outputs");
    }

    Path repo() {
        return tmp.resolve("repo");
    }

    static void sh(Path dir, String script) throws Exception {
        Process p = new ProcessBuilder("sh", "-c", script)
                .directory(dir.toFile())
                .redirectErrorStream(true)
                .start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
    }

    @Test
    void namesThatAreNotUtf8AreKeptByteForByte() throws Exception {
        Files.createDirectories(src().resolve("d"));
        // three names the JDK shows alike ("img?.png"), and a folder with such a name
        sh(
                src(),
                "printf one > \"$(printf 'img\\377.png')\"; printf two > \"$(printf 'img\\376.png')\";"
                        + " printf three > \"$(printf 'img\\375.png')\"; mkdir \"$(printf 'd\\351j\\340')\";"
                        + " printf four > \"$(printf 'd\\351j\\340/x.png')\"; printf five > 'd/caf\u00e9.png'");
        Vault v = Fixtures.vault(Fixtures.spec(repo(), src()));
        BackupResult first = v.backup();
        assertThat(first.files()).isEqualTo(5);

        Vault fresh = Fixtures.vault(Fixtures.spec(repo(), src())); // reads the manifest from disk
        List<FileEntry> files = fresh.ls("latest", "");
        assertThat(files).extracting(FileEntry::path).doesNotHaveDuplicates().hasSize(5);
        assertThat(files.stream().map(FileEntry::sha256).distinct()).hasSize(5);
        for (FileEntry e : files) {
            // the accessor a restore uses gives the very file each entry came from
            Path original = Names.resolve(tmp, e.path());
            assertThat(Files.readAllBytes(original))
                    .as(e.path())
                    .isEqualTo(Files.readAllBytes(
                            repo().resolve("objects/" + e.sha256().substring(0, 2) + "/" + e.sha256())));
        }
        assertThat(files)
                .extracting(e -> new String(Names.encode(e.path()), StandardCharsets.ISO_8859_1))
                .contains(
                        "outputs/img\u00ff.png",
                        "outputs/img\u00fe.png",
                        "outputs/img\u00fd.png",
                        "outputs/d\u00e9j\u00e0/x.png",
                        new String("outputs/d/café.png".getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1));
        assertThat(fresh.backup().unchanged()).as("a rescan finds nothing new").isTrue();
        assertThat(fresh.snapshots()).hasSize(1);
    }

    /** Every entry under {@code dir} as Python sees its bytes: name, kind, content or link target (and inode). */
    static String tree(Path dir, boolean inodes) throws Exception {
        String script = "import os,sys\n"
                + "root=os.fsencode(sys.argv[1]); out=[]\n"
                + "for d,ds,fs in os.walk(root):\n"
                + "  for n in ds+fs:\n"
                + "    p=os.path.join(d,n); r=os.path.relpath(p,root); st=os.lstat(p)\n"
                + "    ino=st.st_ino if sys.argv[2]=='1' else 0\n"
                + "    if os.path.islink(p): out.append((r,'link',os.readlink(p),ino))\n"
                + "    elif os.path.isdir(p): out.append((r,'dir',b'',0))\n"
                + "    else: out.append((r,'file',open(p,'rb').read(),ino))\n"
                + "print(sorted(out))\n";
        Process p = new ProcessBuilder("python3", "-c", script, dir.toString(), inodes ? "1" : "0")
                .redirectErrorStream(true)
                .start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        return out.trim();
    }

    @Test
    void namesThatAreNotUtf8RestoreByteForByteAndASecondRestoreKeepsThem() throws Exception {
        Files.createDirectories(src());
        // three files whose names differ only in a byte that is not UTF-8, a folder of such a name,
        // links of such names, and a link whose target holds one
        sh(
                src(),
                "printf one > \"$(printf 'img\\377.png')\"; printf two > \"$(printf 'img\\376.png')\";"
                        + " printf three > \"$(printf 'img\\375.png')\"; mkdir \"$(printf 'd\\351j\\340')\";"
                        + " printf four > \"$(printf 'd\\351j\\340/x\\377.png')\";"
                        + " ln -s \"$(printf 'img\\377.png')\" \"$(printf 'ln\\374')\";"
                        + " ln -s \"$(printf '../d\\351j\\340/x\\377.png')\" \"$(printf 'd\\351j\\340/up\\373')\";"
                        + " ln -s \"$(printf 'd\\351j\\340')\" plain-link");
        String before = tree(src(), false);
        assertThat(before).contains("img\\xff.png", "img\\xfe.png", "img\\xfd.png", "d\\xe9j\\xe0/up\\xfb");
        Vault v = Fixtures.vault(Fixtures.spec(repo(), src()));
        assertThat(v.backup().files()).isEqualTo(7);

        Path target = tmp.resolve("target");
        RestoreResult r = Fixtures.vault(Fixtures.spec(repo(), src())).restore("latest", List.of(), target, false);
        assertThat(r.complete()).isTrue();
        assertThat(r.files()).isEqualTo(7);
        assertThat(tree(target.resolve("outputs"), false))
                .as("the restored tree, name and link bytes included")
                .isEqualTo(before);

        // run again: every entry is recognised by its name and content, none written again
        String inodes = tree(target.resolve("outputs"), true);
        RestoreResult again = Fixtures.vault(Fixtures.spec(repo(), src())).restore("latest", List.of(), target, false);
        assertThat(again.alreadyThere()).isEqualTo(7);
        assertThat(again.files()).isZero();
        assertThat(tree(target.resolve("outputs"), true)).isEqualTo(inodes);
    }

    @Test
    void namesThatAreNotUtf8PrintRecognisablyAndTheirSumsCheckWithSha256sum() throws Exception {
        Files.createDirectories(src());
        sh(
                src(),
                "printf one > \"$(printf 'img\\377.png')\"; printf two > \"$(printf 'img\\376.png')\";"
                        + " printf three > \"$(printf 'it\\047s \\033[31m.png')\"; printf four > 'caf\u00e9.png';"
                        + " printf five > 'back\\slash.png'");
        Vault v = Fixtures.vault(Fixtures.spec(repo(), src()));
        v.backup();
        List<FileEntry> files = v.ls("latest", "");
        assertThat(files)
                .extracting(e -> NameOutput.shell(e.path()))
                .contains(
                        "outputs/caf\u00e9.png", // UTF-8 prints as it is
                        "outputs/back\\slash.png",
                        "$'outputs/img\\377.png'",
                        "$'outputs/it\\'s \\033[31m.png'"); // no escape sequence reaches the terminal
        // what ls prints for a name it quotes, pasted into a shell, names the very file
        for (FileEntry e : files) {
            String quoted = NameOutput.shell(e.path());
            if (!quoted.startsWith("$'")) {
                continue; // printed as it is
            }
            String script = "cat -- " + quoted;
            Process p = new ProcessBuilder("bash", "-c", script)
                    .directory(tmp.toFile())
                    .start();
            byte[] got = p.getInputStream().readAllBytes();
            assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(got).as(script).isEqualTo(Files.readAllBytes(Names.resolve(tmp, e.path())));
        }

        // 'backup sums' as the CLI writes it (exact bytes), checked by sha256sum in a restore
        Path target = tmp.resolve("target");
        v.restore("latest", List.of(), target, false);
        Path sums = tmp.resolve("SHA256SUMS");
        try (java.io.Writer w = NameOutput.bytes(Files.newOutputStream(sums))) {
            for (String line : v.sums("latest")) {
                w.write(line + "\n");
            }
        }
        Process check = new ProcessBuilder("sha256sum", "-c", sums.toString())
                .directory(target.toFile())
                .redirectErrorStream(true)
                .start();
        String out = new String(check.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(check.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(check.exitValue()).as(out).isZero();
        assertThat(out.lines()).hasSize(5).allMatch(l -> l.endsWith(": OK"));
    }

    @Test
    void theDrillDecodesAnImageWhoseNameIsNotUtf8() throws Exception {
        Fixtures.write(src().resolve("pic.png"), Fixtures.png(8, 1));
        sh(src(), "mv pic.png \"$(printf 'pic\\377.png')\"");
        Vault v = Fixtures.vault(Fixtures.spec(repo(), src()));
        v.backup();
        DrillResult d = v.drill(Files.createDirectories(tmp.resolve("scratch")));
        assertThat(d.problems()).isEmpty();
        assertThat(d.images()).isEqualTo(1);
    }

    @Test
    void aPathLongerThanPathMaxIsSkippedWithAWarningAndTheRestIsBackedUp() throws Exception {
        Fixtures.outputs(src(), 4, 1);
        String seg = "n".repeat(200);
        // 22 folders of 200 characters: past PATH_MAX (4096); the shell gets there by relative cd
        sh(
                src(),
                "for i in $(seq 22); do mkdir " + seg + " && cd -P " + seg
                        + " || exit 1; done; printf deep > deep.txt");
        try {
            Fixtures.Recorder rec = new Fixtures.Recorder();
            Vault v = Fixtures.vault(Fixtures.spec(repo(), src()), rec);
            BackupResult r = v.backup();
            assertThat(r.snapshot()).isNotNull();
            assertThat(v.ls("latest", ""))
                    .extracting(FileEntry::path)
                    .hasSize(4)
                    .allMatch(p -> p.endsWith(".png"));
            assertThat(rec.events)
                    .filteredOn(e -> e.type().equals("skipped"))
                    .isNotEmpty()
                    .allSatisfy(
                            e -> assertThat(e.message()).contains("PATH_MAX").contains(seg));
        } finally {
            sh(src(), "rm -rf " + seg); // (JUnit's clean-up cannot delete past PATH_MAX)
        }
    }

    @Test
    void theWatchersJournalKeepsNamesThatAreNotUtf8() throws Exception {
        Vault v = Fixtures.vault(Fixtures.spec(repo(), src()));
        v.repository().create();
        String odd = "outputs/" + Names.decode(new byte[] {'i', (byte) 0xff, '.', 'p', 'n', 'g'});
        String sha = "ab".repeat(32);
        v.repository().journal().append(List.of(new FileEntry(odd, 1, 2, 0644, sha)));
        assertThat(v.repository().journal().read()).extracting(FileEntry::path).containsExactly(odd);
    }

    @Test
    void namesRoundTripThroughTheirString() {
        byte[][] names = {
            "plain.png".getBytes(StandardCharsets.UTF_8),
            "日本.png".getBytes(StandardCharsets.UTF_8),
            {'a', (byte) 0xff, 'b'},
            {(byte) 0xed, (byte) 0xb3, (byte) 0xbf}, // UTF-8 of a lone surrogate: not valid UTF-8
            {(byte) 0xc3}, // a cut sequence
        };
        for (byte[] n : names) {
            assertThat(Names.encode(Names.decode(n))).isEqualTo(n);
        }
        assertThat(Names.decode(new byte[] {'a', (byte) 0xff}))
                .isNotEqualTo(Names.decode(new byte[] {'a', (byte) 0xfe}));
        assertThat(Names.resolve(Path.of("/x"), "plain/a.png")).isEqualTo(Path.of("/x/plain/a.png"));
        assertThat(Names.resolve(Path.of("/x"), Names.decode(new byte[] {'a', (byte) 0xff}))
                        .toUri())
                .isEqualTo(URI.create("file:///x/a%FF"));
        Path element = Names.element(Names.decode(new byte[] {'a', (byte) 0xff}));
        assertThat(element.isAbsolute()).isFalse();
        assertThat(Path.of("/x").resolve(element).toUri()).isEqualTo(URI.create("file:///x/a%FF"));
    }
}
