package dev.lifeline.cli;

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
        name = "verify",
        description =
                "Check that every object snapshots need is present and sized right; with --read-data, hash them all.")
final class BackupVerifyCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--read-data", description = "Hash every object again.")
    boolean readData;

    @Option(names = "--sample", paramLabel = "PCT", description = "Hash this percentage of objects, chosen at random.")
    double sample;

    @Option(names = "--json", description = "Print the result as JSON.")
    boolean json;

    @Option(
            names = "--from",
            paramLabel = "remote",
            description = "Check the S3 remote instead: presence and size from one listing; --read-data downloads,"
                    + " decrypts and hashes.")
    String from;

    @Override
    public Integer call() throws Exception {
        if (sample < 0 || sample > 100) {
            throw new LifelineException("--sample must be between 0 and 100", "for example --sample 5");
        }
        boolean remote = BackupCommand.fromRemote(from);
        var v = BackupCommand.vault(spec, json);
        VerifyResult r = remote ? v.verifyRemote(readData, sample) : v.verify(readData, sample);
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("ok", r.ok());
            m.put("snapshots", r.snapshots());
            m.put("objects", r.objects());
            m.put("objectsRead", r.objectsRead());
            m.put("bytesRead", r.bytesRead());
            m.put("problems", r.problems());
            m.put("unreadableSnapshots", r.unreadableSnapshots());
            out.println(BackupCommand.Json.MAPPER.writeValueAsString(m));
        } else {
            for (VerifyResult.Problem p : r.problems()) {
                out.printf("%s object %s (%s), needed by:%n", p.kind(), p.sha256(), p.detail());
                p.affected().forEach(a -> out.println("  " + a));
            }
            r.unreadableSnapshots().forEach(u -> out.println("unreadable snapshot " + u));
            out.printf(
                    "%s%s: %s, %s, %d hashed (%s) in %s%n",
                    remote ? "remote " : "",
                    r.ok() ? "ok" : "PROBLEMS",
                    Plural.of(r.snapshots(), "snapshot"),
                    Plural.of(r.objects(), "object"),
                    r.objectsRead(),
                    BackupCommand.size(r.bytesRead()),
                    BackupCommand.secs(r.took()));
        }
        out.flush();
        if (!r.ok()) {
            throw new LifelineException(
                    "verify found " + Plural.of(r.problems().size(), "bad " + (remote ? "remote " : "") + "object")
                            + " and " + Plural.of(r.unreadableSnapshots().size(), "unreadable snapshot"),
                    remote
                            ? "restore the named files from the local repository or another snapshot; a push uploads a"
                                    + " missing object again with the next new snapshot that holds it"
                            : "run 'lifeline backup repair' to store them again from the sources that still have them; restore the"
                                    + " rest from the remote (--from remote) or an older snapshot");
        }
        return 0;
    }
}
