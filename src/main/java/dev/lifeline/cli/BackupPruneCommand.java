package dev.lifeline.cli;

import dev.lifeline.backup.PruneResult;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "prune", description = "Apply backup.retention: drop old snapshots and the objects only they used.")
final class BackupPruneCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--dry-run", description = "Only say what would go.")
    boolean dryRun;

    @Override
    public Integer call() {
        PruneResult r = BackupCommand.vault(spec, false).prune(dryRun);
        PrintWriter out = spec.commandLine().getOut();
        r.removed().forEach(id -> out.println((dryRun ? "would remove " : "removed ") + id));
        out.printf(
                "%s %d snapshot(s), kept %d; %s %d object(s), %s%n",
                dryRun ? "would remove" : "removed",
                r.removed().size(),
                r.kept().size(),
                dryRun ? "would delete" : "deleted",
                r.objectsDeleted(),
                BackupCommand.size(r.bytesFreed()));
        out.flush();
        return 0;
    }
}
