package dev.lifeline.metrics;

import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Info;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import java.io.IOException;
import java.io.OutputStream;
import java.util.List;
import java.util.function.BiConsumer;
import java.util.function.Consumer;

/**
 * Lifeline's Prometheus metrics (see docs/metrics.md): one registry of callback collectors that
 * read the {@link Scrape} being written. {@link #write} takes the lock only to collect (in
 * memory, fast); the bytes go out after it is released, so a slow client holds up no other scrape.
 * Label values (a project's path, a tunnel's forward) are escaped by the library.
 */
public final class LifelineMetrics {
    /** The content type of what {@link #write} writes (Prometheus text format 0.0.4). */
    public static final String CONTENT_TYPE = PrometheusTextFormatWriter.CONTENT_TYPE;

    private static final String[] SERVICE = {"service", "project"};
    private static final String[] BACKUP = {"project", "repository"};

    private final PrometheusRegistry registry = new PrometheusRegistry();
    private final PrometheusTextFormatWriter writer =
            PrometheusTextFormatWriter.builder().build();
    private final List<String> serviceStates;
    private final List<String> tunnelStates;
    private Scrape current = Scrape.EMPTY; // guarded by this: set for the collectors during a scrape

    /**
     * @param version this build's version, for {@code lifeline_build_info}
     * @param serviceStates every state a service can be in (one {@code lifeline_service_state}
     *     series each)
     * @param tunnelStates every state a tunnel can be in
     */
    public LifelineMetrics(String version, List<String> serviceStates, List<String> tunnelStates) {
        this.serviceStates = List.copyOf(serviceStates);
        this.tunnelStates = List.copyOf(tunnelStates);
        Info info = Info.builder()
                .name("lifeline_build_info")
                .help("The running daemon's build; the value is always 1")
                .labelNames("version")
                .register(registry);
        info.setLabelValues(version);
        services();
        tunnels();
        backups();
        daemon();
    }

    /** Writes one scrape of {@code scrape} in the Prometheus text format. */
    public void write(Scrape scrape, OutputStream out) throws IOException {
        MetricSnapshots snapshots;
        synchronized (this) {
            current = scrape;
            try {
                snapshots = registry.scrape();
            } finally {
                current = Scrape.EMPTY;
            }
        }
        writer.write(out, snapshots);
    }

    private void services() {
        gauge("lifeline_service_up", "1 while the service runs and passed its readiness check, else 0", SERVICE, cb -> {
            for (Scrape.Service s : current.services()) {
                cb.call(s.up() ? 1 : 0, s.service(), s.project());
            }
        });
        gauge(
                "lifeline_service_state",
                "1 for the state the service is in, 0 for each other state",
                new String[] {"service", "project", "state"},
                cb -> {
                    for (Scrape.Service s : current.services()) {
                        for (String st : serviceStates) {
                            cb.call(st.equals(s.state()) ? 1 : 0, s.service(), s.project(), st);
                        }
                    }
                });
        counter(
                "lifeline_service_restarts_total",
                "Restarts of the service after a crash or a failed health check",
                SERVICE,
                cb -> eachService((s, l) -> cb.call(s.restarts(), l)));
        gauge(
                "lifeline_service_start_time_seconds",
                "When the service's current run started, in seconds since the epoch (absent when none runs)",
                SERVICE,
                cb -> eachService((s, l) -> {
                    if (s.startTimeSeconds() > 0) {
                        cb.call(s.startTimeSeconds(), l);
                    }
                }));
        gauge(
                "lifeline_service_uptime_seconds",
                "How long the service's current run has been up (0 when none runs)",
                SERVICE,
                cb -> eachService((s, l) -> cb.call(s.uptimeSeconds(), l)));
        gauge(
                "lifeline_service_ready_seconds",
                "How long the last start took to pass the readiness check (absent before one did)",
                SERVICE,
                cb -> eachService((s, l) -> {
                    if (s.readySeconds() >= 0) {
                        cb.call(s.readySeconds(), l);
                    }
                }));
        gauge(
                "lifeline_service_resident_memory_bytes",
                "Resident memory of the service's whole process tree",
                SERVICE,
                cb -> eachService((s, l) -> cb.call(s.rssBytes(), l)));
        counter(
                "lifeline_service_cpu_seconds_total",
                "CPU time (user + system) of the service's process tree, exited children it waited for included",
                SERVICE,
                cb -> eachService((s, l) -> cb.call(s.cpuSeconds(), l)));
        gauge(
                "lifeline_service_memory_limit_bytes",
                "The enforced hard memory cap of the service (cgroup); absent when none",
                SERVICE,
                cb -> eachService((s, l) -> {
                    if (s.memoryLimitBytes() > 0) {
                        cb.call(s.memoryLimitBytes(), l);
                    }
                }));
        gauge(
                "lifeline_service_gpu_memory_bytes",
                "GPU memory used by the service's process tree (from nvidia-smi; absent without it)",
                SERVICE,
                cb -> eachService((s, l) -> s.gpuMemoryBytes().ifPresent(b -> cb.call(b, l))));
        gauge(
                "lifeline_service_last_exit_code",
                "The exit code of the service's last run (absent when unknown)",
                SERVICE,
                cb -> eachService((s, l) -> s.lastExitCode().ifPresent(c -> cb.call(c, l))));
        gauge(
                "lifeline_gpu_memory_free_bytes",
                "Free GPU memory on the machine (from nvidia-smi; absent without it)",
                new String[0],
                cb -> current.gpuFreeBytes().ifPresent(b -> cb.call(b)));
    }

