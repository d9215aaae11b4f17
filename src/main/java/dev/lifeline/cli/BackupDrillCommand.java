package dev.lifeline.cli;

import dev.lifeline.backup.DrillResult;
import dev.lifeline.core.LifelineException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(
        name = "drill",
        description = "Restore the latest snapshot into a temp folder, check every hash, decode every image, report.")
final class BackupDrillCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(
            names = "--scratch",
            paramLabel = "DIR",
            description = "Where the temp folder goes (default: the system temp folder).")
    Path scratch = Path.of(System.getProperty("java.io.tmpdir"));

    @Override
    public Integer call() {
        DrillResult r = BackupCommand.vault(spec, false).drill(scratch);
        PrintWriter out = spec.commandLine().getOut();
        r.problems().forEach(p -> out.println("problem: " + p));
        out.printf(
                "drill of %s: %s — %s (%s) restored and hash-checked, %s decoded, in %s%n",
                r.snapshot(),
                r.ok() ? "PASSED" : "FAILED",
                Plural.of(r.files(), "file"),
                BackupCommand.size(r.bytes()),
                Plural.of(r.images(), "image"),
                BackupCommand.secs(r.took()));
        out.flush();
        if (!r.ok()) {
            throw new LifelineException(
                    "the restore drill found " + Plural.of(r.problems().size(), "problem"),
                    "run 'lifeline backup verify --read-data' for details");
        }
        return 0;
    }
}
