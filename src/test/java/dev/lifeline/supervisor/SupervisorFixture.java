package dev.lifeline.supervisor;

import dev.lifeline.config.LifelineConfig;
import dev.lifeline.core.Home;
import dev.lifeline.process.ProcessTree;
import dev.lifeline.testing.EventLog;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** A supervisor on a temp home, that ends every tree it saw when the test ends. */
final class SupervisorFixture implements AutoCloseable {
    final Path dir;
    final Home home;
    final EventLog events = new EventLog();
    final List<Supervisor> supervisors = new ArrayList<>();
    final List<Long> seenPids = new ArrayList<>();
    Supervisor sup;

    SupervisorFixture(Path dir) {
        this.dir = dir;
        this.home = new Home(dir.resolve("home")).ensure();
        this.sup = newSupervisor();
    }

    Supervisor newSupervisor() {
        Supervisor s = new Supervisor(home, events);
        supervisors.add(s);
        return s;
    }

    LifelineConfig config(String yaml) {
        return LifelineConfig.parse(yaml, dir.resolve("lifeline.yaml"));
    }

    ServiceStatus status(String name) {
        ServiceStatus s = sup.status(name).orElseThrow();
        if (s.pid() > 0 && !seenPids.contains(s.pid())) {
            seenPids.add(s.pid());
        }
        return s;
    }

    @Override
    public void close() {
        for (Supervisor s : supervisors) {
            try {
                s.stopAll();
            } catch (RuntimeException e) {
                // best effort; trees are ended below
            }
            s.close();
        }
        for (long pid : seenPids) {
            ProcessTree.terminate(pid, "KILL", Duration.ofSeconds(1), p -> {});
        }
    }
}
