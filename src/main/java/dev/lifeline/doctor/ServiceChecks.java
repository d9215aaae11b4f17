package dev.lifeline.doctor;

import dev.lifeline.config.ServiceSpec;
import dev.lifeline.core.Home;
import dev.lifeline.gpu.GpuSnapshot;
import dev.lifeline.insight.LogInsight;
import dev.lifeline.process.ProcessInfo;
import dev.lifeline.process.Procfs;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The checks about one service, in order: its pid ({@link PidCheck}), port ({@link PortCheck}),
 * log ({@link LogChecks}); when its process runs, open files, user and memory ({@link
 * ProcessChecks}) and its share of GPU memory; and whether its outputs folder is writable.
 */
final class ServiceChecks {
    private final Home home;
    private final String name;
    private final Optional<ServiceSpec> spec;
    private final LogInsight insight;
    private final Duration timeout;

    ServiceChecks(Home home, String name, Optional<ServiceSpec> spec, LogInsight insight, Duration timeout) {
        this.home = home;
        this.name = name;
        this.spec = spec;
        this.insight = insight;
        this.timeout = timeout;
    }

    List<Check> run(GpuSnapshot gpu) {
        List<Check> out = new ArrayList<>();
        PidCheck pid = new PidCheck(home, name, insight);
        out.add(pid.check());
        Optional<ProcessInfo> process = pid.process();
        spec.flatMap(ServiceSpec::port)
                .ifPresent(port -> out.add(new PortCheck(name, spec, timeout, process).check(port)));
        out.addAll(new LogChecks(home, name, insight).run(pid.runs(), pid.down()));
        process.ifPresent(p -> {
            ProcessChecks checks = new ProcessChecks(name, spec);
            out.add(checks.openFiles(p));
            out.add(checks.user(p));
            out.add(checks.memory(p));
            if (gpu.usable()) {
                List<Long> pids =
                        Procfs.session(p.sid()).stream().map(ProcessInfo::pid).toList();
                out.add(Check.ok("gpu", name, name + " holds " + gpu.usedMiBBy(pids) + " MiB of GPU memory"));
            }
        });
        spec.flatMap(ServiceSpec::outputs).ifPresent(o -> out.add(outputs(o)));
        return out;
    }

    private Check outputs(Path dir) {
        if (!Files.exists(dir)) {
            return Check.warn(
                    "outputs",
                    name,
                    "outputs folder " + dir + " does not exist yet: create it (`mkdir -p " + dir
                            + "`) or fix `outputs:` for " + name);
        }
        if (!Files.isDirectory(dir)) {
            return Check.fail("outputs", name, "outputs " + dir + " is not a folder: fix `outputs:` for " + name);
        }
        try {
            Path probe = Files.createTempFile(dir, ".lifeline-doctor", ".tmp");
            Files.delete(probe);
        } catch (IOException e) {
            return Check.fail(
                    "outputs",
                    name,
                    "cannot write to " + dir + " (" + e.getMessage()
                            + "): fix its owner or permissions, e.g. `chown -R "
                            + spec.flatMap(ServiceSpec::user).orElse("$USER") + " " + dir + "`");
        }
        Optional<String> user = spec.flatMap(ServiceSpec::user);
        if (user.isPresent()) {
            try {
                String owner = Files.getOwner(dir).getName();
                if (!owner.equals(user.get())) {
                    return Check.warn(
                            "outputs",
                            name,
                            dir + " is owned by " + owner + " but " + name + " runs as " + user.get()
                                    + ": it may not be able to write there; `chown -R " + user.get() + " " + dir + "`");
                }
            } catch (IOException | UnsupportedOperationException e) {
                // owner unknown: the write test above passed
            }
        }
        return Check.ok("outputs", name, dir + " is writable");
    }
}
