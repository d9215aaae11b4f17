package dev.lifeline.cli;

import dev.lifeline.backup.RestoreResult;
import dev.lifeline.backup.Vault;
import dev.lifeline.core.LifelineException;
import java.io.PrintWriter;
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
        PrintWriter out = spec.commandLine().getOut();
        for (RestoreResult.Unrestored u : r.unrestored()) {
            out.printf(
                    "not restored: %s: %s%s%n",
                    u.path(),
                    u.problem(),
                    u.neededBy().isEmpty() ? "" : "; the object is needed by " + String.join(", ", u.neededBy()));
        }
        out.printf(
                "restored %s (%s) of %s into %s in %s; every SHA-256 checked%s%s%n",
                Plural.of(r.files(), "file"),
                BackupCommand.size(r.bytes()),
                Vault.PENDING.equals(r.snapshot())
                        ? "the latest snapshot and the files stored since (pending)"
                        : "snapshot " + r.snapshot(),
                r.target(),
                BackupCommand.secs(r.took()),
                r.alreadyThere() == 0 ? "" : "; " + r.alreadyThere() + " already there, kept",
                r.leftoversRemoved() == 0
                        ? ""
                        : "; removed " + Plural.of(r.leftoversRemoved(), "temp file") + " of an interrupted restore");
        out.flush();
        if (!r.complete()) {
            throw new LifelineException(
                    Plural.of(r.unrestored().size(), "file") + " of snapshot " + r.snapshot()
                            + " could not be restored (listed" + " above); the other " + (r.files() + r.alreadyThere())
                            + " are",
                    remote
                            ? "restore them from the local repository, or from an older snapshot"
                            : "run 'lifeline backup repair' to store their objects again from the sources, then this"
                                    + " restore again (it keeps what is there); or restore them with --from remote");
        }
        return 0;
    }
}
