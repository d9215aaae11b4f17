package dev.lifeline.cli;

import dev.lifeline.backup.RestoreResult;
import dev.lifeline.backup.Vault;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(
        name = "restore",
        description = "Restore a snapshot (or some of its files) into a folder, checking every hash.")
final class BackupRestoreCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "SNAP", description = "Snapshot id, unique prefix, or 'latest'.")
    String snap;

    @Parameters(index = "1..*", arity = "0..*", paramLabel = "PATH|GLOB", description = "Only these files or folders.")
    List<String> patterns = new ArrayList<>();

    @Option(names = "--to", required = true, paramLabel = "DIR", description = "Target folder.")
    Path to;

    @Option(names = "--overwrite", description = "Replace files that already exist in the target.")
    boolean overwrite;

    @Option(
            names = "--from",
            paramLabel = "remote",
            description = "Read from the S3 remote (no local repository needed).")
    String from;

    @Option(
            names = {"-q", "--quiet"},
            description = "Print only the result line.")
    boolean quiet;

    @Override
    public Integer call() {
        boolean remote = BackupCommand.fromRemote(from);
        Vault v = BackupCommand.vault(spec, quiet);
        RestoreResult r =
                remote ? v.restoreFromRemote(snap, patterns, to, overwrite) : v.restore(snap, patterns, to, overwrite);
        spec.commandLine()
                .getOut()
                .printf(
                        "restored %s (%s) of snapshot %s into %s in %s; every SHA-256 checked%n",
                        Plural.of(r.files(), "file"),
                        BackupCommand.size(r.bytes()),
                        r.snapshot(),
                        r.target(),
                        BackupCommand.secs(r.took()));
        spec.commandLine().getOut().flush();
        return 0;
    }
}