    private void eachService(BiConsumer<Scrape.Service, String[]> each) {
        for (Scrape.Service s : current.services()) {
            each.accept(s, new String[] {s.service(), s.project()});
        }
    }

    private void tunnels() {
        String[] t = {"tunnel"};
        gauge("lifeline_tunnel_up", "1 while the link works and every forward's remote end answers, else 0", t, cb -> {
            for (Scrape.Tunnel x : current.tunnels()) {
                cb.call(x.up() ? 1 : 0, x.tunnel());
            }
        });
        gauge(
                "lifeline_tunnel_state",
                "1 for the state the tunnel is in, 0 for each other state",
                new String[] {"tunnel", "state"},
                cb -> {
                    for (Scrape.Tunnel x : current.tunnels()) {
                        for (String st : tunnelStates) {
                            cb.call(st.equals(x.state()) ? 1 : 0, x.tunnel(), st);
                        }
                    }
                });
        gauge(
                "lifeline_tunnel_state_change_timestamp_seconds",
                "When the tunnel entered its current state, in seconds since the epoch",
                t,
                cb -> current.tunnels().forEach(x -> cb.call(x.stateSinceSeconds(), x.tunnel())));
        gauge(
                "lifeline_tunnel_rtt_seconds",
                "The latest round trip through the link, measured by the probe (absent before one)",
                t,
                cb -> current.tunnels().forEach(x -> x.rttSeconds().ifPresent(r -> cb.call(r, x.tunnel()))));
        counter(
                "lifeline_tunnel_reconnects_total",
                "Times the link was rebuilt after being up",
                t,
                cb -> current.tunnels().forEach(x -> cb.call(x.reconnects(), x.tunnel())));
        gauge(
                "lifeline_tunnel_forward_remote_up",
                "1 when the forward's remote end accepted the last probe, 0 when not (absent before one)",
                new String[] {"tunnel", "local", "remote"},
                cb -> {
                    for (Scrape.Tunnel x : current.tunnels()) {
                        for (Scrape.Forward f : x.forwards()) {
                            f.remoteAnswers().ifPresent(a -> cb.call(a ? 1 : 0, x.tunnel(), f.local(), f.remote()));
                        }
                    }
                });
    }

