package dev.lifeline.cli;

import dev.lifeline.backup.DiffResult;
import dev.lifeline.backup.NameOutput;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "diff", description = "Show files added (+), removed (-) and changed (M) between two snapshots.")
final class BackupDiffCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "A", description = "The older snapshot: id, unique prefix, or 'latest'.")
    String a;

    @Parameters(index = "1", paramLabel = "B", description = "The newer snapshot: id, unique prefix, or 'latest'.")
    String b;

    @Override
    public Integer call() {
        DiffResult d = BackupCommand.vault(spec, true).diff(a, b);
        PrintWriter out = spec.commandLine().getOut();
        d.added().forEach(p -> out.println("+ " + NameOutput.shell(p)));
        d.removed().forEach(p -> out.println("- " + NameOutput.shell(p)));
        d.changed().forEach(p -> out.println("M " + NameOutput.shell(p)));
        out.printf(
                "%s → %s: %d added, %d removed, %d changed%n",
                d.from(),
                d.to(),
                d.added().size(),
                d.removed().size(),
                d.changed().size());
        out.flush();
        return 0;
    }
}
