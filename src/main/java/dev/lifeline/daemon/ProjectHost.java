package dev.lifeline.daemon;

import dev.lifeline.backup.BackupFacts;
import dev.lifeline.backup.VaultWatcher;
import dev.lifeline.config.BackupSpec;
import dev.lifeline.config.CatalogSpec;
import dev.lifeline.config.LifelineConfig;
import dev.lifeline.config.NotifySpec;
import dev.lifeline.core.Event;
import dev.lifeline.core.EventListener;
import dev.lifeline.core.Home;
import dev.lifeline.core.LifelineException;
import dev.lifeline.notify.Notifier;
import dev.lifeline.supervisor.Supervisor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The projects the daemon runs: which config file each service came from, {@code applied.json}
 * (what a restarted daemon adopts), and what is built from all projects together — the one
 * merged config the supervisor applies, the notifier, a vault watcher per {@code backup:} section.
 *
 * <p>Every change ({@code up}, {@code start} of a service the daemon has not seen, {@code down})
 * runs on one thread, {@code lifeline-apply}, one after the other: the one apply path. Callers
 * wait for it holding no lock, and readers ({@code status}) never wait for it: they read the
 * immutable {@link Projects} of the last finished change.
 */
final class ProjectHost implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ProjectHost.class);

    private final Home home;
    private final Supervisor supervisor;
    private final EventListener events;
    private final ExecutorService applier;
    private volatile Projects projects = Projects.NONE;
    private volatile Notifier notifier;
    // Touched on the apply thread only (and by close, after it has stopped).
    private List<NotifySpec> notifySpecs = List.of();
    private final Map<Path, VaultWatcher> vaults = new LinkedHashMap<>(); // apply thread only
    /** What {@link #backups} reads from other threads: a copy published after each rebuild. */
    private volatile Map<Path, VaultWatcher> vaultView = Map.of();

    private final Map<Path, BackupSpec> vaultSpecs = new LinkedHashMap<>();
    private final Map<Path, CatalogHost> catalogs = new LinkedHashMap<>(); // apply thread only
    /** The catalogs {@link #find} reads from other threads: a copy published after each rebuild. */
    private volatile List<CatalogHost> catalogView = List.of();

    ProjectHost(Home home, Supervisor supervisor, EventListener events) {
        this.home = home;
        this.supervisor = supervisor;
        this.events = events;
        // One thread at most (so changes run one after the other), and none while idle.
        this.applier = new ThreadPoolExecutor(0, 1, 30, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), r -> {
            Thread t = new Thread(r, "lifeline-apply");
            t.setDaemon(true);
            return t;
        });
    }

    /** The notifier events go to, or null without webhooks. */
    Notifier notifier() {
        return notifier;
    }

    Projects projects() {
        return projects;
    }

    /** At daemon start: the projects of {@code applied.json}, their running services adopted. */
    void restore() {
        serial(() -> {
            Path p = home.appliedConfig();
            if (!Files.exists(p)) {
                return null;
            }
            List<String> problems = new ArrayList<>();
            Projects loaded;
            try {
                loaded = Projects.fromJson(Files.readString(p), problems);
            } catch (IOException | RuntimeException e) {
                LOG.error("cannot read the applied config {}: {}; not adopting services", p, e.toString());
                return null;
            }
            problems.forEach(m -> LOG.error("not adopting the project {}", m));
            projects = loaded;
            rebuild(loaded);
            supervisor.adopt(loaded.merged(p));
            return null;
        });
    }

    /**
     * Applies one project's config, as {@code docker compose up} does for its project: its new
     * services start, changed ones restart, unchanged running ones stay, and ones no longer in
     * its file stop. Other projects' services are not touched.
     *
     * @param only limit to these services of it (empty: all, and removals)
     * @throws LifelineException before anything changes when another project declares one of
     *     its service names or ports
     */
    Protocol.Applied up(LifelineConfig config, Collection<String> only) {
        return serial(() -> apply(config, only));
    }

    /** The outcome of {@link #start}: whether this call started it. */
    record Started(boolean started) {}

    /**
     * Starts one service; when the daemon has not applied it yet, applies {@code config} for it
     * (which starts it once).
     */
    Started start(String name, Optional<LifelineConfig> config) {
        return serial(() -> {
            Optional<Path> owner = projects.owner(name);
            if (owner.isPresent() && supervisor.status(name).isPresent()) {
                return new Started(supervisor.start(name));
            }
            // Not applied yet: its file was never applied, or 'up OTHER' applied the file for
            // other services only. Apply it for this one (which starts it once).
            Optional<LifelineConfig> c = config.isPresent() ? config : owner.flatMap(projects::get);
            if (c.isEmpty()) {
                throw notKnown(name);
            }
            c.get().service(name); // fails with the names it has
            return new Started(apply(c.get(), List.of(name)).started().contains(name));
        });
    }

    /** A service of an applied project, or an error that lists them. */
    void requireKnown(String name) {
        if (projects.owner(name).isEmpty()) {
            throw notKnown(name);
        }
    }

    private LifelineException notKnown(String name) {
        List<String> known = new ArrayList<>();
        projects.configs().values().forEach(c -> known.addAll(c.services().keySet()));
        return new LifelineException(
                "no service '" + name + "' is known to the daemon",
                known.isEmpty() ? "run 'lifeline up' first" : "known services: " + String.join(", ", known));
    }

    /** What {@link #down} did. */
    record Down(String project, List<String> stopped, boolean applied, List<String> remaining) {}

    /** Stops one project's services (whole trees, verified) and forgets the project. */
    Down down(Path file) {
        return serial(() -> {
            Optional<LifelineConfig> c = projects.get(file);
            if (c.isEmpty()) {
                return new Down(file.toString(), List.of(), false, remaining(projects));
            }
            List<String> names = new ArrayList<>(c.get().services().keySet());
            List<String> stopped = new ArrayList<>();
            for (int i = names.size() - 1; i >= 0; i--) {
                String name = names.get(i);
                if (supervisor.remove(name)) { // fails when a process survives: the project stays applied
                    stopped.add(0, name);
                }
            }
            Projects next = projects.without(file);
            save(next);
            projects = next;
            rebuild(next);
            return new Down(file.toString(), stopped, true, remaining(next));
        });
    }

    /** Stops every service of every project and forgets them all. */
    List<String> downAll() {
        return serial(() -> {
            List<String> names = supervisor.names();
            supervisor.stopAll();
            for (String name : names) {
                forgetFiles(name);
            }
            projects = Projects.NONE;
            save(Projects.NONE);
            rebuild(Projects.NONE);
            return names;
        });
    }

    private static List<String> remaining(Projects p) {
        return p.configs().keySet().stream().map(Path::toString).toList();
    }

    /** On the apply thread. */
    private Protocol.Applied apply(LifelineConfig config, Collection<String> only) {
        for (String name : only) {
            config.service(name);
        }
        Projects next = projects.with(config); // refuses a clash before anything changes
        List<String> removed = new ArrayList<>();
        if (only.isEmpty()) {
            projects.get(config.file())
                    .ifPresent(old -> old.services().keySet().stream()
                            .filter(n -> !config.services().containsKey(n))
                            .forEach(removed::add));
        }
        for (String name : removed) {
            supervisor.remove(name); // stopped (fails when a process survives: nothing is saved), then forgotten
        }
        save(next);
        projects = next;
        rebuild(next);
        Collection<String> targets = only.isEmpty() ? config.services().keySet() : only;
        if (targets.isEmpty()) {
            return new Protocol.Applied(config.file().toString(), List.of(), List.of(), List.of(), removed);
        }
        Supervisor.ApplyResult r = supervisor.apply(next.merged(home.appliedConfig()), List.copyOf(targets));
        return new Protocol.Applied(config.file().toString(), r.started(), r.restarted(), r.unchanged(), removed);
    }

    private void forgetFiles(String name) {
        try {
            Files.deleteIfExists(home.stateFile(name));
            Files.deleteIfExists(home.pidFile(name));
        } catch (IOException e) {
            LOG.warn("cannot remove the state files of {}: {}", name, e.toString());
        }
    }

    private void save(Projects p) {
        Path target = home.appliedConfig();
        try {
            if (p.isEmpty()) {
                Files.deleteIfExists(target);
            } else {
                Home.writePrivate(target, p.toJson());
            }
        } catch (IOException e) {
            throw new LifelineException(
                    "cannot save the applied config to " + target + ": " + e.getMessage(), "check free disk space");
        }
    }

    /** The notifier and the vault watchers, from all projects; unchanged parts are kept. */
    private void rebuild(Projects p) {
        List<NotifySpec> specs = p.notifications();
        if (!specs.equals(notifySpecs)) {
            Notifier old = notifier;
            notifier = specs.isEmpty()
                    ? null
                    : Notifier.builder(specs).reports(events).build();
            notifySpecs = specs;
            if (old != null) {
                old.close(); // delivers what it has queued, then goes
            }
        }
        Map<Path, BackupSpec> wanted = p.backups();
        for (Path file : List.copyOf(vaults.keySet())) {
            if (!wanted.containsKey(file)
                    || !wanted.get(file).equals(vaultSpecs.get(file))
                    || !catalogSpec(p, file).equals(catalogSpecs.get(file))) {
                vaults.remove(file).close();
                vaultSpecs.remove(file);
                CatalogHost c = catalogs.remove(file);
                if (c != null) {
                    c.close();
                }
                catalogSpecs.remove(file);
            }
        }
        for (Map.Entry<Path, BackupSpec> e : wanted.entrySet()) {
            if (vaults.containsKey(e.getKey())) {
                continue;
            }
            try {
                CatalogSpec cs = catalogSpec(p, e.getKey());
                // started before the watcher, so no stored event of its first scan is missed
                CatalogHost catalog = cs.enabled() ? CatalogHost.start(e.getValue(), cs, events) : null;
                EventListener l = catalog == null
                        ? events
                        : ev -> {
                            events.onEvent(ev);
                            catalog.onEvent(ev);
                        };
                try {
                    vaults.put(e.getKey(), VaultWatcher.start(e.getValue(), l));
                } catch (LifelineException ex) {
                    if (catalog != null) {
                        catalog.close();
                    }
                    throw ex;
                }
                if (catalog != null) {
                    catalogs.put(e.getKey(), catalog);
                }
                catalogSpecs.put(e.getKey(), cs);
                vaultSpecs.put(e.getKey(), e.getValue());
            } catch (LifelineException ex) {
                events.onEvent(Event.of(
                        "backup", "watch-error", Event.Level.ERROR, e.getKey() + ": " + ex.getMessage(), Map.of()));
            }
        }
        vaultView = Map.copyOf(vaults);
        catalogView = List.copyOf(catalogs.values());
    }

    private final Map<Path, CatalogSpec> catalogSpecs = new LinkedHashMap<>(); // apply thread only

    private static CatalogSpec catalogSpec(Projects p, Path file) {
        return p.get(file).flatMap(LifelineConfig::catalog).orElse(CatalogSpec.DEFAULT);
    }

    /** {@code catalog.find} over every watched vault's catalog (never waits for an apply or for indexing). */
    com.fasterxml.jackson.databind.node.ObjectNode find(
            dev.lifeline.catalog.Query q, int limit, int offset, boolean raw) {
        return CatalogHost.result(catalogView, q, limit, offset, raw);
    }

    /** The catalog hosts, for tests. */
    List<CatalogHost> catalogs() {
        return catalogView;
    }

    /** The vault watchers by project file (never waits for an apply). */
    Map<Path, VaultWatcher> watchers() {
        return vaultView;
    }

    /** Each watched vault and how many files it has not stored yet (never waits for an apply). */
    java.util.List<Protocol.BackupView> backups() {
        java.util.List<Protocol.BackupView> out = new java.util.ArrayList<>();
        vaultView.forEach((project, w) -> {
            VaultWatcher.Unprotected u = w.unprotected();
            BackupFacts f = w.facts();
            out.add(new Protocol.BackupView(
                    project.toString(),
                    String.valueOf(w.repository()),
                    u.files(),
                    u.reason() == null ? "" : u.reason(),
                    f.lastSnapshotId(),
                    f.lastSnapshotAt(),
                    f.lagSeconds(),
                    f.lastStoredAt(),
                    f.lastPushAt(),
                    f.pushFailures(),
                    f.retention(),
                    f.remote()));
        });
        return out;
    }

    private <T> T serial(Callable<T> work) {
        try {
            Future<T> f = applier.submit(work);
            return f.get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            throw new IllegalStateException(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new LifelineException("interrupted");
        } catch (java.util.concurrent.RejectedExecutionException e) {
            throw new LifelineException("the daemon is shutting down", "run the command again");
        }
    }

    /** Stops the apply thread, the vault watchers and the notifier; the services keep running. */
    @Override
    public void close() {
        applier.shutdownNow();
        try {
            applier.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        vaultView = Map.of();
        catalogView = List.of();
        vaults.values().forEach(VaultWatcher::close);
        vaults.clear();
        catalogs.values().forEach(CatalogHost::close);
        catalogs.clear();
        Notifier n = notifier;
        if (n != null) {
            n.close();
        }
    }
}
