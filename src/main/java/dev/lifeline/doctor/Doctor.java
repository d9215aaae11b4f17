package dev.lifeline.doctor;

import dev.lifeline.config.LifelineConfig;
import dev.lifeline.config.NotifySpec;
import dev.lifeline.config.ServiceSpec;
import dev.lifeline.core.Home;
import dev.lifeline.gpu.Gpu;
import dev.lifeline.gpu.GpuSnapshot;
import dev.lifeline.insight.LogInsight;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * {@code lifeline doctor}: the troubleshooting list of the seed article as checks — pid file valid
 * and the process its own, port listening and answering, recent log errors and known problems,
 * open-files limit, memory and disk headroom, GPU, outputs writable, configured endpoints
 * reachable, and (given {@link BackupState}s) files the vault has not protected yet. It reads
 * files, {@code /proc} and sockets only, so it works with no daemon.
 *
 * <p>Defaults: HTTP and TCP probes time out after 3s; "recent" log errors are those of the last
 * hour, known problems those of the last 24 hours.
 */
public final class Doctor {
    private final Home home;
    private final Optional<LifelineConfig> config;
    private final Optional<String> configProblem;
    private final Gpu gpu;
    private final LogInsight insight;
    private final Duration timeout;
    private final Map<String, URI> endpoints;
    private final List<BackupState> backups;

    private Doctor(Builder b) {
        this.home = b.home;
        this.config = b.config;
        this.configProblem = b.configProblem;
        this.gpu = b.gpu;
        this.insight = b.insight;
        this.timeout = b.timeout;
        Map<String, URI> eps = new LinkedHashMap<>();
        b.config.ifPresent(c -> {
            int i = 0;
            for (NotifySpec n : c.notifications()) {
                eps.put("notify[" + i++ + "]", n.webhook());
            }
        });
        eps.putAll(b.endpoints);
        this.endpoints = java.util.Collections.unmodifiableMap(eps); // in config order
        this.backups = List.copyOf(b.backups);
    }

    public static Builder builder(Home home) {
        return new Builder(home);
    }

    /** True when any check failed: the command exits non-zero. */
    public static boolean anyFailed(List<Check> checks) {
        return checks.stream().anyMatch(c -> c.status() == Check.Status.FAIL);
    }

    /**
     * Runs the checks for {@code service}, or for every configured service (and every service with
     * run files) when empty, plus the machine-wide ones.
     */
    public List<Check> run(Optional<String> service) {
        List<Check> out = new ArrayList<>();
        if (configProblem.isPresent()) {
            out.add(Check.fail("config", null, configProblem.get()));
        } else if (config.isEmpty()) {
            out.add(Check.warn(
                    "config",
                    null,
                    "no config file: only the run files in " + home.root()
                            + " were checked; run in the folder of lifeline.yaml or pass -c FILE"));
        } else {
            out.add(Check.ok("config", null, config.get().file() + " is valid"));
        }
        HostChecks host = new HostChecks(home, timeout);
        out.add(host.daemon());
        GpuSnapshot gpuNow = gpu.read();
        List<String> services = service.map(List::of).orElseGet(this::allServices);
        if (service.isPresent()
                && config.isPresent()
                && !config.get().services().containsKey(service.get())
                && RunFiles.read(home, service.get()).pidText().isEmpty()) {
            out.add(Check.fail(
                    "pid",
                    service.get(),
                    "no service '" + service.get() + "' in "
                            + config.get().file() + " and no run files for it; configured: "
                            + String.join(", ", config.get().services().keySet())));
            return out;
        }
        for (String s : services) {
            Optional<ServiceSpec> spec = config.map(c -> c.services().get(s));
            out.addAll(new ServiceChecks(home, s, spec, insight, timeout).run(gpuNow));
        }
        out.add(host.memory());
        List<java.nio.file.Path> folders = new ArrayList<>();
        folders.add(home.logs());
        config.ifPresent(c -> c.services().values().forEach(sp -> sp.outputs().ifPresent(folders::add)));
        out.addAll(host.disks(folders));
        out.add(host.gpu(gpuNow));
        backups.forEach(v -> out.add(BackupCheck.check(v)));
        endpoints.forEach((name, uri) -> out.add(host.endpoint(name, uri)));
        return out;
    }

    private List<String> allServices() {
        List<String> names = new ArrayList<>();
        config.ifPresent(c -> names.addAll(c.services().keySet()));
        try (var files = java.nio.file.Files.list(home.run())) {
            files.map(p -> p.getFileName().toString())
                    .filter(n -> n.endsWith(".pid"))
                    .map(n -> n.substring(0, n.length() - 4))
                    .filter(n -> !names.contains(n))
                    .sorted()
                    .forEach(names::add);
        } catch (java.io.IOException e) {
            // no run folder yet: nothing started
        }
        return names;
    }

    /** Settings; see the class comment for defaults. */
    public static final class Builder {
        private final Home home;
        private Optional<LifelineConfig> config = Optional.empty();
        private Optional<String> configProblem = Optional.empty();
        private Gpu gpu = Gpu.fromSystemPath();
        private LogInsight insight = LogInsight.systemDefault();
        private Duration timeout = Duration.ofSeconds(3);
        private final Map<String, URI> endpoints = new LinkedHashMap<>();
        private final List<BackupState> backups = new ArrayList<>();

        private Builder(Home home) {
            this.home = Objects.requireNonNull(home);
        }

        public Builder config(LifelineConfig c) {
            this.config = Optional.of(c);
            return this;
        }

        /** The config could not be loaded: reported as a FAIL, and the other checks still run. */
        public Builder configProblem(String message) {
            this.configProblem = Optional.of(message);
            return this;
        }

        public Builder gpu(Gpu g) {
            this.gpu = Objects.requireNonNull(g);
            return this;
        }

        public Builder insight(LogInsight i) {
            this.insight = Objects.requireNonNull(i);
            return this;
        }

        /** Timeout of each HTTP or TCP probe. */
        public Builder timeout(Duration t) {
            this.timeout = Objects.requireNonNull(t);
            return this;
        }

        /** Another endpoint to test with a TCP connect (e.g. the backup's S3 endpoint). */
        public Builder endpoint(String name, URI uri) {
            endpoints.put(name, uri);
            return this;
        }

        /** A vault the daemon watches: a {@code backup} check says whether everything seen is stored. */
        public Builder backup(BackupState state) {
            backups.add(Objects.requireNonNull(state));
            return this;
        }

        public Doctor build() {
            return new Doctor(this);
        }
    }
}
