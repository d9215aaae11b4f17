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
                "drill of %s: %s — %d files (%s) restored and hash-checked, %d images decoded, in %s%n",
                r.snapshot(),
                r.ok() ? "PASSED" : "FAILED",
                r.files(),
                BackupCommand.size(r.bytes()),
                r.images(),
                BackupCommand.secs(r.took()));
        out.flush();
        if (!r.ok()) {
            throw new LifelineException(
                    "the restore drill found " + r.problems().size() + " problem(s)",
                    "run 'lifeline backup verify --read-data' for details");
        }
        return 0;
    }
}
