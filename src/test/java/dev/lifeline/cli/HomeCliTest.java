package dev.lifeline.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lifeline.process.Exec;
import dev.lifeline.testing.TestTimes;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Where a real {@code lifeline} process keeps its state, and when it refuses to. */
class HomeCliTest {
    @TempDir
    Path tmp;

    private Exec.Result lifeline(Exec exec) throws Exception {
        return exec.timeout(TestTimes.APP).run();
    }

    private static Exec command(String... args) {
        List<String> argv = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:TieredStopAtLevel=1",
                "-cp",
                System.getProperty("java.class.path"),
                "dev.lifeline.cli.Main"));
        argv.addAll(List.of(args));
        return Exec.of(argv);
    }

    @Test
    void theStateFolderIsUnderHomeAsTheShellSetsIt() throws Exception {
        // $HOME on a data disk, as on shared GPU machines; the password file still says /root
        Path dataHome = Files.createDirectory(tmp.resolve("data-home"));
        Exec.Result r = lifeline(command("logs", "app")
                .env("HOME", dataHome.toString())
                .env("LIFELINE_HOME", "")
                .directory(tmp));

        assertThat(r.output()).contains("no log for 'app' at " + dataHome.resolve(".lifeline/logs/app.log"));
        assertThat(dataHome.resolve(".lifeline/run")).isDirectory();
    }

    @Test
    void aStateFolderOthersCanWriteToIsRefusedWithWhatToDo() throws Exception {
        Path shared = Files.createDirectory(tmp.resolve("shared"));
        Files.setPosixFilePermissions(shared, PosixFilePermissions.fromString("rwxrwxr-x"));
        Exec.Result r = lifeline(
                command("logs", "app").env("LIFELINE_HOME", shared.toString()).directory(tmp));

        assertThat(r.exitCode()).isNotZero();
        assertThat(r.output())
                .contains("refusing to use Lifeline's state folder " + shared + ": it can be written by its group")
                .contains("chmod 700 " + shared);
        assertThat(shared.resolve("logs")).doesNotExist();
    }
}
