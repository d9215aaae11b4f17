package dev.lifeline.cli;

import dev.lifeline.backup.PushResult;
import dev.lifeline.core.LifelineException;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

@Command(name = "push", description = "Mirror snapshots to the S3 remote, resuming an interrupted upload.")
final class BackupPushCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        PushResult p = BackupCommand.vault(spec, false).push();
        PrintWriter out = spec.commandLine().getOut();
        out.printf(
                "mirrored %d snapshot(s), %d object(s) (%s), %d already there, in %s%n",
                p.snapshotsUploaded(),
                p.objectsUploaded(),
                BackupCommand.size(p.bytesUploaded()),
                p.objectsPresent(),
                BackupCommand.secs(p.took()));
        p.failures().forEach(f -> out.println("  failed: " + f));
        out.flush();
        if (!p.ok()) {
            throw new LifelineException("the upload was incomplete", "run 'lifeline backup push' again to resume");
        }
        return 0;
    }
}
