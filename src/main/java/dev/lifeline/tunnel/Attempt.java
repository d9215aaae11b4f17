package dev.lifeline.tunnel;

import dev.lifeline.config.TunnelSpec;
import dev.lifeline.process.Procfs;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * One attempt of a tunnel: one ssh from its start to its end, and why it ended. It checks the
 * local ports, starts ssh, waits until every forward listens (up to {@code connectTimeout}, 30 s,
 * watching the server's reachability while ssh hangs), announces the tunnel up or degraded, then
 * checks the link ({@link LinkWatch}) and the remote ends until ssh exits, the link dies, the
 * clock jumps or a stop is requested. ssh's exit is explained by {@link SshDiagnosis} and {@link
 * SessionFallback}. ssh is stopped on return, whatever ended the attempt.
 *
 * <p>One per attempt, run once, by the tunnel's thread; {@link Keeper} decides what follows.
 */
final class Attempt {
    private static final long TICK_MILLIS = 100;
    /** A healthy attempt is up well before this, so it never probes the server's reachability. */
    private static final long REACH_AFTER_NANOS = TimeUnit.SECONDS.toNanos(2);

    /**
     * How an attempt ended.
     *
     * @param wasUp whether the tunnel had been announced up (a working link died, rather than a
     *     start failing)
     */
    record Ended(Problem problem, boolean wasUp, long endedAtNanos) {}

    private final TunnelParts parts;
    private final TunnelSpec spec;
    private final SshTarget target;
    private final SessionFallback session;
    private SshRun ssh;

    Attempt(TunnelParts parts, SshTarget target, SessionFallback session) {
        this.parts = parts;
        this.spec = parts.spec();
        this.target = target;
        this.session = session;
    }

    /**
     * Runs the attempt to its end; ssh is gone on return.
     *
     * @param downSince when the link went down ({@code nanos}), or -1 if it was never up
     */
    Ended run(long downSince) {
        Optional<TunnelSpec.Forward> taken = LocalPorts.firstTaken(spec.forwards());
        if (taken.isPresent()) {
            return ended(LocalPorts.taken(taken.get().localPort()), false);
        }
        List<String> argv = SshCommandLine.argv(parts.options().sshProgram(), spec, session.current());
        ssh = SshRun.start(argv, session.current(), parts.options().logDir(), spec.name(), parts.clock());
        try {
            parts.signal().watch(ssh);
            String command = SshCommandLine.display(argv);
            parts.board().started(command, ssh.pid());
            parts.events().starting(command, ssh.pid());
            Ended failed = connect();
            return failed != null ? failed : keepUp(downSince);
        } finally {
            parts.signal().unwatch();
            ssh.stop();
            parts.board().ended();
        }
    }

    /** Until every forward listens; null then, else how the attempt ended before. */
    private Ended connect() {
        long deadline = nanos() + parts.options().connectTimeout().toNanos();
        Boolean reach = null;
        long nextReach = nanos() + REACH_AFTER_NANOS;
        while (true) {
            if (parts.signal().requested()) {
                return ended(Problem.transient_(Problem.Kind.CLOSED, "stopped"), false);
            }
            if (!ssh.alive()) {
                return ended(explain(), false);
            }
            if (LocalPorts.allListening(spec.forwards())) {
                return null;
            }
            if (parts.clockWatch().jumped()) {
                return ended(
                        Problem.transient_(Problem.Kind.CLOCK_JUMP, "the clock jumped (sleep/wake?) while connecting"),
                        false);
            }
            long now = nanos();
            if (now > deadline) {
                return new Ended(
                        Problem.transient_(
                                Problem.Kind.UNREACHABLE,
                                "no connection to " + target.hostname() + " port " + target.port() + " after "
                                        + parts.options().connectTimeout().toSeconds() + " s"),
                        false,
                        now);
            }
            // only while the server seems unreachable: at most one pre-auth connection per outage
            if (now >= nextReach && target.directHost().isPresent() && !Boolean.TRUE.equals(reach)) {
                boolean r = target.directConnects();
                if (Boolean.FALSE.equals(reach) && r) {
                    // the pending attempt may sit in a long TCP retransmit: start afresh now
                    return ended(
                            Problem.transient_(
                                    Problem.Kind.NETWORK_RETURNED, "the server is reachable again; connecting afresh"),
                            false);
                }
                reach = r;
                nextReach = nanos() + TimeUnit.MILLISECONDS.toNanos(SshTarget.REACH_EVERY_MILLIS);
            }
            parts.signal().await(TICK_MILLIS / 2);
        }
    }

