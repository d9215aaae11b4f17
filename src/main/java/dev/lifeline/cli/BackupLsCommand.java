package dev.lifeline.cli;

import dev.lifeline.backup.FileEntry;
import java.io.PrintWriter;
import java.time.Instant;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
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

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        for (FileEntry f : BackupCommand.vault(spec, true).ls(snap, path)) {
            Instant t = Instant.ofEpochSecond(0, f.mtimeNanos());
            out.printf("%04o %12d %s %s%n", f.mode(), f.size(), t.toString().substring(0, 19), f.path());
        }
        out.flush();
        return 0;
    }
}
