package dev.lifeline.dashboard;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DashboardTokenTest {
    @TempDir
    Path home;

    @Test
    void theTokenIsPrivateStableAndMadeAgainWhenOthersCouldHaveReadIt() throws Exception {
        DashboardToken a = DashboardToken.loadOrCreate(home);
        Path file = home.resolve(DashboardToken.FILE);
        assertThat(a.value()).matches("[0-9a-f]{64}");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file)))
                .isEqualTo("rw-------");
        assertThat(DashboardToken.loadOrCreate(home).value()).isEqualTo(a.value());
        assertThat(a.matches(a.value())).isTrue();
        assertThat(a.matches(a.value().substring(1) + "0")).isFalse();
        assertThat(a.matches(null)).isFalse();

        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
        DashboardToken b = DashboardToken.loadOrCreate(home);
        assertThat(b.value()).as("a token others could read is replaced").isNotEqualTo(a.value());
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file)))
                .isEqualTo("rw-------");
    }

    @Test
    void aLinkInPlaceOfTheTokenIsReplacedNotFollowed() throws Exception {
        Path elsewhere = home.resolve("victim");
        Files.writeString(elsewhere, "keep me\n");
        Files.setPosixFilePermissions(elsewhere, PosixFilePermissions.fromString("rw-------"));
        Files.createSymbolicLink(home.resolve(DashboardToken.FILE), elsewhere);

        DashboardToken t = DashboardToken.loadOrCreate(home);

        assertThat(Files.readString(elsewhere)).isEqualTo("keep me\n");
        assertThat(Files.isSymbolicLink(home.resolve(DashboardToken.FILE))).isFalse();
        assertThat(Files.readString(home.resolve(DashboardToken.FILE)).strip()).isEqualTo(t.value());
    }
}
