package dev.lifeline.cli;

import dev.lifeline.backup.RepairResult;
import dev.lifeline.backup.VerifyResult;
import dev.lifeline.core.LifelineException;
import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(
        name = "repair",
        description = "Hash every object snapshots need, and store each missing or corrupt one again from a source"
                + " file that still has its content.")
final class BackupRepairCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--json", description = "Print the result as JSON.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        RepairResult r = BackupCommand.vault(spec, json).repair();
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("ok", r.ok());
            m.put("objects", r.objects());
            m.put("repaired", r.repaired());
            m.put("remaining", r.remaining());
            out.println(BackupCommand.Json.MAPPER.writeValueAsString(m));
        } else {
            for (RepairResult.Repaired p : r.repaired()) {
                out.printf("repaired %s object %s from %s%n", p.kind(), p.sha256(), p.from());
            }
            for (VerifyResult.Problem p : r.remaining()) {
                out.printf("still %s: object %s (%s), needed by:%n", p.kind(), p.sha256(), p.detail());
                p.affected().forEach(a -> out.println("  " + a));
            }
            out.printf(
                    "%s: %d objects checked, %d repaired, %d left in %s%n",
                    r.ok() ? "ok" : "PROBLEMS",
                    r.objects(),
                    r.repaired().size(),
                    r.remaining().size(),
                    BackupCommand.secs(r.took()));
        }
        out.flush();
        if (!r.ok()) {
            throw new LifelineException(
                    Plural.of(r.remaining().size(), "object") + " could not be repaired: no source file holds their"
                            + " content",
                    "restore the files named above from the remote ('lifeline backup restore SNAP PATH --from remote"
                            + " --to DIR') or from an older snapshot that has them");
        }
        return 0;
    }
}
