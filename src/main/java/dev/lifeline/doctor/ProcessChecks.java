package dev.lifeline.doctor;

import dev.lifeline.config.ServiceSpec;
import dev.lifeline.process.ProcessInfo;
import dev.lifeline.process.ProcessOwner;
import dev.lifeline.process.ProcessTree;
import dev.lifeline.process.Procfs;
import java.util.Optional;

/**
 * The checks of a running service's process, from {@code /proc}: its open-files limit against
 * {@code limits.open-files} and its use (a WARN at 80% or below 4096 unset), the user it runs as
 * (root is a WARN), and the memory of its whole process tree against {@code limits.memory} and
 * {@code restart-above-memory} (a WARN at 90%).
 */
final class ProcessChecks {
    private final String name;
    private final Optional<ServiceSpec> spec;

    ProcessChecks(String name, Optional<ServiceSpec> spec) {
        this.name = name;
        this.spec = spec;
    }

    Check openFiles(ProcessInfo p) {
        long limit = Procfs.maxOpenFiles(p.pid());
        long open = Procfs.openFds(p.pid());
        long wanted = spec.map(s -> s.limits().openFiles()).orElse(0L);
        if (limit < 0) {
            return Check.warn("open-files", name, "cannot read /proc/" + p.pid() + "/limits");
        }
        String use = open >= 0 ? " (" + open + " open)" : "";
        if (wanted > 0 && limit < wanted) {
            return Check.fail(
                    "open-files",
                    name,
                    "the app's Max open files is " + limit + use
                            + " but limits.open-files asks for " + wanted + ": restart it with `lifeline restart "
                            + name
                            + "` so the limit applies");
        }
        if (open >= 0 && limit != Long.MAX_VALUE && open * 10 >= limit * 8) {
            return Check.warn(
                    "open-files",
                    name,
                    "uses " + open + " of its " + limit
                            + " file descriptors: raise limits.open-files (e.g. 65536) before it hits 'Too many open files'");
        }
        if (wanted == 0 && limit < 4096) {
            return Check.warn(
                    "open-files",
                    name,
                    "Max open files is " + limit + use + ", low for a model app: set `limits.open-files: 65536` for "
                            + name);
        }
        return Check.ok("open-files", name, "Max open files " + (limit == Long.MAX_VALUE ? "unlimited" : limit) + use);
    }

    Check user(ProcessInfo p) {
        var uid = ProcessOwner.uid(p.pid());
        if (uid.isPresent() && uid.getAsInt() == 0) {
            return Check.warn(
                    "user",
                    name,
                    name + " runs as root: a bug in the app or a model's pickle file can"
                            + " then do anything; set `user:` to an unprivileged account for " + name);
        }
        return Check.ok("user", name, name + " runs as uid " + (uid.isPresent() ? uid.getAsInt() : "?"));
    }

    Check memory(ProcessInfo p) {
        long rss = ProcessTree.rss(p.sid());
        long restartAbove = spec.map(s -> s.limits().restartAboveMemoryBytes()).orElse(0L);
        long cap = spec.map(s -> s.limits().memoryBytes()).orElse(0L);
        String facts = name + " uses " + Human.bytes(rss) + " (whole process tree)";
        if (cap > 0 && rss * 10 >= cap * 9) {
            return Check.warn(
                    "memory",
                    name,
                    facts + ", near its limits.memory of " + Human.bytes(cap)
                            + ": it will be killed at the cap; raise the limit or reduce the model's memory");
        }
        if (restartAbove > 0 && rss * 10 >= restartAbove * 9) {
            return Check.warn(
                    "memory",
                    name,
                    facts + ", near restart-above-memory " + Human.bytes(restartAbove)
                            + ": Lifeline will restart it soon");
        }
        return Check.ok("memory", name, facts + (cap > 0 ? ", limit " + Human.bytes(cap) : ""));
    }
}
