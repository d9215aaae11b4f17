package dev.lifeline.process;

/**
 * A snapshot of one live process as {@code /proc} shows it.
 *
 * @param startTicks start time in clock ticks since boot; with the pid, it names one process for
 *     good (a reused pid has a different start time)
 * @param state the one-letter state from {@code /proc/PID/stat} ('Z' is a zombie: dead)
 * @param cpuTicks user + system CPU time of the process itself, in clock ticks
 * @param childCpuTicks user + system CPU time of its children that exited and that it waited for
 */
public record ProcessInfo(
        long pid,
        long ppid,
        long pgid,
        long sid,
        long startTicks,
        char state,
        long rssBytes,
        long cpuTicks,
        long childCpuTicks,
        String command) {

    public boolean isZombie() {
        return state == 'Z' || state == 'X';
    }

    public ProcessIdentity identity() {
        return new ProcessIdentity(pid, startTicks, command);
    }
}
