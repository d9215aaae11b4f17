package dev.lifeline.cli;

import dev.lifeline.backup.BackupResult;
import dev.lifeline.backup.PushResult;
import dev.lifeline.backup.Vault;
import dev.lifeline.core.EventListener;
import java.io.PrintWriter;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(
        name = "now",
        description =
                "Scan the sources, store what changed and cut a snapshot; then mirror it if a remote is configured.")
final class BackupNowCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--no-push", description = "Do not upload to the remote this time.")
    boolean noPush;

    @Option(
            names = {"-q", "--quiet"},
            description = "Print only the result line.")
    boolean quiet;

    @Override
    public Integer call() {
        return run(
                Context.configPath(spec),
                quiet,
                noPush,
                spec.commandLine().getOut(),
                spec.commandLine().getErr());
    }

    /** The events whose news the result lines below print (once, on stdout). */
    static final Set<String> RESULT_EVENTS = Set.of("snapshot", "pushed");

    /** Progress without the events that repeat the result: it is printed once, on stdout. */
    static EventListener withoutResults(EventListener progress) {
        return e -> {
            if (!RESULT_EVENTS.contains(e.type())) {
                progress.onEvent(e);
            }
        };
    }

    /** The command itself; also called without picocli by {@link Main} for the plain form. */
    static int run(java.nio.file.Path config, boolean quiet, boolean noPush, PrintWriter out, PrintWriter err) {
        Vault v = Vault.open(
                BackupCommand.spec(dev.lifeline.config.LifelineConfig.load(config)),
                quiet ? EventListener.NONE : withoutResults(BackupCommand.progress(err)));
        BackupResult r = v.backup();
        if (r.unchanged()) {
            out.printf(
                    "no changes since snapshot %s (%s, %s) in %s%n",
                    r.parent(),
                    Plural.of(r.files(), "file"),
                    BackupCommand.size(r.bytes()),
                    BackupCommand.secs(r.took()));
        } else {
            out.printf(
                    "snapshot %s: %s, %s; %d read, %s (%s) in %s%n",
                    r.snapshot(),
                    Plural.of(r.files(), "file"),
                    BackupCommand.size(r.bytes()),
                    r.hashed(),
                    Plural.of(r.storedObjects(), "new object"),
                    BackupCommand.size(r.storedBytes()),
                    BackupCommand.secs(r.took()));
        }
        out.flush();
        if (v.hasRemote() && !noPush) {
            PushResult p = v.push();
            BackupCommand.printPush(out, p);
            if (!p.ok()) {
                throw new dev.lifeline.core.LifelineException(
                        "the upload to the remote was incomplete ("
                                + Plural.of(p.failures().size(), "failure") + ")",
                        "run 'lifeline backup push' to resume; local snapshots are safe");
            }
        }
        return 0;
    }
}
