package dev.lifeline.boot;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BootServiceTest {
    @TempDir
    Path tmp;

    private Path units;
    private Path calls;
    private Path systemctl;

    /**
     * A stand-in systemctl that records each call, one per line, and keeps what enable, disable,
     * start and stop did (in marker files next to it), so is-enabled and is-active answer — with
     * systemctl's exit codes — what the calls so far made true, not a fixed "active".
     */
    @BeforeEach
    void standInSystemctl() throws IOException {
        units = tmp.resolve("units");
        calls = tmp.resolve("calls.txt");
        systemctl = tmp.resolve("systemctl");
        Path state = Files.createDirectories(tmp.resolve("systemctl-state"));
        Files.writeString(systemctl, """
                #!/bin/sh
                echo "$*" >> '%s'
                state='%s'
                units='%s'
                [ "$1" = --user ] && shift
                verb=$1; shift
                now=no
                [ "$1" = --now ] && { now=yes; shift; }
                unit=$1
                case "$verb" in
                  enable) touch "$state/$unit.enabled"; [ $now = yes ] && touch "$state/$unit.active" ;;
                  disable) rm -f "$state/$unit.enabled"; [ $now = yes ] && rm -f "$state/$unit.active" ;;
                  start|restart) touch "$state/$unit.active" ;;
                  stop) rm -f "$state/$unit.active" ;;
                  is-enabled)
                    if [ -e "$state/$unit.enabled" ]; then echo enabled; exit 0; fi
                    if [ -e "$units/$unit" ]; then echo disabled; else echo not-found; fi
                    exit 1 ;;
                  is-active)
                    if [ -e "$state/$unit.active" ]; then echo active; exit 0; fi
                    echo inactive; exit 3 ;;
                esac
                exit 0
                """.formatted(calls, state, units));
        Files.setPosixFilePermissions(systemctl, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    private BootService service(Platform platform, boolean user) {
        List<String> control = user ? List.of(systemctl.toString(), "--user") : List.of(systemctl.toString());
        return new BootService(new BootService.Settings(
                platform,
                user,
                List.of("/usr/lib/jvm/java 17/bin/java", "-jar", "/opt/lifeline/lifeline.jar", "daemon"),
                Path.of("/root/.lifeline"),
                units,
                control));
    }

    private List<String> calls() throws IOException {
        return Files.exists(calls) ? Files.readAllLines(calls) : List.of();
    }

    @Test
    void writesAUnitThatNeverKillsTheAppsAndEnablesIt() throws IOException {
        BootService.Result r = service(Platform.SYSTEMD, false).install(false, false);
        assertThat(r.change()).isEqualTo(BootService.Change.CREATED);
        assertThat(r.ok()).isTrue();
        Path unit = units.resolve("lifeline.service");
        String text = Files.readString(unit);
        assertThat(text)
                .contains("ExecStart=\"/usr/lib/jvm/java 17/bin/java\" -jar /opt/lifeline/lifeline.jar daemon\n")
                .contains("KillMode=process\n")
                .contains("Restart=on-failure\n")
                .contains("Environment=LIFELINE_HOME=/root/.lifeline\n")
                .contains("WantedBy=multi-user.target\n");
        assertThat(r.content()).isEqualTo(text);
        assertThat(calls()).containsExactly("daemon-reload", "enable --now lifeline.service");
    }

    @Test
    void installingTwiceChangesNothingTheSecondTime() throws IOException {
        service(Platform.SYSTEMD, false).install(false, false);
        Path unit = units.resolve("lifeline.service");
        var before = Files.getLastModifiedTime(unit);
        String text = Files.readString(unit);
        BootService.Result again = service(Platform.SYSTEMD, false).install(false, false);
        assertThat(again.change()).isEqualTo(BootService.Change.UNCHANGED);
        assertThat(Files.readString(unit)).isEqualTo(text);
        assertThat(Files.getLastModifiedTime(unit)).isEqualTo(before);
        assertThat(calls())
                .containsExactly("daemon-reload", "enable --now lifeline.service", "enable --now lifeline.service");
    }

    @Test
    void aUserUnitTargetsTheUserSessionAndMentionsLingering() throws IOException {
        BootService.Result r = service(Platform.SYSTEMD, true).install(false, false);
        assertThat(r.content()).contains("WantedBy=default.target");
        assertThat(r.notes()).anySatisfy(n -> assertThat(n).contains("loginctl enable-linger"));
        assertThat(calls()).containsExactly("--user daemon-reload", "--user enable --now lifeline.service");
    }

    @Test
    void doesNotStartASecondDaemonWhenOneIsRunning() throws IOException {
        BootService.Result r = service(Platform.SYSTEMD, false).install(false, true);
        assertThat(calls()).containsExactly("daemon-reload", "enable lifeline.service");
        assertThat(r.notes()).anySatisfy(n -> assertThat(n).contains("already running"));
    }

    @Test
    void aDryRunWritesAndRunsNothing() throws IOException {
        BootService.Result r = service(Platform.SYSTEMD, false).install(true, false);
        assertThat(r.change()).isEqualTo(BootService.Change.WOULD_WRITE);
        assertThat(r.content()).contains("KillMode=process");
        assertThat(units).doesNotExist();
        assertThat(calls()).isEmpty();
        assertThat(r.notes()).anySatisfy(n -> assertThat(n).contains("enable --now lifeline.service"));
    }

    @Test
    void uninstallDisablesAndRemovesTheUnit() throws IOException {
        service(Platform.SYSTEMD, false).install(false, false);
        BootService.Result r = service(Platform.SYSTEMD, false).uninstall(false);
        assertThat(r.change()).isEqualTo(BootService.Change.REMOVED);
        assertThat(units.resolve("lifeline.service")).doesNotExist();
        assertThat(calls()).endsWith("disable --now lifeline.service", "daemon-reload");
        assertThat(service(Platform.SYSTEMD, false).uninstall(false).change()).isEqualTo(BootService.Change.ABSENT);
    }

    @Test
    void statusSaysWhetherTheUnitIsInstalledCurrentAndRunning() throws IOException {
        BootService s = service(Platform.SYSTEMD, false);
        BootService.Status before = s.status();
        assertThat(before.installed()).isFalse();
        assertThat(before.enabled()).isEqualTo("not-found");
        assertThat(before.active()).isEqualTo("inactive");

        s.install(false, false);
        BootService.Status st = s.status();
        assertThat(st.installed()).isTrue();
        assertThat(st.current()).isTrue();
        assertThat(st.enabled()).isEqualTo("enabled");
        assertThat(st.active()).isEqualTo("active");

        Files.writeString(units.resolve("lifeline.service"), "[Service]\nExecStart=/old/lifeline daemon\n");
        assertThat(s.status().current()).isFalse();
        assertThat(s.status().notes()).anySatisfy(n -> assertThat(n).contains("differs"));

        s.uninstall(false);
        BootService.Status after = s.status();
        assertThat(after.installed()).isFalse();
        assertThat(after.enabled()).isEqualTo("not-found");
        assertThat(after.active()).isEqualTo("inactive");
    }

    @Test
    void aUnitEnabledBesideARunningDaemonIsEnabledButNotActive() {
        BootService s = service(Platform.SYSTEMD, false);
        s.install(false, true); // a daemon already runs: enable for the next boot, start nothing
        BootService.Status st = s.status();
        assertThat(st.enabled()).isEqualTo("enabled");
        assertThat(st.active()).isEqualTo("inactive");
    }

    @Test
    void withoutSystemdOffersACronLineInstead() throws IOException {
        BootService.Result r = service(Platform.NONE, false).install(false, false);
        assertThat(r.change()).isEqualTo(BootService.Change.NOT_SUPPORTED);
        assertThat(r.ok()).isFalse();
        assertThat(units).doesNotExist();
        assertThat(r.notes()).anySatisfy(n -> assertThat(n).contains("does not run systemd"));
        assertThat(r.notes())
                .anySatisfy(
                        n -> assertThat(n)
                                .contains(
                                        "@reboot LIFELINE_HOME=/root/.lifeline '/usr/lib/jvm/java 17/bin/java' -jar /opt/lifeline/lifeline.jar daemon >> /root/.lifeline/logs/daemon.out 2>&1"));
        assertThat(calls()).isEmpty();
    }

    @Test
    void onMacOsWritesALaunchAgentThatAbandonsTheApps() throws IOException {
        BootService.Result r = service(Platform.LAUNCHD, true).install(false, false);
        Path plist = units.resolve("dev.lifeline.daemon.plist");
        assertThat(plist).exists();
        assertThat(Files.readString(plist))
                .contains("<string>dev.lifeline.daemon</string>")
                .contains("<string>/opt/lifeline/lifeline.jar</string>")
                .contains("<key>AbandonProcessGroup</key>\n  <true/>")
                .contains("<key>RunAtLoad</key>");
        assertThat(r.change()).isEqualTo(BootService.Change.CREATED);
        assertThat(calls()).containsExactly("--user load -w " + plist);
    }

    @Test
    void escapesSystemdSpecialCharacters() {
        assertThat(Units.systemdWord("50%")).isEqualTo("50%%");
        assertThat(Units.systemdWord("a\"b c")).isEqualTo("\"a\\\"b c\"");
        assertThat(Units.systemdWord("$HOME")).isEqualTo("$$HOME");
    }

    @Test
    void theDaemonCommandEndsWithDaemon() {
        assertThat(Launch.daemonCommand()).last().isEqualTo("daemon");
    }
}
