package dev.lifeline.supervisor;

import dev.lifeline.core.Event;
import dev.lifeline.process.Ports;
import dev.lifeline.process.ProcessInfo;
import dev.lifeline.process.ProcessTree;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The stop path: a stop asked for (by {@code stop}, {@code down}, a restart or a removal) ends the
 * current run's whole scope and records how it ended; and ending a scope itself, for the runner's
 * other paths: the stop signal to every process the service started, KILL to those still there
 * after the timeout (each reported), a rescan for what is left, then up to 3 s for its port to
 * close. The state changes under the runner's lock; the signalling and the waiting run without it.
 */
final class Stopper {
    private static final Duration PORT_WAIT = Duration.ofSeconds(3);

    private final RunState st;
    private final ServiceThread thread;
    private final ReadyWaiters waiters;

    Stopper(RunState st, ServiceThread thread, ReadyWaiters waiters) {
        this.st = st;
        this.thread = thread;
        this.waiters = waiters;
    }

    /** The result of a stop: the processes that would not die (empty on success). */
    record StopResult(boolean wasRunning, List<ProcessInfo> survivors, boolean portFree) {}

    /** Stops the service and everything it started; {@code why} is the reason status shows. Without the lock. */
    StopResult stop(String why) {
        ProcessTree.Scope sc = null;
        long g = 0;
        String sig = "";
        Duration timeout = Duration.ZERO;
        Optional<Integer> port = Optional.empty();
        StopResult early = null;
        synchronized (st) {
            thread.cancelPending();
            ServiceState before = st.life.state();
            boolean running = st.life.stopRequested(why);
            if (running && st.identity == null) {
                st.life.stopped(0, why);
                running = false;
            }
            waiters.fail(st.name + " was stopped");
            st.save();
            if (!running) {
                early = new StopResult(before == ServiceState.BACKOFF, List.of(), true);
            } else {
                sc = st.scope();
                g = st.gen;
                sig = st.spec.stop().signal();
                timeout = st.spec.stop().timeout();
                port = st.spec.port();
                st.outbox.emit(
                        "stopping",
                        Event.Level.INFO,
                        st.name + ": sending " + sig + " to its processes (session " + sc.sid() + ")",
                        Map.of("pid", sc.sid()));
            }
        }
        st.outbox.flush();
        if (early != null) {
            return early;
        }
        Ended ended;
        try {
            ended = end(sc, sig, timeout, port);
        } catch (RuntimeException | Error e) {
            synchronized (st) {
                st.life.stopFailed("stop failed: " + e);
                st.save();
            }
            throw e;
        }
        List<ProcessInfo> survivors = ended.survivors();
        synchronized (st) {
            if (st.current(g)) {
                Process p = st.process;
                st.endRun(p != null && !p.isAlive() ? p.exitValue() : null, "stopped");
                st.life.stopped(survivors.size(), why);
                st.process = null;
                st.identity = null;
                st.save();
                st.resources.stopped();
                st.outbox.emit(
                        "stopped",
                        Event.Level.INFO,
                        st.name + " stopped" + (survivors.isEmpty() ? "; no process of it is left" : ""),
                        Map.of());
            }
        }
        st.outbox.flush();
        return new StopResult(true, survivors, ended.portFree());
    }

    /** What ending the scope left: the processes that would not die, and whether the port closed. */
    record Ended(List<ProcessInfo> survivors, boolean portFree) {}

    /** Ends the scope and waits up to 3 s for {@code port} to stop listening. Without the lock. */
    Ended end(ProcessTree.Scope scope, String sig, Duration timeout, Optional<Integer> port) {
        List<ProcessInfo> survivors = terminate(scope, sig, timeout);
        boolean portFree = port.map(p -> awaitPortFree(p, PORT_WAIT)).orElse(true);
        return new Ended(survivors, portFree);
    }

    /** TERM (or the stop signal) to the whole scope, KILL after the timeout, each KILL reported. Without the lock. */
    List<ProcessInfo> terminate(ProcessTree.Scope scope, String sig, Duration timeout) {
        List<ProcessInfo> left = ProcessTree.terminate(
                scope,
                sig,
                timeout,
                pid -> st.outbox.emit(
                        "killed",
                        Event.Level.WARN,
                        st.name + ": pid " + pid + " was still running " + Wording.human(timeout) + " after " + sig
                                + "; sent KILL",
                        Map.of("pid", pid)));
        st.outbox.flush();
        return left;
    }

    static boolean awaitPortFree(int port, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (Ports.isListening(port)) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        return true;
    }
}
