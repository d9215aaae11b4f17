package dev.lifeline.supervisor;

/**
 * A service as {@code status} reports it.
 *
 * @param pid the main process, or 0 when none
 * @param lastExit the last exit code, or null when unknown (never exited, or died while no daemon
 *     watched)
 * @param rssBytes resident memory of the whole tree (children and orphans included)
 * @param memoryLimitBytes the enforced hard memory cap (cgroup), or 0 when none
 * @param readySeconds how long the last start took to pass its readiness check, or -1
 * @param reason why it is in this state, for people (empty when nothing to say)
 * @param progress while it starts, the last line its log shows for this run (a loading progress
 *     bar's latest redraw); "" otherwise
 * @param cpuSeconds CPU time (user + system) the whole tree has used: its live processes and the
 *     exited children they waited for; 0 when none runs
 * @param startTimeSeconds when the current run started, in seconds since the epoch (the run an
 *     adopted process belongs to included); 0 when none runs
 */
public record ServiceStatus(
        String name,
        ServiceState state,
        long pid,
        int restarts,
        long uptimeSeconds,
        Integer lastExit,
        long rssBytes,
        long memoryLimitBytes,
        double readySeconds,
        Integer port,
        String reason,
        String log,
        String progress,
        double cpuSeconds,
        long startTimeSeconds) {}
