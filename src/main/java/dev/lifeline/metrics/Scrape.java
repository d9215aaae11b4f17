package dev.lifeline.metrics;

import java.util.List;
import java.util.Optional;

/**
 * What one scrape shows, filled by the daemon from the records {@code status}, {@code tunnel
 * status} and {@code backup.status} return (so {@code /metrics} and the CLI show the same values).
 *
 * @param gpuFreeBytes free GPU memory on the machine; empty without nvidia-smi
 */
public record Scrape(
        List<Service> services,
        Optional<Long> gpuFreeBytes,
        List<Tunnel> tunnels,
        List<Backup> backups,
        Daemon daemon) {

    public Scrape {
        services = List.copyOf(services);
        tunnels = List.copyOf(tunnels);
        backups = List.copyOf(backups);
    }

    static final Scrape EMPTY =
            new Scrape(List.of(), Optional.empty(), List.of(), List.of(), new Daemon(0, 0, 0, -1, -1, 0, 0));

    /**
     * One supervised service.
     *
     * @param project the config file it came from
     * @param state its state's label ({@code ready}, {@code backoff}, …)
     * @param up whether it passed its readiness check and is running (state {@code ready})
     * @param startTimeSeconds when the current run started (epoch seconds), 0 when none runs
     * @param readySeconds how long the last start took to become ready, negative when unknown
     * @param memoryLimitBytes the enforced memory cap, 0 when none
     * @param gpuMemoryBytes GPU memory of its tree; empty without nvidia-smi
     * @param lastExitCode empty when unknown
     */
    public record Service(
            String service,
            String project,
            String state,
            boolean up,
            int restarts,
            long startTimeSeconds,
            long uptimeSeconds,
            double readySeconds,
            long rssBytes,
            double cpuSeconds,
            long memoryLimitBytes,
            Optional<Long> gpuMemoryBytes,
            Optional<Integer> lastExitCode) {}

    /**
     * One tunnel.
     *
     * @param up whether the link works and every remote end answers (state {@code up})
     * @param rttSeconds the latest probe's round trip; empty before one
     * @param stateSinceSeconds when it entered {@code state} (epoch seconds)
     */
    public record Tunnel(
            String tunnel,
            String state,
            boolean up,
            Optional<Double> rttSeconds,
            int reconnects,
            double stateSinceSeconds,
            List<Forward> forwards) {
        public Tunnel {
            forwards = List.copyOf(forwards);
        }
    }

    /** One forward of a tunnel; {@code remoteAnswers} is empty before the first probe. */
    public record Forward(String local, String remote, Optional<Boolean> remoteAnswers) {}

    /**
     * One watched vault.
     *
     * @param storeFailing whether storing new files fails now (a full disk): they wait, retried
     * @param lastSnapshotSeconds epoch seconds; empty before the first snapshot
     * @param lagSeconds the newest output's write → stored; empty before anything was stored
     */
    public record Backup(
            String project,
            String repository,
            int pendingFiles,
            boolean storeFailing,
            Optional<Double> lastSnapshotSeconds,
            Optional<Double> lagSeconds,
            Optional<Double> lastStoredSeconds,
            Optional<Double> lastPushSeconds,
            int pushFailures) {}

    /**
     * The daemon's own process.
     *
     * @param openFds -1 when unknown
     * @param maxFds -1 when unknown
     */
    public record Daemon(
            double cpuSeconds,
            long rssBytes,
            double startTimeSeconds,
            long openFds,
            long maxFds,
            long heapUsedBytes,
            long heapCommittedBytes) {}
}
