package dev.lifeline.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import dev.lifeline.config.ConfigException;
import dev.lifeline.config.LifelineConfig;
import dev.lifeline.core.Json;
import dev.lifeline.daemon.DaemonClient;
import dev.lifeline.daemon.Protocol;
import dev.lifeline.doctor.BackupState;
import dev.lifeline.doctor.Check;
import dev.lifeline.doctor.Doctor;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code lifeline doctor [SERVICE] [--json]}: every check OK / WARN / FAIL with what to do next.
 * Exit status 1 when any check FAILs. Needs no daemon; when one runs, its vault watchers' count of
 * files not protected yet is a check too.
 */
@Command(
        name = "doctor",
        description = "Diagnose a service (or all): pid, port, log errors and known problems, limits, memory, disk,"
                + " GPU, outputs, endpoints. Exits 1 when anything FAILs.")
final class DoctorCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "SERVICE", arity = "0..1", description = "Only this service (default: all).")
    String service;

    @Option(
            names = "--json",
            description = "Print an array of {check, status, message, service} (service null for the machine).")
    boolean json;

    @Override
    public Integer call() throws Exception {
        Doctor.Builder b = Doctor.builder(Context.home());
        Path configPath = Context.configPath(spec);
        if (Files.exists(configPath)) {
            try {
                b.config(LifelineConfig.load(configPath));
            } catch (ConfigException e) {
                b.configProblem(e.getMessage() + (e.hint() == null ? "" : " (" + e.hint() + ")"));
            }
        }
        backups(b, configPath);
        List<Check> checks = b.build().run(Optional.ofNullable(service));
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            ArrayNode a = Json.array();
            for (Check c : checks) {
                a.add(Protocol.check(c)); // the one shape of a Check: the daemon and the HTTP API write it too
            }
            out.println(Json.write(a, true));
        } else {
            for (Check c : checks) {
                String what = c.service() == null ? c.check() : c.service() + " " + c.check();
                out.printf("%-4s  %-22s %s%n", c.status(), what, c.message());
            }
            long fails =
                    checks.stream().filter(c -> c.status() == Check.Status.FAIL).count();
            long warns =
                    checks.stream().filter(c -> c.status() == Check.Status.WARN).count();
            out.printf("%s: %d failed, %s%n", Plural.of(checks.size(), "check"), fails, Plural.of(warns, "warning"));
        }
        out.flush();
        return Doctor.anyFailed(checks) ? 1 : 0;
    }

    /**
     * What the running daemon's vault watchers have not protected yet (this config's vaults; every
     * one without a config file). No daemon, no backup check: doctor never starts one.
     */
    private static void backups(Doctor.Builder b, Path configPath) {
        DaemonClient client = DaemonClient.of(Context.home());
        if (!client.isRunning()) {
            return;
        }
        JsonNode list;
        try {
            list = client.call("backup.status", Map.of());
        } catch (RuntimeException e) {
            return; // a daemon from before this op, or one going away: the other checks still run
        }
        boolean mine = Files.exists(configPath);
        for (Protocol.BackupView v : Protocol.backups(list)) {
            if (!mine || v.project().equals(configPath.toString())) {
                b.backup(new BackupState(v.repository(), v.unprotectedFiles(), v.reason()));
            }
        }
    }
}
