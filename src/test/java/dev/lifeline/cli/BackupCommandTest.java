package dev.lifeline.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class BackupCommandTest {
    @TempDir
    Path tmp;

    record Run(int status, String out, String err) {}

    Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cl = Main.commandLine(args);
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        cl.setExecutionExceptionHandler((e, c, p) -> {
            c.getErr().println("lifeline: " + e.getMessage());
            return 1;
        });
        int status = cl.execute(args);
        return new Run(status, out.toString(), err.toString());
    }

    Run fast(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        Integer status = Main.fast(args, new PrintWriter(out), new PrintWriter(err));
        return status == null ? null : new Run(status, out.toString(), err.toString());
    }

    @Test
    void thePlainBackupNowSkipsPicocliAndSaysTheSame() throws Exception {
        Path src = Files.createDirectories(tmp.resolve("outputs"));
        Files.writeString(src.resolve("a.txt"), "one");
        Path cfg = Files.writeString(
                tmp.resolve("lifeline.yaml"), "backup:\n  repository: ./vault\n  sources: [./outputs]\n");
        String c = cfg.toString();

        Run first = fast("-c", c, "backup", "now", "-q", "--no-push");
        assertThat(first).isNotNull();
        assertThat(first.status()).as(first.err()).isZero();
        assertThat(first.out()).startsWith("snapshot ").contains("1 file,");
        Run again = fast("--config", c, "backup", "now");
        assertThat(again.out()).startsWith("no changes since snapshot");
        Run viaPicocli = run("-c", c, "backup", "now");
        assertThat(viaPicocli.out().replaceAll("in [0-9.]+s", ""))
                .as("picocli's path prints the same")
                .isEqualTo(again.out().replaceAll("in [0-9.]+s", ""));

        Run broken = fast("-c", tmp.resolve("missing.yaml").toString(), "backup", "now");
        assertThat(broken.status()).isEqualTo(2);
        assertThat(broken.err()).startsWith("lifeline: ");

        // any other shape is left to picocli (help, options, typos)
        assertThat(fast("-c", c, "backup", "now", "--help")).isNull();
        assertThat(fast("-c", c, "backup", "nwo")).isNull();
        assertThat(fast("backup", "now", "-c", c)).isNull();
        assertThat(fast("status", "--jsn")).isNull();
    }

    @Test
    void backupNowSnapshotsJsonRestoreAndSumsWorkWithoutADaemon() throws Exception {
        Path src = Files.createDirectories(tmp.resolve("outputs/2026-01-05"));
        Files.writeString(src.resolve("a.txt"), "first image's prompt");
        Files.writeString(src.resolve("b.tmp"), "partial");
        Path cfg = Files.writeString(
                tmp.resolve("lifeline.yaml"),
                "backup:\n  repository: ./vault\n  sources: [./outputs]\n  exclude: [\"*.tmp\"]\n");
        String c = cfg.toString();

        Run now = run("-c", c, "backup", "now");
        assertThat(now.status()).as(now.err()).isZero();
        assertThat(now.out()).startsWith("snapshot ").contains("1 file,");

        Run again = run("-c", c, "backup", "now");
        assertThat(again.out()).startsWith("no changes since snapshot");

        Run json = run("-c", c, "backup", "snapshots", "--json");
        JsonNode list = new ObjectMapper().readTree(json.out());
        assertThat(list).hasSize(1);
        assertThat(list.get(0).fieldNames()).toIterable().contains("id", "time", "files", "bytes");
        assertThat(list.get(0).get("files").asInt()).isEqualTo(1);

        Run sums = run("-c", c, "backup", "sums", "latest");
        assertThat(sums.out()).matches("[0-9a-f]{64}  outputs/2026-01-05/a.txt\\n");

        Run restore = run(
                "-c",
                c,
                "backup",
                "restore",
                "latest",
                "--to",
                tmp.resolve("back").toString());
        assertThat(restore.status()).as(restore.err()).isZero();
        assertThat(tmp.resolve("back/outputs/2026-01-05/a.txt")).hasContent("first image's prompt");

        Run again2 = run(
                "-c",
                c,
                "backup",
                "restore",
                "latest",
                "--to",
                tmp.resolve("back").toString());
        assertThat(again2.status())
                .as("files already restored bit for bit are kept: " + again2.err())
                .isZero();
        assertThat(again2.out()).contains("1 already there, kept");

        Files.writeString(tmp.resolve("back/outputs/2026-01-05/a.txt"), "edited");
        Run refused = run(
                "-c",
                c,
                "backup",
                "restore",
                "latest",
                "--to",
                tmp.resolve("back").toString());
        assertThat(refused.status()).isEqualTo(1);
        assertThat(refused.err()).contains("already exist");

        Run verify = run("-c", c, "backup", "verify", "--read-data", "--json");
        assertThat(new ObjectMapper().readTree(verify.out()).get("ok").asBoolean())
                .isTrue();

        Run prune = run("-c", c, "backup", "prune", "--dry-run", "--json");
        assertThat(prune.status()).as(prune.err()).isZero();
        JsonNode pruned = new ObjectMapper().readTree(prune.out());
        assertThat(pruned.get("kept")).hasSize(1);
        assertThat(pruned.get("removed")).isEmpty();
        assertThat(pruned.get("remote").isNull()).as("no remote configured").isTrue();

        for (String cmd : new String[] {"snapshots", "ls", "verify"}) {
            Run bad = cmd.equals("ls")
                    ? run("-c", c, "backup", cmd, "latest", "--from", "s3")
                    : run("-c", c, "backup", cmd, "--from", "s3");
            assertThat(bad.status()).as(cmd).isEqualTo(1);
            assertThat(bad.err()).contains("--from accepts only 'remote'");
        }
        Run noRemote = run("-c", c, "backup", "ls", "latest", "--from", "remote");
        assertThat(noRemote.status()).isEqualTo(1);
        assertThat(noRemote.err()).contains("no remote is configured");
    }
}