    private void backups() {
        gauge(
                "lifeline_backup_last_snapshot_timestamp_seconds",
                "When the repository's newest snapshot was cut, in seconds since the epoch (absent before one)",
                BACKUP,
                cb -> eachBackup((b, l) -> b.lastSnapshotSeconds().ifPresent(v -> cb.call(v, l))));
        gauge(
                "lifeline_backup_lag_seconds",
                "The newest output's last write to stored durably; while storing fails, at least how long it has",
                BACKUP,
                cb -> eachBackup((b, l) -> b.lagSeconds().ifPresent(v -> cb.call(v, l))));
        gauge(
                "lifeline_backup_pending_files",
                "Files seen in the outputs but not stored in the repository yet",
                BACKUP,
                cb -> eachBackup((b, l) -> cb.call(b.pendingFiles(), l)));
        gauge(
                "lifeline_backup_store_failing",
                "1 while storing new files fails (a full disk: they wait and are retried), else 0",
                BACKUP,
                cb -> eachBackup((b, l) -> cb.call(b.storeFailing() ? 1 : 0, l)));
        gauge(
                "lifeline_backup_last_stored_timestamp_seconds",
                "When the watcher last stored a file, in seconds since the epoch (absent before one)",
                BACKUP,
                cb -> eachBackup((b, l) -> b.lastStoredSeconds().ifPresent(v -> cb.call(v, l))));
        gauge(
                "lifeline_backup_last_push_timestamp_seconds",
                "When the last complete upload to the remote mirror ended, in seconds since the epoch",
                BACKUP,
                cb -> eachBackup((b, l) -> b.lastPushSeconds().ifPresent(v -> cb.call(v, l))));
        counter(
                "lifeline_backup_push_failures_total",
                "Uploads to the remote mirror that failed or ended incomplete, since the daemon started",
                BACKUP,
                cb -> eachBackup((b, l) -> cb.call(b.pushFailures(), l)));
    }

    private void eachBackup(BiConsumer<Scrape.Backup, String[]> each) {
        for (Scrape.Backup b : current.backups()) {
            each.accept(b, new String[] {b.project(), b.repository()});
        }
    }

    private void daemon() {
        String[] none = new String[0];
        counter(
                "process_cpu_seconds_total",
                "CPU time (user + system) of the Lifeline daemon",
                none,
                cb -> cb.call(current.daemon().cpuSeconds()));
        gauge(
                "process_resident_memory_bytes",
                "Resident memory of the Lifeline daemon",
                none,
                cb -> cb.call(current.daemon().rssBytes()));
        gauge(
                "process_start_time_seconds",
                "When the Lifeline daemon started, in seconds since the epoch",
                none,
                cb -> cb.call(current.daemon().startTimeSeconds()));
        gauge("process_open_fds", "Open file descriptors of the Lifeline daemon", none, cb -> {
            if (current.daemon().openFds() >= 0) {
                cb.call(current.daemon().openFds());
            }
        });
        gauge("process_max_fds", "The Lifeline daemon's limit of open file descriptors", none, cb -> {
            if (current.daemon().maxFds() >= 0) {
                cb.call(current.daemon().maxFds());
            }
        });
        String[] area = {"area"};
        gauge(
                "jvm_memory_used_bytes",
                "Java heap in use by the Lifeline daemon",
                area,
                cb -> cb.call(current.daemon().heapUsedBytes(), "heap"));
        gauge(
                "jvm_memory_committed_bytes",
                "Java heap committed by the Lifeline daemon",
                area,
                cb -> cb.call(current.daemon().heapCommittedBytes(), "heap"));
    }

    private void gauge(String name, String help, String[] labels, Consumer<GaugeWithCallback.Callback> cb) {
        GaugeWithCallback.builder()
                .name(name)
                .help(help)
                .labelNames(labels)
                .callback(cb)
                .register(registry);
    }

    private void counter(String name, String help, String[] labels, Consumer<CounterWithCallback.Callback> cb) {
        CounterWithCallback.builder()
                .name(name)
                .help(help)
                .labelNames(labels)
                .callback(cb)
                .register(registry);
    }
}
