package dev.lifeline.cli;

import dev.lifeline.backup.PruneResult;
import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(
        name = "prune",
        description = "Apply backup.retention: drop old snapshots and the objects only they used, locally and"
                + " then in the S3 remote when one is configured.")
final class BackupPruneCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--dry-run", description = "Only say what would go.")
    boolean dryRun;

    @Option(names = "--local-only", description = "Leave the S3 remote as it is.")
    boolean localOnly;

    @Option(names = "--json", description = "Print the result as JSON.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        PruneResult r = BackupCommand.vault(spec, json).prune(dryRun, localOnly);
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            Map<String, Object> m = fields(r);
            m.put("remote", r.remote().map(BackupPruneCommand::fields).orElse(null));
            out.println(BackupCommand.Json.MAPPER.writeValueAsString(m));
        } else {
            print(out, "", r);
            r.remote().ifPresent(remote -> print(out, "remote: ", remote));
        }
        out.flush();
        return 0;
    }

    private static Map<String, Object> fields(PruneResult r) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("dryRun", r.dryRun());
        m.put("kept", r.kept());
        m.put("removed", r.removed());
        m.put("objectsDeleted", r.objectsDeleted());
        m.put("bytesFreed", r.bytesFreed());
        m.put("recentKept", r.recentKept());
        return m;
    }

    private void print(PrintWriter out, String where, PruneResult r) {
        r.removed().forEach(id -> out.println(where + (dryRun ? "would remove " : "removed ") + id));
        out.printf(
                "%s%s %s, kept %d; %s %s, %s%n",
                where,
                dryRun ? "would remove" : "removed",
                Plural.of(r.removed().size(), "snapshot"),
                r.kept().size(),
                dryRun ? "would delete" : "deleted",
                Plural.of(r.objectsDeleted(), "object"),
                BackupCommand.size(r.bytesFreed()));
        if (r.recentKept() > 0) {
            out.printf(
                    "%skept %s: a push elsewhere may still be uploading; a later prune"
                            + " removes them if they stay unreferenced%n",
                    where, Plural.of(r.recentKept(), "recent unreferenced object"));
        }
    }
}
