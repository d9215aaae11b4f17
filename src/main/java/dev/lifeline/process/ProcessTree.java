package dev.lifeline.process;

import java.time.Duration;
import java.util.List;
import java.util.function.LongConsumer;

/**
 * Ends a whole service tree: every process of its session, children, grandchildren and orphans
 * re-parented to init alike. TERM (or the configured signal) first, KILL after the timeout, and
 * then a check that nothing is left.
 */
public final class ProcessTree {
    private ProcessTree() {}

    /**
     * Signals every process in session {@code sid}, escalating to KILL after {@code timeout}.
     *
     * @param onKill told each pid that needed KILL
     * @return the processes still alive at the end (empty when the tree is gone)
     */
    public static List<ProcessInfo> terminate(long sid, String signal, Duration timeout, LongConsumer onKill) {
        List<ProcessInfo> members = Procfs.session(sid);
        if (members.isEmpty()) {
            return List.of();
        }
        if (signal.equals("TERM") || signal.equals("KILL")) {
            // Straight kill(2) per member through the JDK: no fork of kill(1) on the restart path.
            // A child forked meanwhile is caught by the rescans below.
            for (ProcessInfo p : members) {
                Signals.send(p.pid(), signal);
            }
        } else {
            Signals.sendGroup(sid, signal);
            for (ProcessInfo p : members) {
                if (p.pgid() != sid) {
                    Signals.send(p.pid(), signal); // moved to a group of its own, still in the session
                }
            }
        }
        if (awaitGone(sid, timeout)) {
            return List.of();
        }
        for (ProcessInfo p : Procfs.session(sid)) {
            onKill.accept(p.pid());
            Signals.send(p.pid(), "KILL");
        }
        awaitGone(sid, Duration.ofSeconds(5));
        return Procfs.session(sid);
    }

    /**
     * Stops a process Lifeline started with {@link Launcher#start}: its whole session where the
     * OS has sessions and {@code /proc} (so helpers it spawned, such as a ProxyJump {@code ssh}, go
     * too), otherwise the process and its descendants through {@link ProcessHandle}. Waits for the
     * exit, so the ports it held are free on return.
     *
     * @return true when everything is gone
     */
    public static boolean stop(Launcher.Started started, Duration timeout) {
        Process p = started.process();
        if (Launcher.detaches() && Procfs.available()) {
            terminate(started.identity().pid(), "TERM", timeout, pid -> {});
        } else {
            p.descendants().forEach(ProcessHandle::destroy);
            p.destroy();
        }
        try {
            if (!p.waitFor(timeout.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS)) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
                return p.waitFor(5, java.util.concurrent.TimeUnit.SECONDS);
            }
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            p.destroyForcibly();
            return false;
        }
    }

    /** Waits until session {@code sid} has no live process: checks every 2 ms at first, then every 10 ms. */
    public static boolean awaitGone(long sid, Duration timeout) {
        long start = System.nanoTime();
        long deadline = start + timeout.toNanos();
        while (true) {
            if (Procfs.session(sid).isEmpty()) {
                return true;
            }
            if (System.nanoTime() > deadline) {
                return false;
            }
            try {
                Thread.sleep(System.nanoTime() - start < 100_000_000L ? 2 : 10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
    }

    /** Sum of RSS over the live session members. */
    public static long rss(long sid) {
        long total = 0;
        for (ProcessInfo p : Procfs.session(sid)) {
            total += p.rssBytes();
        }
        return total;
    }
}