    /** The forwards listen: check the link and the remote ends, and keep checking until the attempt ends. */
    private Ended keepUp(long downSince) {
        boolean announced = false;
        TunnelSpec.Probe probe = spec.probe();
        LinkWatch watch = new LinkWatch(probe, parts.nanos(), session);
        long nextProbe = nanos();
        while (true) {
            if (parts.signal().requested()) {
                return ended(Problem.transient_(Problem.Kind.CLOSED, "stopped"), announced);
            }
            if (!ssh.alive()) {
                return ended(explain(), announced);
            }
            if (parts.clockWatch().jumped()) {
                return ended(
                        Problem.transient_(
                                Problem.Kind.CLOCK_JUMP,
                                "the clock jumped (the computer slept?); rebuilding the link at once"),
                        announced);
            }
            if (probe.kind() == TunnelSpec.Probe.Kind.OFF) {
                if (!announced) {
                    announced = true;
                    announceUp(downSince, null);
                }
                parts.signal().await(TICK_MILLIS * 2);
                continue;
            }
            if (nanos() < nextProbe) {
                parts.signal().await(Math.min(TICK_MILLIS * 2, TimeUnit.NANOSECONDS.toMillis(nextProbe - nanos()) + 1));
                continue;
            }
            Duration timeout = watch.timeout();
            long readBefore = Procfs.bytesRead(ssh.pid());
            LinkCheck.Outcome link = session.current() == Session.PTY
                    ? LinkCheck.echo(ssh.process(), timeout)
                    // ssh's keepalives (1 s × 3) watch the link: it exits when they go unanswered
                    : new LinkCheck.Outcome(LinkCheck.Result.ANSWERS, -1);
            if (!ssh.alive() || parts.signal().requested()) {
                continue; // the exit explains itself on the next turn
            }
            long readAfter = Procfs.bytesRead(ssh.pid());
            switch (watch.judge(link, readBefore, readAfter)) {
                case AGAIN -> {
                    nextProbe = nanos();
                    continue;
                }
                case ENDS -> {
                    return ended(watch.ending(), announced);
                }
                case ANSWERED -> {}
            }
            if (!watch.remoteEndsDue(announced)) {
                parts.board().rtt(link.millis());
                nextProbe = nanos() + probe.interval().toNanos();
                continue;
            }
            long window = link.millis() < 0 ? 500 : Math.max(200, link.millis() * 3);
            LinkCheck.RemoteEnds ends =
                    LinkCheck.remoteEnds(spec.forwards(), probe, Duration.ofMillis(window), timeout);
            String down = ends.down().isEmpty() ? null : String.join("; ", ends.down());
            Long rtt = link.millis() < 0 ? null : link.millis();
            if (!announced) {
                announced = true;
                parts.board().probed(ends.answers(), rtt);
                announceUp(downSince, down);
            } else {
                TunnelState before = parts.board().state();
                parts.board().probed(ends.answers(), rtt);
                if (down == null && before == TunnelState.DEGRADED) {
                    parts.board().set(TunnelState.UP, null);
                    parts.events().remoteEndsBack();
                } else if (down != null && before == TunnelState.UP) {
                    parts.board().set(TunnelState.DEGRADED, down);
                    parts.events().degraded(down);
                }
            }
            nextProbe = nanos() + probe.interval().toNanos();
        }
    }

    /** @param degraded which remote ends do not answer, or null when all do (or are not probed) */
    private void announceUp(long downSince, String degraded) {
        TunnelState s = degraded == null ? TunnelState.UP : TunnelState.DEGRADED;
        Long rttMillis = parts.board().rttMillis();
        String rtt = rttMillis == null ? "" : " (rtt " + rttMillis + " ms)";
        if (downSince >= 0) {
            int reconnects = parts.board().reconnected();
            double after = (nanos() - downSince) / 1e9;
            parts.board().set(s, degraded);
            parts.events().upAgain(after, rtt, reconnects, ssh.pid());
        } else {
            parts.board().set(s, degraded);
            parts.events().up(forwardsText(), rtt, ssh.pid());
        }
        if (degraded != null) {
            parts.events().degraded(degraded);
        }
    }

    private String forwardsText() {
        List<String> out = new ArrayList<>();
        for (TunnelSpec.Forward f : spec.forwards()) {
            out.add(f.local() + " → " + f.remote());
        }
        return String.join(", ", out) + " via " + target.user() + "@" + target.hostname() + ":" + target.port();
    }

    /** Why ssh exited. */
    private Problem explain() {
        int code = ssh.exitCode();
        String stderr = ssh.stderr();
        Problem p = SshDiagnosis.diagnose(spec.name(), spec.trustCommand(), stderr, code);
        return session.afterExit(stderr, code, p)
                .orElseGet(() -> SshDiagnosis.withFacts(p, parts.options().sshProgram(), target, spec));
    }

    private Ended ended(Problem p, boolean wasUp) {
        return new Ended(p, wasUp, nanos());
    }

    private long nanos() {
        return parts.nanos().getAsLong();
    }
}
