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
 * Ends a service's scope: the stop signal to every process it started, KILL to those still there
 * after the timeout (each reported), a rescan for what is left, then a wait for its port to close.
 * Called without the runner's lock: everything here waits.
 */
final class Stopper {
    private static final Duration PORT_WAIT = Duration.ofSeconds(3);

    private final String name;
    private final Outbox outbox;

    Stopper(String name, Outbox outbox) {
        this.name = name;
        this.outbox = outbox;
    }

    /** What ending the scope left: the processes that would not die, and whether the port closed. */
    record Ended(List<ProcessInfo> survivors, boolean portFree) {}

    /** Ends the scope and waits up to 3 s for {@code port} to stop listening. */
    Ended end(ProcessTree.Scope scope, String sig, Duration timeout, Optional<Integer> port) {
        List<ProcessInfo> survivors = terminate(scope, sig, timeout);
        boolean portFree = port.map(p -> awaitPortFree(p, PORT_WAIT)).orElse(true);
        return new Ended(survivors, portFree);
    }

    /** TERM (or the stop signal) to the whole scope, KILL after the timeout, each KILL reported. */
    List<ProcessInfo> terminate(ProcessTree.Scope scope, String sig, Duration timeout) {
        List<ProcessInfo> left = ProcessTree.terminate(
                scope,
                sig,
                timeout,
                pid -> outbox.emit(
                        "killed",
                        Event.Level.WARN,
                        name + ": pid " + pid + " was still running " + ServiceRunner.human(timeout) + " after " + sig
                                + "; sent KILL",
                        Map.of("pid", pid)));
        outbox.flush();
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
