package dev.lifeline.daemon;

import dev.lifeline.supervisor.Supervisor;
import java.io.IOException;
import java.io.OutputStream;

/**
 * The daemon's Prometheus metrics: what {@code /metrics} on the dashboard's server writes, in the
 * Prometheus text format. Built from the same records {@code status}, {@code tunnel status} and
 * {@code backup.status} return.
 */
final class MetricsFeed {
    private final Supervisor supervisor;
    private final ProjectHost projects;
    private final TunnelHost tunnels;

    MetricsFeed(Supervisor supervisor, ProjectHost projects, TunnelHost tunnels) {
        this.supervisor = supervisor;
        this.projects = projects;
        this.tunnels = tunnels;
    }

    /** Writes one scrape. */
    void write(OutputStream out) throws IOException {
        // filled in by the metrics work
    }
}
