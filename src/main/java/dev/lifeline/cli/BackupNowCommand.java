package dev.lifeline.cli;

import dev.lifeline.backup.BackupResult;
import dev.lifeline.backup.PushResult;
import dev.lifeline.backup.Vault;
import java.io.PrintWriter;
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
    /** What a C1-only JVM hashes itself (~1 s at worst) before handing over to C2. */
    static final long HASH_HERE = 64L << 20;

    static long hashHere() {
        String s = System.getenv("LIFELINE_HASH_HERE");
        return s == null ? HASH_HERE : Long.parseLong(s.trim());
    }

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
                spec.commandLine().getErr(),
                spec.root().commandLine().getParseResult().originalArgs());
    }

    /**
     * The command itself; also called without picocli by {@link Main} for the plain form.
     *
     * <p>The launcher starts {@code backup now} with the quick compiler only, which walks a large
     * unchanged tree ~25% faster, and names in {@code LIFELINE_HASH_JAVA_OPTS} the JVM options
     * under which SHA-256 uses the CPU's instructions (C2; C1 hashes at 60–90 MB/s). When the
     * walk finds more than {@link #HASH_HERE} bytes to read, nothing is stored here: the same
     * command runs again under those options (a JVM start and a walk, ~0.3 s, against seconds).
     */
    static int run(
            java.nio.file.Path config,
            boolean quiet,
            boolean noPush,
            PrintWriter out,
            PrintWriter err,
            java.util.List<String> args) {
        Vault v = Vault.open(
                BackupCommand.spec(dev.lifeline.config.LifelineConfig.load(config)),
                quiet ? dev.lifeline.core.EventListener.NONE : BackupCommand.progress(err));
        String hashOpts = System.getenv("LIFELINE_HASH_JAVA_OPTS");
        BackupResult r;
        try {
            r = v.backup(hashOpts == null || hashOpts.isBlank() ? Long.MAX_VALUE : hashHere());
        } catch (Vault.OverHashBudget over) {
            if (!quiet) {
                err.println(over.files() + " new or changed files (" + BackupCommand.size(over.bytes())
                        + "): hashing them in a JVM with the optimizing compiler");
                err.flush();
            }
            return FullJit.rerun(hashOpts, args);
        }
        if (r.unchanged()) {
            out.printf(
                    "no changes since snapshot %s (%d files, %s) in %s%n",
                    r.parent(), r.files(), BackupCommand.size(r.bytes()), BackupCommand.secs(r.took()));
        } else {
            out.printf(
                    "snapshot %s: %d files, %s; %d read, %d new objects (%s) in %s%n",
                    r.snapshot(),
                    r.files(),
                    BackupCommand.size(r.bytes()),
                    r.hashed(),
                    r.storedObjects(),
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
                                + p.failures().size() + " failure(s))",
                        "run 'lifeline backup push' to resume; local snapshots are safe");
            }
        }
        return 0;
    }
}
