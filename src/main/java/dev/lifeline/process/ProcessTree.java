package dev.lifeline.process;

import java.time.Duration;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.LongConsumer;

/**
 * Ends a whole service tree: every process of its session, children, grandchildren and orphans
 * re-parented to init alike. TERM (or the configured signal) first, KILL after the timeout, and
 * then a check that nothing is left.
 */
public final class ProcessTree {
    private ProcessTree() {}

    /** The environment variable every process of a service inherits; its value names home and service. */
    public static final String MARKER_VARIABLE = "LIFELINE_SERVICE";

    /**
     * Everything that belongs to one service: the members of its session, every process whose
     * environment carries its marker (workers that {@code setsid()} or double-fork out of the
     * session inherit it), and the members of its cgroup.
     *
     * @param sid the session (the main process's pid), or 0 for none
     * @param marker the marker's full environment entry ({@code NAME=value}), or "" for none
     * @param sinceTicks only processes started at or after this (the main process's start time:
     *     nothing older can descend from it), so few environments are read
     * @param cgroup the service's cgroup, if it has one
     * @param owners the uids a marked process may run as (the daemon's and the service's
     *     account): anyone can put the marker in their own environment, and a root daemon must not
     *     end, or adopt, another user's process for it; empty for any
     */
    public record Scope(long sid, String marker, long sinceTicks, Optional<MemoryCgroup> cgroup, Set<Long> owners) {
        public Scope {
            owners = Set.copyOf(owners);
        }

        /** One service's processes by marker alone, however old (for a daemon that lost its state). */
        public static Scope marked(String marker, Set<Long> owners) {
            return new Scope(0, marker, 0, Optional.empty(), owners);
        }

        private boolean ownerOk(long pid) {
            if (owners.isEmpty()) {
                return true;
            }
            java.util.OptionalInt uid = ProcessOwner.uid(pid);
            return uid.isPresent() && owners.contains((long) uid.getAsInt());
        }

        /** Live members, one pass over {@code /proc}; environments unreadable to us are skipped. */
        public List<ProcessInfo> members() {
            long self = ProcessHandle.current().pid();
            Map<Long, ProcessInfo> out = new LinkedHashMap<>();
            for (ProcessInfo p : Procfs.all()) {
                if (p.isZombie() || p.pid() == self) {
                    continue;
                }
                if ((sid > 0 && p.sid() == sid)
                        || (!marker.isEmpty()
                                && p.startTicks() >= sinceTicks
                                && Procfs.environHas(p.pid(), marker)
                                && ownerOk(p.pid()))) {
                    out.put(p.pid(), p);
                }
            }
            cgroup.ifPresent(cg -> {
                for (long pid : cg.pids()) {
                    if (pid != self && !out.containsKey(pid)) {
                        Procfs.read(pid).filter(p -> !p.isZombie()).ifPresent(p -> out.put(pid, p));
                    }
                }
            });
            return List.copyOf(out.values());
        }
    }

    /**
     * Signals every process in session {@code sid}, escalating to KILL after {@code timeout}.
     *
     * @param onKill told each pid that needed KILL
     * @return the processes still alive at the end (empty when the tree is gone)
     */
    public static List<ProcessInfo> terminate(long sid, String signal, Duration timeout, LongConsumer onKill) {
        return terminate(new Scope(sid, "", 0, Optional.empty(), Set.of()), signal, timeout, onKill);
    }

    /**
     * Ends every process of {@code scope}: {@code signal} first, KILL after {@code timeout}, and
     * then rescans until a scan finds nothing (a child forked meanwhile is signalled too). An
     * empty result is proven by a rescan, not assumed.
     *
     * @param onKill told each pid that needed KILL
     * @return the processes still alive at the end (empty when none is left)
     */
    public static List<ProcessInfo> terminate(Scope scope, String signal, Duration timeout, LongConsumer onKill) {
        long deadline = System.nanoTime() + timeout.toNanos();
        Set<ProcessIdentity> signalled = new HashSet<>();
        boolean killed = false;
        int killRounds = 0;
        for (int round = 0; round < 8; round++) {
            List<ProcessInfo> members = scope.members();
            if (members.isEmpty()) {
                return List.of();
            }
            List<ProcessInfo> fresh = members.stream()
                    .filter(p -> !signalled.contains(p.identity()))
                    .toList();
            long left = deadline - System.nanoTime();
            if (!killed && left > 0) {
                send(scope.sid(), fresh, signal);
                fresh.forEach(p -> signalled.add(p.identity()));
                awaitGone(members, Duration.ofNanos(left));
                continue;
            }
            if (killRounds++ >= 2) {
                return members; // stuck in the kernel (state D): KILL cannot end them
            }
            for (ProcessInfo p : members) {
                if (!killed || !signalled.contains(p.identity())) {
                    onKill.accept(p.pid());
                }
                Signals.send(p.pid(), "KILL");
                signalled.add(p.identity());
            }
            killed = true;
            awaitGone(members, Duration.ofSeconds(5));
        }
        return scope.members();
    }

    private static void send(long sid, List<ProcessInfo> members, String signal) {
        if (signal.equals("TERM") || signal.equals("KILL")) {
            // Straight kill(2) per member through the JDK: no fork of kill(1) on the restart path.
            for (ProcessInfo p : members) {
                Signals.send(p.pid(), signal);
            }
            return;
        }
        boolean groupSent = false;
        for (ProcessInfo p : members) {
            if (sid > 0 && p.pgid() == sid) {
                if (!groupSent) {
                    Signals.sendGroup(sid, signal);
                    groupSent = true;
                }
            } else {
                Signals.send(p.pid(), signal); // in a group of its own, or out of the session
            }
        }
    }

    /** Waits until none of {@code members} is alive (a reused pid does not count): 2 ms polls at first, then 10 ms. */
    static boolean awaitGone(List<ProcessInfo> members, Duration timeout) {
        long start = System.nanoTime();
        long deadline = start + timeout.toNanos();
        while (true) {
            if (members.stream().noneMatch(p -> p.identity().isAlive())) {
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
        return usage(sid).rssBytes();
    }

    /**
     * What a session's live members use, from one look at {@code /proc}.
     *
     * @param rssBytes resident memory summed over the live members
     * @param cpuSeconds CPU time (user + system) of the live members and of the exited children
     *     they waited for; a process that exits unwaited-for (reparented to init) drops out
     */
    public record Usage(long rssBytes, double cpuSeconds) {}

    public static Usage usage(long sid) {
        long rss = 0;
        long ticks = 0;
        for (ProcessInfo p : Procfs.session(sid)) {
            rss += p.rssBytes();
            ticks += p.cpuTicks() + p.childCpuTicks();
        }
        return new Usage(rss, (double) ticks / Procfs.ticksPerSecond());
    }
}
