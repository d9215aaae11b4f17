package dev.lifeline.process;

/**
 * A snapshot of one live process as {@code /proc} shows it.
 *
 * @param startTicks start time in clock ticks since boot; with the pid, it names one process for
 *     good (a reused pid has a different start time)
 * @param state the one-letter state from {@code /proc/PID/stat} ('Z' is a zombie: dead)
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
        String command) {

    public boolean isZombie() {
        return state == 'Z' || state == 'X';
    }

    public ProcessIdentity identity() {
        return new ProcessIdentity(pid, startTicks, command);
    }
}
