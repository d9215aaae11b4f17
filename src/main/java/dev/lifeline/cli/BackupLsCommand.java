package dev.lifeline.cli;

import dev.lifeline.backup.FileEntry;
import dev.lifeline.backup.NameOutput;
import dev.lifeline.backup.Vault;
import java.io.PrintWriter;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "ls", description = "List the files of a snapshot, optionally under a folder or matching a glob.")
final class BackupLsCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "SNAP", description = "Snapshot id, unique prefix, or 'latest'.")
    String snap;

    @Parameters(index = "1", arity = "0..1", paramLabel = "PATH", description = "Folder prefix or glob.")
    String path;

    @Option(
            names = "--from",
            paramLabel = "remote",
            description = "Read the snapshot from the S3 remote (no local repository needed).")
    String from;

    @Override
    public Integer call() {
        boolean remote = BackupCommand.fromRemote(from);
        Vault v = BackupCommand.vault(spec, true);
        List<FileEntry> files = remote ? v.remoteLs(snap, path) : v.ls(snap, path);
        PrintWriter out = spec.commandLine().getOut();
        for (FileEntry f : files) {
            Instant t = Instant.ofEpochSecond(0, f.mtimeNanos());
            out.printf(
                    "%04o %12d %s %s%s%n",
                    f.mode(),
                    f.size(),
                    t.toString().substring(0, 19),
                    NameOutput.shell(f.path()),
                    f.link() == null ? "" : " -> " + NameOutput.shell(f.link()));
        }
        out.flush();
        return 0;
    }
}
