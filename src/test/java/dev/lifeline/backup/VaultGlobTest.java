package dev.lifeline.backup;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A glob selects the same files in {@code backup ls}/{@code restore} as it excludes in {@code backup.exclude}. */
class VaultGlobTest {
    @TempDir
    Path tmp;

    Path src() {
        return tmp.resolve("outputs");
    }

    Set<String> all() throws Exception {
        Fixtures.write(src().resolve("top.png"), Fixtures.png(8, 1));
        Fixtures.write(src().resolve("2026-01-05/a.png"), Fixtures.png(8, 2));
        Fixtures.write(src().resolve("2026-01-05/deep/b.png"), Fixtures.png(8, 3));
        Fixtures.write(src().resolve("2026-01-05/params.txt"), new byte[] {1});
        Fixtures.write(src().resolve("2026-01-06/c.PNG"), Fixtures.png(8, 4));
        Fixtures.write(src().resolve("cache/x.bin"), new byte[] {2});
        Vault v = Fixtures.vault(Fixtures.spec(tmp.resolve("all"), src()));
        v.backup();
        return paths(v.ls("latest", ""));
    }

    static Set<String> paths(List<FileEntry> files) {
        Set<String> s = new TreeSet<>();
        files.forEach(f -> s.add(f.path()));
        return s;
    }

    @Test
    void aGlobMeansTheSameInLsAndInExclude() throws Exception {
        Set<String> all = all();
        Vault v = Fixtures.vault(Fixtures.spec(tmp.resolve("all"), src()));
        int n = 0;
        for (String glob : List.of(
                "*.png", "2026-01-05/*.png", "2026-*/**", "cache", "{top,a}.png", "[ab].png", "*.[pP][nN][gG]")) {
            Set<String> listed = paths(v.ls("latest", glob));
            Vault excluding =
                    Fixtures.vault(Fixtures.spec(tmp.resolve("ex" + n++), src()).withExclude(List.of(glob)));
            excluding.backup();
            Set<String> kept = paths(excluding.ls("latest", ""));
            Set<String> excluded = new TreeSet<>(all);
            excluded.removeAll(kept);
            assertThat(listed)
                    .as("ls '%s' lists what exclude '%s' leaves out", glob, glob)
                    .isEqualTo(excluded);
        }
        assertThat(paths(v.ls("latest", "*.png")))
                .containsExactly("outputs/2026-01-05/a.png", "outputs/2026-01-05/deep/b.png", "outputs/top.png");
        assertThat(paths(v.ls("latest", "outputs/2026-01-05/*.png"))).containsExactly("outputs/2026-01-05/a.png");
    }
}
