package dev.lifeline.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Where the home is, and that it is used only when it is ours. */
class HomeTest {
    @TempDir
    Path tmp;

    @Test
    void followsHomeLikeEveryUnixToolUnlessLifelineHomeSaysOtherwise() {
        Path dataDisk = tmp.resolve("data/alice");

        assertThat(Home.fromEnvironment(Map.of("HOME", dataDisk.toString())).root())
                .isEqualTo(dataDisk.resolve(".lifeline"));
        assertThat(Home.fromEnvironment(Map.of("HOME", dataDisk.toString(), "LIFELINE_HOME", tmp + "/lh"))
                        .root())
                .isEqualTo(tmp.resolve("lh"));
        assertThat(Home.fromEnvironment(Map.of()).root())
                .isEqualTo(Path.of(System.getProperty("user.home"), ".lifeline"));
        assertThat(Home.fromEnvironment(Map.of("HOME", "relative/dir")).root())
                .as("a relative $HOME is not a home")
                .isEqualTo(Path.of(System.getProperty("user.home"), ".lifeline"));
    }

    @Test
    void createsItsFoldersPrivate() throws IOException {
        Home h = new Home(tmp.resolve("a/b/home")).ensure();

        for (Path p : new Path[] {h.root(), h.logs(), h.run()}) {
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(p)))
                    .isEqualTo("rwx------");
        }
    }

    @Test
    void narrowsAFolderOthersCanReadButNotWrite() throws IOException {
        Path root = Files.createDirectory(
                tmp.resolve("home"),
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
        Files.setPosixFilePermissions(root, PosixFilePermissions.fromString("rwxr-xr-x"));

        new Home(root).ensure();

        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(root)))
                .isEqualTo("rwx------");
    }

    @Test
    void refusesAHomeOthersCanWriteToAndSaysHowToFixIt() throws IOException {
        for (String mode : new String[] {"rwxrwx---", "rwx---rwx", "rwxrwxrwx"}) {
            Path root = Files.createDirectories(tmp.resolve("home-" + mode.hashCode()));
            Files.setPosixFilePermissions(root, PosixFilePermissions.fromString(mode));

            assertThatThrownBy(() -> new Home(root).ensure())
                    .isInstanceOf(LifelineException.class)
                    .hasMessageContaining("refusing to use Lifeline's state folder " + root)
                    .hasMessageContaining("can be written by")
                    .satisfies(e -> assertThat(((LifelineException) e).hint()).contains("chmod 700 " + root));
            assertThat(root.resolve("run"))
                    .as("nothing is created in a refused home")
                    .doesNotExist();
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(root)))
                    .as("and its mode is left as it was")
                    .isEqualTo(mode);
        }
    }

    @Test
    void refusesAGroupWritableRunFolder() throws IOException {
        Home h = new Home(tmp.resolve("home")).ensure();
        Files.setPosixFilePermissions(h.run(), PosixFilePermissions.fromString("rwxrwx---"));

        assertThatThrownBy(h::ensure)
                .isInstanceOf(LifelineException.class)
                .hasMessageContaining(h.run() + " (in Lifeline's state folder): it can be written by its group");
    }

    @Test
    void refusesALinkInPlaceOfItsLogsOrRunFolder() throws IOException {
        Path elsewhere = Files.createDirectory(tmp.resolve("elsewhere"));
        Home h = new Home(tmp.resolve("home"));
        Files.createDirectory(h.root());
        Files.createSymbolicLink(h.logs(), elsewhere);

        assertThatThrownBy(h::ensure)
                .isInstanceOf(LifelineException.class)
                .hasMessageContaining(h.logs() + " (in Lifeline's state folder): it is a symbolic link");
        assertThat(h.run()).doesNotExist();
    }

    @Test
    void acceptsAHomeThatIsTheUsersOwnLinkToADataDisk() throws IOException {
        Path disk = Files.createDirectory(tmp.resolve("disk"));
        Path link = Files.createSymbolicLink(tmp.resolve("home"), disk);

        new Home(link).ensure();

        assertThat(disk.resolve("run")).isDirectory();
    }

    @Test
    void refusesAHomeOwnedByAnotherUser() throws Exception {
        int other = SecondUser.uid();
        Path root = Files.createDirectory(tmp.resolve("home"));
        Files.setAttribute(root, "unix:uid", other);

        assertThatThrownBy(() -> new Home(root).ensure())
                .isInstanceOf(LifelineException.class)
                .hasMessageContaining("refusing to use Lifeline's state folder " + root + ": it belongs to user "
                        + SecondUser.NAME + ", not to you")
                .satisfies(e -> assertThat(((LifelineException) e).hint())
                        .as("root is not told to take a user's folder (sudo -E keeps their $HOME)")
                        .doesNotContain("chown")
                        .contains("run lifeline as the user it belongs to")
                        .contains("LIFELINE_HOME=/root/.lifeline"));
        assertThat(root.resolve("run")).doesNotExist();
    }

    @Test
    void refusesAHomeAnotherUserPreparedInASharedFolder() throws Exception {
        SecondUser.uid();
        // /tmp-like: world-writable and sticky; the other user gets there first
        Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwx--x--x"));
        Path shared = Files.createDirectory(tmp.resolve("shared"));
        assertThat(dev.lifeline.process.Exec.of("chmod", "1777", shared.toString())
                        .run()
                        .ok())
                .isTrue();
        Path home = shared.resolve("lifeline");
        SecondUser.run("mkdir", "-m", "700", home.toString());
        SecondUser.run("ln", "-s", "/etc", home + "-link");

        assertThatThrownBy(() -> new Home(home).ensure()).hasMessageContaining("belongs to user " + SecondUser.NAME);
        assertThatThrownBy(() -> new Home(Path.of(home + "-link")).ensure())
                .hasMessageContaining("is a symbolic link made by user " + SecondUser.NAME + ", not by you");
    }

    @Test
    void aLinkPlantedAtAStateFileOrItsTempNameNeverReceivesTheSecrets() throws IOException {
        Home h = new Home(tmp.resolve("home")).ensure();
        Path victim = Files.writeString(tmp.resolve("victim"), "untouched");
        Path target = h.appliedConfig();
        Files.createSymbolicLink(target.resolveSibling(target.getFileName() + ".tmp"), victim);
        Files.createSymbolicLink(target, victim);

        Home.writePrivate(target, "{\"env\":{\"HF_TOKEN\":\"hf_secret\"}}");

        assertThat(victim).hasContent("untouched");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(victim)))
                .isNotEqualTo("rw-------");
        assertThat(Files.isSymbolicLink(target)).isFalse();
        assertThat(target).hasContent("{\"env\":{\"HF_TOKEN\":\"hf_secret\"}}");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(target, LinkOption.NOFOLLOW_LINKS)))
                .isEqualTo("rw-------");
        try (var s = Files.list(h.root())) {
            assertThat(s.map(p -> p.getFileName().toString()))
                    .as("no temp file is left")
                    .containsExactlyInAnyOrder("logs", "run", "applied.json", "applied.json.tmp");
        }
    }

    @Test
    void aLogIsCreatedPrivateAndALinkInItsPlaceIsRefused() throws IOException {
        Path log = tmp.resolve("app.log");
        PrivateFiles.createLog(log);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(log)))
                .isEqualTo("rw-------");
        PrivateFiles.createLog(log); // there already: fine

        Path victim = Files.writeString(tmp.resolve("victim"), "x");
        Path planted = Files.createSymbolicLink(tmp.resolve("planted.log"), victim);
        assertThatThrownBy(() -> PrivateFiles.createLog(planted))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("is a symbolic link");
    }
}
