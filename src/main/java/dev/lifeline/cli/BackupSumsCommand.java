package dev.lifeline.cli;

import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(
        name = "sums",
        description = "Print a snapshot in 'sha256sum -c' format; check a restore with: cd DIR && sha256sum -c FILE.")
final class BackupSumsCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "SNAP", description = "Snapshot id, unique prefix, or 'latest'.")
    String snap;

    /** Names that are not UTF-8 come out as their exact bytes (see {@code Main.run}), as sha256sum -c needs. */
    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        BackupCommand.vault(spec, true).sums(snap).forEach(out::println);
        out.flush();
        return 0;
    }
}
