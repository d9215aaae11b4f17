package dev.lifeline.process;

/**
 * Who a pid was when Lifeline started it: the pid plus its start time (and, for people, its
 * command line). A pid file is a claim; this is how the claim is checked before any signal.
 */
public record ProcessIdentity(long pid, long startTicks, String command) {

    /** True when {@code pid} is alive and is still this very process (same start time). */
    public boolean isAlive() {
        return Procfs.read(pid)
                .map(p -> !p.isZombie() && p.startTicks() == startTicks)
                .orElse(false);
    }
}
