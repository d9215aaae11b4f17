package dev.lifeline.daemon;

import dev.lifeline.metrics.LifelineMetrics;
import dev.lifeline.metrics.Scrape;
import dev.lifeline.process.Procfs;
import dev.lifeline.supervisor.ServiceState;
import dev.lifeline.supervisor.Supervisor;
import dev.lifeline.tunnel.TunnelState;
import dev.lifeline.tunnel.TunnelStatus;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * The daemon's Prometheus metrics: what {@code /metrics} on the dashboard's server writes, in the
 * Prometheus text format. Built at scrape time from the same records {@code status}, {@code
 * tunnel status} and {@code backup.status} return, so every reader sees the same values.
 */
final class MetricsFeed {
    /** What {@link #write} writes: {@code text/plain; version=0.0.4; charset=utf-8}. */
    static final String CONTENT_TYPE = LifelineMetrics.CONTENT_TYPE;

    private static final long MIB = 1L << 20;

    private final Supervisor supervisor;
    private final ProjectHost projects;
    private final TunnelHost tunnels;
    private final ServiceViews views;
    private volatile LifelineMetrics metrics; // made at the first scrape: a daemon never scraped loads none of it
    private final double startTimeSeconds;

    MetricsFeed(Supervisor supervisor, ProjectHost projects, TunnelHost tunnels) {
        this(supervisor, projects, tunnels, new ServiceViews(projects));
    }

    MetricsFeed(Supervisor supervisor, ProjectHost projects, TunnelHost tunnels, ServiceViews views) {
        this.supervisor = supervisor;
        this.projects = projects;
        this.tunnels = tunnels;
        this.views = views;
        this.startTimeSeconds = ProcessHandle.current()
                .info()
                .startInstant()
                .map(t -> t.toEpochMilli() / 1000.0)
                .orElse(System.currentTimeMillis() / 1000.0);
    }

    /** Writes one scrape (collected before anything is written; nothing is held while writing). */
    void write(OutputStream out) throws IOException {
        metrics().write(collect(), out);
    }

    private LifelineMetrics metrics() {
        LifelineMetrics m = metrics;
        if (m == null) {
            synchronized (this) {
                m = metrics;
                if (m == null) {
                    String version = MetricsFeed.class.getPackage().getImplementationVersion();
                    m = new LifelineMetrics(
                            version == null ? "dev" : version,
                            Arrays.stream(ServiceState.values())
                                    .map(ServiceState::label)
                                    .toList(),
                            Arrays.stream(TunnelState.values())
                                    .map(TunnelState::label)
                                    .toList());
                    metrics = m;
                }
            }
        }
        return m;
    }

    /** One scrape as text (the {@code metrics} op of the socket). */
    String text() {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        try {
            write(b);
        } catch (IOException e) {
            throw new IllegalStateException(e); // not from a byte array
        }
        return b.toString(StandardCharsets.UTF_8);
    }

    Scrape collect() {
        List<Scrape.Service> services = new ArrayList<>();
        Optional<Long> gpuFree = Optional.empty();
        for (Protocol.ServiceView v : views.views(supervisor.status(), true)) {
            var s = v.service();
            services.add(new Scrape.Service(
                    s.name(),
                    v.project(),
                    s.state().label(),
                    s.state() == ServiceState.READY,
                    s.restarts(),
                    s.startTimeSeconds(),
                    s.uptimeSeconds(),
                    s.readySeconds(),
                    s.rssBytes(),
                    s.cpuSeconds(),
                    s.memoryLimitBytes(),
                    Optional.ofNullable(v.gpuMemoryMiB()).map(m -> m * MIB),
                    Optional.ofNullable(s.lastExit())));
            if (v.gpuFreeMiB() != null) {
                gpuFree = Optional.of(v.gpuFreeMiB() * MIB);
            }
        }
        List<Scrape.Tunnel> ts = new ArrayList<>();
        for (TunnelStatus t : tunnels.statuses()) {
            ts.add(new Scrape.Tunnel(
                    t.name(),
                    t.state().label(),
                    t.state() == TunnelState.UP,
                    t.rttMillis().map(ms -> ms / 1000.0),
                    t.reconnects(),
                    seconds(t.since()),
                    t.forwards().stream()
                            .map(f -> new Scrape.Forward(f.local(), f.remote(), f.remoteAnswers()))
                            .toList()));
        }
        List<Scrape.Backup> bs = new ArrayList<>();
        for (Protocol.BackupView b : projects.backups()) {
            bs.add(new Scrape.Backup(
                    b.project(),
                    b.repository(),
                    b.unprotectedFiles(),
                    !b.reason().isEmpty(),
                    b.lastSnapshotAt().map(MetricsFeed::seconds),
                    b.lagSeconds(),
                    b.lastStoredAt().map(MetricsFeed::seconds),
                    b.lastPushAt().map(MetricsFeed::seconds),
                    b.pushFailures()));
        }
        return new Scrape(services, gpuFree, ts, bs, daemon());
    }

    private Scrape.Daemon daemon() {
        long pid = ProcessHandle.current().pid();
        var self = Procfs.read(pid);
        Runtime rt = Runtime.getRuntime();
        long maxFds = Procfs.softLimit(pid, "Max open files");
        return new Scrape.Daemon(
                self.map(p -> (double) p.cpuTicks() / Procfs.ticksPerSecond()).orElse(0.0),
                self.map(p -> p.rssBytes()).orElse(0L),
                startTimeSeconds,
                Procfs.openFds(pid),
                maxFds == Long.MAX_VALUE ? -1 : maxFds,
                rt.totalMemory() - rt.freeMemory(),
                rt.totalMemory());
    }

    private static double seconds(Instant t) {
        return t.toEpochMilli() / 1000.0;
    }
}
