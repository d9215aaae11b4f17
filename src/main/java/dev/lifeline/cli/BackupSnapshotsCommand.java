package dev.lifeline.cli;

import dev.lifeline.backup.Snapshot;
import dev.lifeline.backup.Vault;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "snapshots", description = "List snapshots, oldest first.")
final class BackupSnapshotsCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(
            names = "--json",
            description = "Print JSON: id, time, files, bytes, host, parent, status (ok, pending, corrupt).")
    boolean json;

    @Option(names = "--from", paramLabel = "remote", description = "List the snapshots in the S3 remote instead.")
    String from;

    @Override
    public Integer call() throws Exception {
        boolean remote = BackupCommand.fromRemote(from);
        Vault v = BackupCommand.vault(spec, true);
        List<Snapshot> all = remote ? v.remoteSnapshots() : v.listing();
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            List<Map<String, Object>> rows = new ArrayList<>();
            for (Snapshot s : all) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("id", s.id());
                m.put("time", s.time().toString());
                m.put("files", s.files());
                m.put("bytes", s.bytes());
                m.put("host", s.host());
                m.put("parent", s.parent());
                m.put("status", s.status().toString());
                if (s.problem() != null) {
                    m.put("problem", s.problem());
                }
                rows.add(m);
            }
            out.println(BackupCommand.Json.MAPPER.writeValueAsString(rows));
        } else {
            out.printf("%-22s  %-24s  %9s  %10s%n", "ID", "TIME (UTC)", "FILES", "SIZE");
            for (Snapshot s : all) {
                String note = switch (s.status()) {
                    case OK -> "";
                    case PENDING -> "  stored since the last snapshot; 'latest' includes them";
                    case CORRUPT -> "  CORRUPT: " + s.problem();
                };
                out.printf(
                        "%-22s  %-24s  %9s  %10s%s%n",
                        s.id(),
                        // to the second: nanoseconds overflow the column and say nothing to a person
                        s.time().truncatedTo(java.time.temporal.ChronoUnit.SECONDS),
                        s.files() < 0 ? "?" : Long.toString(s.files()),
                        s.bytes() < 0 ? "?" : BackupCommand.size(s.bytes()),
                        note);
            }
        }
        out.flush();
        return 0;
    }
}
