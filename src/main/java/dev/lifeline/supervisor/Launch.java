package dev.lifeline.supervisor;

import dev.lifeline.config.ServiceSpec;
import dev.lifeline.core.Home;
import dev.lifeline.core.LifelineException;
import dev.lifeline.process.Accounts;
import dev.lifeline.process.LaunchSpec;
import dev.lifeline.process.MemoryCgroup;
import dev.lifeline.process.Ports;
import dev.lifeline.process.ProcessInfo;
import dev.lifeline.process.ProcessOwner;
import dev.lifeline.process.ProcessTree;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * What a launch of a service is made of: its environment with Lifeline's marker, its limits, and
 * the check that its port is free (naming who holds it).
 */
final class Launch {
    private Launch() {}

    /**
     * The marker's environment entry, {@code LIFELINE_SERVICE=<home id>:<name>}: unique per home
     * and service, so two homes on one machine never mix.
     */
    static String markerEntry(Home home, String service) {
        return ProcessTree.MARKER_VARIABLE + "="
                + Supervisor.digest(home.root().toAbsolutePath().normalize().toString()) + ":" + service;
    }

    /** The account in {@code user:}, looked up (it may ask the name service: never under a lock). */
    static Optional<Accounts.Account> account(ServiceSpec s) {
        return s.user().flatMap(Accounts::lookup);
    }

    /** The uids a process of the service may run as: the daemon's, and its {@code account}'s. */
    static Set<Long> owners(Optional<Accounts.Account> account) {
        Set<Long> out = new HashSet<>();
        ProcessOwner.uid(ProcessHandle.current().pid()).ifPresent(u -> out.add((long) u));
        account.ifPresent(a -> out.add(a.uid()));
        return Set.copyOf(out);
    }

    /** The environment the program gets on top of the daemon's, Lifeline's marker last so nothing overrides it. */
    static Map<String, String> environment(ServiceSpec s, String markerEntry) {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("PYTHONUNBUFFERED", "1"); // so a Python app's progress reaches the log as it happens
        env.putAll(s.env());
        env.put(ProcessTree.MARKER_VARIABLE, markerEntry.substring(ProcessTree.MARKER_VARIABLE.length() + 1));
        return env;
    }

    /** All the program's environment: the daemon's own, then {@link #environment}. */
    static Map<String, String> fullEnvironment(Home home, ServiceSpec s) {
        Map<String, String> env = new LinkedHashMap<>(System.getenv());
        env.putAll(environment(s, markerEntry(home, s.name())));
        return env;
    }

    static LaunchSpec spec(
            ServiceSpec s,
            String markerEntry,
            Path log,
            Optional<MemoryCgroup> cgroup,
            Optional<Accounts.Account> account) {
        Map<String, Long> rlimits = new LinkedHashMap<>(s.limits().rlimits());
        if (s.limits().openFiles() > 0) {
            rlimits.put("nofile", s.limits().openFiles());
        }
        return new LaunchSpec(
                s.command(),
                s.cwd(),
                environment(s, markerEntry),
                log,
                rlimits,
                s.user(),
                cgroup,
                account.map(a -> Long.toString(a.gid())));
    }

    /** Why the service's port cannot be used (someone else listens), with what to do; empty when free. */
    static Optional<LifelineException> portTaken(ServiceSpec s) {
        Optional<Integer> port = s.port();
        if (port.isEmpty() || !Ports.isListening(port.get())) {
            return Optional.empty();
        }
        Optional<ProcessInfo> owner = Ports.owner(port.get());
        String who = owner.map(o -> " by pid " + o.pid() + " (" + Wording.abbreviate(o.command()) + ")")
                .orElse(" by a process this user cannot see");
        String hint = owner.map(o -> "stop it (kill " + o.pid() + ") or give this service another port")
                .orElse("find it with 'ss -ltnp' and stop it, or give this service another port");
        return Optional.of(new LifelineException("port " + port.get() + " is already in use" + who, hint));
    }
}
