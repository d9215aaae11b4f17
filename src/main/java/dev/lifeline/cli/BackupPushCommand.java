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
        BackupCommand.printPush(out, p);
        if (!p.ok()) {
            throw new LifelineException("the upload was incomplete", "run 'lifeline backup push' again to resume");
        }
        return 0;
    }
}
