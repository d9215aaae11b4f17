package dev.lifeline.tunnel;

import dev.lifeline.config.TunnelSpec;
import dev.lifeline.core.Event;
import dev.lifeline.core.EventListener;
import dev.lifeline.core.LifelineException;
import dev.lifeline.process.LaunchSpec;
import dev.lifeline.process.Launcher;
import dev.lifeline.process.Ports;
import dev.lifeline.process.ProcessInfo;
import dev.lifeline.process.ProcessTree;
import dev.lifeline.process.Procfs;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongSupplier;

/**
 * One supervised tunnel: a thread that starts ssh, watches it and the link, and rebuilds it. The
 * thread ({@code lifeline-tunnel-NAME}) is the only one that starts or stops ssh; other threads
 * read the status and ask it to stop.
 */
final class Tunnel {
    private static final long TICK_MILLIS = 100;
    private static final long REACH_EVERY_MILLIS = 500;
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(3);
    /** Probe the remote ends every this many link checks (every check while one does not answer). */
    private static final int FORWARD_EVERY = 5;
    /** ssh reading more than this during a silent link check means data is flowing: busy, not dead. */
    private static final long BUSY_BYTES = 64 * 1024;
    /**
     * A session whose echo stops this soon after its first one is taken for a command of the
     * server's own that turned the echo off (a link rarely dies in the first seconds).
     */
    private static final long SESSION_SETTLE_NANOS = TimeUnit.SECONDS.toNanos(5);

    private final TunnelSpec spec;
    private final TunnelManager.Options options;
    private final EventListener events;
    private final Clock clock;
    private final LongSupplier nanos;
    private final Backoff backoff;
    private final String source;
    private final Path log;

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private volatile boolean stopping;
    private boolean woken; // guarded by lock

    // status, guarded by lock
    private TunnelState state = TunnelState.CONNECTING;
    private Instant since;
    private int reconnects;
    private String lastError;
    private String lastHint;
    private Long rttMillis;
    private final Boolean[] answers;
    private String command = "";
    private long pid = -1;
    private String sessionText = "pty";

    private Thread thread; // guarded by lock
    private volatile Launcher.Started ssh; // started and stopped by the loop thread only
    private SshTarget target; // loop thread only
    private Session session = Session.PTY; // loop thread only; PLAIN for good once the server refuses a session
    private int youngSilences; // loop thread only: sessions in a row that went silent in their first seconds
    private long lastWall;
    private long lastMono;

    Tunnel(
            TunnelSpec spec,
            TunnelManager.Options options,
            EventListener events,
            Clock clock,
            LongSupplier nanos,
            java.util.random.RandomGenerator random) {
        this.spec = spec;
        this.options = options;
        this.events = events;
        this.clock = clock;
        this.nanos = nanos;
        this.backoff = new Backoff(options.backoffMin(), options.backoffMax(), random);
        this.source = "tunnel/" + spec.name();
        this.log = options.logDir().resolve("tunnel-" + spec.name() + ".log");
        this.answers = new Boolean[spec.forwards().size()];
        this.since = clock.instant();
        this.command = SshCommandLine.display(SshCommandLine.argv(options.sshProgram(), spec, Session.PTY));
    }

    TunnelSpec spec() {
        return spec;
    }

    /** Starts the tunnel's thread, unless it was asked to stop before it ever started. */
    void start() {
        lock.lock();
        try {
            if (stopping || thread != null) {
                return;
            }
            thread = new Thread(this::run, "lifeline-tunnel-" + spec.name());
            thread.setDaemon(true);
            thread.start();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Asks the thread to stop and returns at once: ends ssh now (TERM), so a probe waiting on it
     * returns, and wakes the thread. Safe to call twice, and before {@link #start}.
     */
    void requestStop() {
        stopping = true;
        Launcher.Started s = ssh;
        if (s != null) {
            s.process().destroy();
        }
        wake();
    }

    /** Stops ssh and the thread; waits for both (holding no lock). Safe to call twice. */
    void stop() {
        requestStop();
        awaitStopped();
    }

    /** Waits for the thread to end (it stops ssh on its way out). Call without holding any lock. */
    void awaitStopped() {
        Thread t;
        lock.lock();
        try {
            t = thread;
        } finally {
            lock.unlock();
        }
        if (t != null && t != Thread.currentThread()) {
            try {
                t.join(STOP_TIMEOUT.toMillis() * 3);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    TunnelStatus status() {
        lock.lock();
        try {
            List<TunnelStatus.ForwardStatus> fs = new ArrayList<>();
            for (int i = 0; i < answers.length; i++) {
                TunnelSpec.Forward f = spec.forwards().get(i);
                fs.add(new TunnelStatus.ForwardStatus(f.local(), f.remote(), Optional.ofNullable(answers[i])));
            }
            return new TunnelStatus(
                    spec.name(),
                    state,
                    reconnects,
                    Optional.ofNullable(lastError),
                    Optional.ofNullable(lastHint),
                    Optional.ofNullable(rttMillis),
                    fs,
                    command,
                    pid,
                    since,
                    sessionText);
        } finally {
            lock.unlock();
        }
    }

    /** Waits until the state is one of {@code states}, or the timeout passes; returns the status then. */
    TunnelStatus await(java.util.Set<TunnelState> states, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        lock.lock();
        try {
            while (!states.contains(state)) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    break;
                }
                changed.awaitNanos(left);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            lock.unlock();
        }
        return status();
    }

    // ------------------------------------------------------------------ the loop

    private record Ended(Problem problem, boolean wasUp, long endedAtNanos) {}

    private void run() {
        resetClockWatch();
        try {
            target = SshTarget.resolve(options.sshProgram(), spec);
            int attempt = 0;
            long downSince = -1;
            while (!stopping) {
                Ended end = attemptOnce(downSince);
                stopSsh();
                if (stopping) {
                    break;
                }
                Problem p = end.problem();
                if (p.kind() == Problem.Kind.SESSION_REFUSED) {
                    // not an outage (the link was fine): the same tunnel again, at once, without a session
                    setState(state(), p.message());
                    continue;
                }
                if (end.wasUp()) {
                    attempt = 0;
                    downSince = end.endedAtNanos();
                    emit(
                            "down",
                            Event.Level.WARN,
                            "tunnel " + spec.name() + " down: " + p.message(),
                            Map.of(
                                    "reason",
                                    p.message(),
                                    "kind",
                                    p.kind().name().toLowerCase(Locale.ROOT)));
                }
                if (p.permanent()) {
                    setState(TunnelState.FAILED, p.text(), p.hint());
                    emit(
                            "failed",
                            Event.Level.ERROR,
                            "tunnel " + spec.name() + " failed: " + p.text(),
                            Map.of(
                                    "reason",
                                    p.message(),
                                    "kind",
                                    p.kind().name().toLowerCase(Locale.ROOT)));
                    awaitStop();
                    break;
                }
                if (downSince < 0) {
                    downSince = end.endedAtNanos();
                }
                boolean immediate =
                        p.kind() == Problem.Kind.CLOCK_JUMP || p.kind() == Problem.Kind.NETWORK_RETURNED || end.wasUp();
                Duration delay = immediate ? Duration.ZERO : backoff.delay(++attempt);
                setState(
                        end.wasUp() || reconnects > 0 || attempt > 0
                                ? TunnelState.RECONNECTING
                                : TunnelState.CONNECTING,
                        p.message(),
                        p.hint());
                emit(
                        "retrying",
                        Event.Level.INFO,
                        "tunnel " + spec.name() + ": " + p.message() + "; retrying in " + seconds(delay.toNanos())
                                + " s",
                        Map.of("delayMillis", delay.toMillis()));
                pause(delay, p.kind() == Problem.Kind.UNREACHABLE);
            }
        } catch (LifelineException e) {
            String text = e.hint() == null ? e.getMessage() : e.getMessage() + " → " + e.hint();
            setState(TunnelState.FAILED, text, e.hint());
            emit(
                    "failed",
                    Event.Level.ERROR,
                    "tunnel " + spec.name() + " failed: " + text,
                    Map.of("reason", e.getMessage()));
        } catch (RuntimeException e) {
            setState(TunnelState.FAILED, "internal error: " + e);
            emit(
                    "failed",
                    Event.Level.ERROR,
                    "tunnel " + spec.name() + " failed: " + e,
                    Map.of("reason", e.toString()));
        } finally {
            stopSsh();
            emit("stopped", Event.Level.INFO, "tunnel " + spec.name() + " stopped", Map.of());
        }
    }

    private Ended attemptOnce(long downSince) {
        for (TunnelSpec.Forward f : spec.forwards()) {
            if (!canBind(f)) {
                return new Ended(portTaken(f.localPort()), false, nanos.getAsLong());
            }
        }
        List<String> argv = SshCommandLine.argv(options.sshProgram(), spec, session);
        long offset = trimAndSize(log);
        try {
            Files.createDirectories(options.logDir());
            Files.writeString(
                    log,
                    "--- " + clock.instant() + " " + SshCommandLine.display(argv) + "\n",
                    StandardCharsets.UTF_8,
                    java.nio.file.StandardOpenOption.CREATE,
                    java.nio.file.StandardOpenOption.APPEND,
                    java.nio.file.LinkOption.NOFOLLOW_LINKS);
        } catch (IOException e) {
            throw new LifelineException(
                    "cannot write " + log + ": " + e.getMessage(), "check that " + options.logDir() + " is writable");
        }
        offset = size(log);
        LaunchSpec launch = new LaunchSpec(argv, options.logDir(), Map.of(), log, Map.of(), Optional.empty());
        ssh = session == Session.PTY ? Launcher.startPiped(launch) : Launcher.start(launch);
        ssh.process().onExit().thenRun(this::wake);
        lock.lock();
        try {
            command = SshCommandLine.display(argv);
            pid = ssh.identity().pid();
        } finally {
            lock.unlock();
        }
        emit(
                "starting",
                Event.Level.INFO,
                "tunnel " + spec.name() + ": " + command,
                Map.of("pid", pid, "command", command));

        // connecting: until every forward listens, ssh exits, or the network comes back under it
        long deadline = nanos.getAsLong() + options.connectTimeout().toNanos();
        Boolean reach = null;
        // a healthy attempt is up well before this, so it never probes
        long nextReach = nanos.getAsLong() + TimeUnit.SECONDS.toNanos(2);
        while (true) {
            if (stopping) {
                return new Ended(Problem.transient_(Problem.Kind.CLOSED, "stopped"), false, nanos.getAsLong());
            }
            if (!ssh.process().isAlive()) {
                return new Ended(explain(offset), false, nanos.getAsLong());
            }
            if (listening()) {
                break;
            }
            if (clockJumped()) {
                return new Ended(
                        Problem.transient_(Problem.Kind.CLOCK_JUMP, "the clock jumped (sleep/wake?) while connecting"),
                        false,
                        nanos.getAsLong());
            }
            long now = nanos.getAsLong();
            if (now > deadline) {
                return new Ended(
                        Problem.transient_(
                                Problem.Kind.UNREACHABLE,
                                "no connection to " + target.hostname() + " port " + target.port() + " after "
                                        + options.connectTimeout().toSeconds() + " s"),
                        false,
                        now);
            }
            // Only while the server seems unreachable: each probe that connects is a pre-auth connection
            // in the server's log (and counts toward OpenSSH's PerSourcePenalties), so at most one per outage.
            if (now >= nextReach && target.directHost().isPresent() && !Boolean.TRUE.equals(reach)) {
                boolean r = Ports.answers(target.directHost().get(), target.directPort(), 400);
                if (Boolean.FALSE.equals(reach) && r) {
                    // the pending attempt may sit in a long TCP retransmit: start afresh now
                    return new Ended(
                            Problem.transient_(
                                    Problem.Kind.NETWORK_RETURNED, "the server is reachable again; connecting afresh"),
                            false,
                            nanos.getAsLong());
                }
                reach = r;
                nextReach = nanos.getAsLong() + TimeUnit.MILLISECONDS.toNanos(REACH_EVERY_MILLIS);
            }
            sleep(TICK_MILLIS / 2);
        }

        // up: the forwards listen; check the link and the remote ends, then keep checking
        boolean announced = false;
        int failures = 0;
        long firstSilent = -1;
        long lastAnswer = nanos.getAsLong(); // the forwards just opened: the link worked then
        long srtt = -1;
        TunnelSpec.Probe probe = spec.probe();
        long nextProbe = nanos.getAsLong();
        long round = 0;
        long echoedAt = -1; // when this ssh's session first answered a link check
        boolean youngSilence = false; // this session went silent in its first seconds
        while (true) {
            if (stopping) {
                return new Ended(Problem.transient_(Problem.Kind.CLOSED, "stopped"), announced, nanos.getAsLong());
            }
            if (!ssh.process().isAlive()) {
                return new Ended(explain(offset), announced, nanos.getAsLong());
            }
            if (clockJumped()) {
                return new Ended(
                        Problem.transient_(
                                Problem.Kind.CLOCK_JUMP,
                                "the clock jumped (the computer slept?); rebuilding the link at once"),
                        announced,
                        nanos.getAsLong());
            }
            if (probe.kind() == TunnelSpec.Probe.Kind.OFF) {
                if (!announced) {
                    announced = true;
                    announceUp(downSince, null);
                }
                waitTick(TICK_MILLIS * 2);
                continue;
            }
            if (nanos.getAsLong() < nextProbe) {
                waitTick(Math.min(TICK_MILLIS * 2, TimeUnit.NANOSECONDS.toMillis(nextProbe - nanos.getAsLong()) + 1));
                continue;
            }
            Duration timeout = srtt < 0
                    ? probe.timeout()
                    : Duration.ofMillis(Math.max(probe.timeout().toMillis(), srtt * 4));
            if (failures > 0) {
                // a confirming check waits only for what is left of failures × timeout since the last
                // answer (a link silent that long is dead): a black hole is found within 4 s, not 5
                long left = timeout.toMillis() * probe.failures()
                        - TimeUnit.NANOSECONDS.toMillis(nanos.getAsLong() - lastAnswer);
                long floor = Math.max(500, srtt * 4);
                timeout = Duration.ofMillis(Math.max(floor, Math.min(timeout.toMillis(), left)));
            }
            long readBefore = Procfs.bytesRead(ssh.identity().pid());
            LinkCheck.Outcome link = session == Session.PTY
                    ? LinkCheck.echo(ssh.process(), timeout)
                    // ssh's keepalives (1 s × 3) watch the link: it exits when they go unanswered
                    : new LinkCheck.Outcome(LinkCheck.Result.ANSWERS, -1);
            if (!ssh.process().isAlive() || stopping) {
                continue; // the exit explains itself on the next turn
            }
            long readAfter = Procfs.bytesRead(ssh.identity().pid());
            if (link.result() == LinkCheck.Result.SILENT && readBefore >= 0 && readAfter - readBefore > BUSY_BYTES) {
                // the answer is queued behind a bulk transfer: the link is slow, not dead
                lastAnswer = nanos.getAsLong(); // the server's bytes are a sign of life too
                nextProbe = nanos.getAsLong();
                continue;
            }
            boolean young = echoedAt < 0 || nanos.getAsLong() - echoedAt < SESSION_SETTLE_NANOS;
            if (session == Session.PTY && link.result() == LinkCheck.Result.SILENT && young && !youngSilence) {
                youngSilence = true;
                if (++youngSilences >= 2) {
                    // twice running, a session that never echoed or stopped at once, while ssh stays
                    // connected: a command of the server's own runs there (ForceCommand, a command= key)
                    return new Ended(
                            plain("the server runs a command of its own in Lifeline's session (ForceCommand or"
                                    + " a command= key), which does not echo"),
                            announced,
                            nanos.getAsLong());
                }
            }
            if (link.result() == LinkCheck.Result.ANSWERS) {
                if (echoedAt < 0) {
                    echoedAt = nanos.getAsLong();
                } else if (!young) {
                    youngSilences = 0; // this session echoes for good
                }
            }
            if (link.result() == LinkCheck.Result.SILENT) {
                if (firstSilent < 0) {
                    firstSilent = nanos.getAsLong() - TimeUnit.MILLISECONDS.toNanos(link.millis());
                }
                failures++;
                if (failures >= probe.failures()) {
                    return new Ended(
                            Problem.transient_(
                                    Problem.Kind.DEAD_LINK,
                                    "no answer through the link for " + seconds(nanos.getAsLong() - firstSilent)
                                            + " s (" + failures + " probes)"),
                            announced,
                            nanos.getAsLong());
                }
                // look again at once: confirming a dead link should cost one timeout more, not an interval
                nextProbe = nanos.getAsLong();
                continue;
            }
            failures = 0;
            firstSilent = -1;
            lastAnswer = nanos.getAsLong();
            if (link.millis() >= 0) {
                srtt = srtt < 0 ? link.millis() : (srtt * 7 + link.millis()) / 8;
            }
            round++;
            // The remote ends every fifth check, answering or not: while an app is down, each probe
            // is a "connect failed" line in the server's log, so not one a second.
            if (announced && round % FORWARD_EVERY != 0) {
                setRtt(link.millis());
                nextProbe = nanos.getAsLong() + probe.interval().toNanos();
                continue;
            }
            long window = link.millis() < 0 ? 500 : Math.max(200, link.millis() * 3);
            List<String> down = new ArrayList<>();
            Boolean[] now = new Boolean[answers.length];
            for (int i = 0; i < now.length; i++) {
                TunnelSpec.Forward f = spec.forwards().get(i);
                LinkCheck.Outcome o = LinkCheck.forward(f, probe, Duration.ofMillis(window), timeout);
                now[i] = o.result() == LinkCheck.Result.ANSWERS;
                if (!now[i]) {
                    down.add(
                            o.result() == LinkCheck.Result.REFUSED
                                    ? "nothing listens on " + f.remote() + " on the server"
                                    : f.remote() + " on the server accepts but does not answer " + probe.httpPath());
                }
            }
            Long rtt = link.millis() < 0 ? null : link.millis();
            if (!announced) {
                announced = true;
                setProbe(now, rtt);
                announceUp(downSince, down.isEmpty() ? null : String.join("; ", down));
            } else {
                TunnelState before = status().state();
                setProbe(now, rtt);
                if (down.isEmpty() && before == TunnelState.DEGRADED) {
                    setState(TunnelState.UP, null);
                    emit(
                            "up",
                            Event.Level.INFO,
                            "tunnel " + spec.name() + ": every remote end answers again",
                            Map.of());
                } else if (!down.isEmpty() && before == TunnelState.UP) {
                    setState(TunnelState.DEGRADED, String.join("; ", down));
                    emit(
                            "degraded",
                            Event.Level.WARN,
                            "tunnel " + spec.name() + " degraded: " + String.join("; ", down)
                                    + " (the link itself is fine)",
                            Map.of());
                }
            }
            nextProbe = nanos.getAsLong() + probe.interval().toNanos();
        }
    }

    private void announceUp(long downSince, String degraded) {
        TunnelState s = degraded == null ? TunnelState.UP : TunnelState.DEGRADED;
        String rtt = rttMillis == null ? "" : " (rtt " + rttMillis + " ms)";
        if (downSince >= 0) {
            lock.lock();
            try {
                reconnects++;
            } finally {
                lock.unlock();
            }
            double after = (nanos.getAsLong() - downSince) / 1e9;
            setState(s, degraded);
            // C2: the notifier tells people a tunnel is back, as it told them it went down
            emit(
                    "tunnel-up",
                    Event.Level.INFO,
                    String.format(Locale.ROOT, "tunnel %s up again after %.1f s down%s", spec.name(), after, rtt),
                    Map.of(
                            "downSeconds",
                            after,
                            "afterSeconds",
                            after,
                            "reconnects",
                            status().reconnects(),
                            "pid",
                            pid));
        } else {
            setState(s, degraded);
            emit("up", Event.Level.INFO, "tunnel " + spec.name() + " up: " + forwardsText() + rtt, Map.of("pid", pid));
        }
        if (degraded != null) {
            emit(
                    "degraded",
                    Event.Level.WARN,
                    "tunnel " + spec.name() + " degraded: " + degraded + " (the link itself is fine)",
                    Map.of());
        }
    }

    private String forwardsText() {
        List<String> out = new ArrayList<>();
        for (TunnelSpec.Forward f : spec.forwards()) {
            out.add(f.local() + " → " + f.remote());
        }
        return String.join(", ", out) + " via " + target.user() + "@" + target.hostname() + ":" + target.port();
    }

    private Problem explain(long offset) {
        int code = ssh.process().exitValue();
        String stderr = readFrom(log, offset);
        Problem p = SshDiagnosis.diagnose(spec.name(), spec.trustCommand(), stderr, code);
        if (session == Session.PTY) {
            if (stderr.contains("PTY allocation request failed")) {
                return plain("the server refuses a pty (a no-pty key, or PermitTTY no)");
            }
            if (stderr.contains("exec request failed")) {
                return plain("the server refuses to run a command");
            }
            if (p.kind() == Problem.Kind.CLOSED && code >= 0 && code < 128) {
                // ssh's own errors are 255, signals 128+n: this is the status of a command that ended
                return plain("the server ended Lifeline's session with status " + code
                        + " (ForceCommand or a command= key)");
            }
        }
        switch (p.kind()) {
            case HOST_KEY_UNKNOWN -> {
                String fps;
                try {
                    HostKeys.Scanned s = HostKeys.scan(options.sshProgram(), target, Duration.ofSeconds(5));
                    fps = s.keys().isEmpty() ? "the server offered no key to ssh-keyscan" : s.describe();
                } catch (LifelineException e) {
                    fps = "fingerprint unavailable: " + e.getMessage();
                }
                return Problem.permanent(
                        p.kind(),
                        "host key of " + target.knownHostsName() + " is not known (" + fps + ")",
                        "if the server's owner confirms that fingerprint, run '" + spec.trustCommand()
                                + "' (or: ssh-keyscan -p " + target.port() + " " + target.hostname() + " >> "
                                + target.knownHostsFiles().get(0) + ")");
            }
            case PORT_TAKEN -> {
                for (TunnelSpec.Forward f : spec.forwards()) {
                    if (!canBind(f)) {
                        return portTaken(f.localPort());
                    }
                }
                // every forward's port is free: the clash was on the link check's own port, taken in between
                return Problem.transient_(
                        Problem.Kind.CLOSED, p.message() + " (Lifeline's probe port; picking another)");
            }
            case AUTH -> {
                for (Path k : target.identityFiles()) {
                    if (Files.isReadable(k)
                            && SshDiagnosis.isEncryptedKey(k)
                            && System.getenv("SSH_AUTH_SOCK") == null) {
                        return Problem.permanent(
                                p.kind(),
                                "the key " + k
                                        + " needs its passphrase and no ssh-agent holds it (Lifeline never types passphrases)",
                                "load it once: eval $(ssh-agent) && ssh-add " + k
                                        + "; then start the tunnel from that shell");
                    }
                }
                return p;
            }
            default -> {
                return p;
            }
        }
    }

    /** Goes on without a session, for good: the tunnel must work where the server refuses one. */
    private Problem plain(String why) {
        session = Session.PLAIN;
        String text = "plain -N: " + why + "; small requests may wait ~40 ms (Nagle)";
        lock.lock();
        try {
            sessionText = text;
        } finally {
            lock.unlock();
        }
        emit(
                "session",
                Event.Level.WARN,
                "tunnel " + spec.name() + ": " + text + "; reconnecting without a session",
                Map.of("session", "plain", "reason", why));
        return Problem.transient_(Problem.Kind.SESSION_REFUSED, why + "; reconnecting without a session");
    }

    private Problem portTaken(int port) {
        Optional<ProcessInfo> owner = Ports.owner(port);
        String who = owner.map(
                        o -> "pid " + o.pid() + " (" + (o.command().isEmpty() ? "?" : abbreviate(o.command())) + ")")
                .orElse("another program (the OS does not say which)");
        return Problem.permanent(
                Problem.Kind.PORT_TAKEN,
                "local port " + port + " is taken by " + who,
                "stop that program, or forward another local port (e.g. " + (port + 1) + ":…)");
    }

    private static String abbreviate(String s) {
        return s.length() > 120 ? s.substring(0, 117) + "…" : s;
    }

    // ------------------------------------------------------------------ helpers

    private boolean listening() {
        for (TunnelSpec.Forward f : spec.forwards()) {
            if (!Ports.isListening(f.localPort())) {
                return false;
            }
        }
        return true;
    }

    private static boolean canBind(TunnelSpec.Forward f) {
        try (ServerSocket s = new ServerSocket()) {
            s.setReuseAddress(true);
            s.bind(new InetSocketAddress(f.bind().equals("localhost") ? "127.0.0.1" : f.bind(), f.localPort()));
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private void stopSsh() {
        Launcher.Started s = ssh;
        if (s != null) {
            ssh = null;
            if (s.process().isAlive()) {
                ProcessTree.stop(s, STOP_TIMEOUT);
            }
            closeQuietly(s.process().getOutputStream()); // the session's pipes (empty streams without one)
            closeQuietly(s.process().getInputStream());
            lock.lock();
            try {
                pid = -1;
            } finally {
                lock.unlock();
            }
        }
    }

    private boolean clockJumped() {
        long wall = clock.millis();
        long mono = TimeUnit.NANOSECONDS.toMillis(nanos.getAsLong());
        long drift = (wall - lastWall) - (mono - lastMono);
        lastWall = wall;
        lastMono = mono;
        return Math.abs(drift) > options.clockJump().toMillis();
    }

    private void resetClockWatch() {
        lastWall = clock.millis();
        lastMono = TimeUnit.NANOSECONDS.toMillis(nanos.getAsLong());
    }

    /** Waits out a backoff delay; returns early when stopped or when the server becomes reachable again. */
    private void pause(Duration delay, boolean watchReach) {
        long end = nanos.getAsLong() + delay.toNanos();
        boolean wasReachable = !watchReach
                || target.directHost().isEmpty()
                || Ports.answers(target.directHost().get(), target.directPort(), 400);
        while (!stopping && nanos.getAsLong() < end) {
            waitTick(Math.min(REACH_EVERY_MILLIS, TimeUnit.NANOSECONDS.toMillis(end - nanos.getAsLong()) + 1));
            if (clockJumped()) {
                return;
            }
            if (!wasReachable && Ports.answers(target.directHost().get(), target.directPort(), 400)) {
                return;
            }
        }
    }

    private void awaitStop() {
        while (!stopping) {
            waitTick(1000);
        }
    }

    private void waitTick(long millis) {
        lock.lock();
        try {
            if (!woken && !stopping) {
                changed.await(Math.max(1, millis), TimeUnit.MILLISECONDS);
            }
            woken = false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            stopping = true;
        } finally {
            lock.unlock();
        }
    }

    private void sleep(long millis) {
        waitTick(millis);
    }

    private void wake() {
        lock.lock();
        try {
            woken = true;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    private void setState(TunnelState s, String error) {
        setState(s, error, null);
    }

    /** @param hint what to do about {@code error}, or null; kept with it until the next error */
    private void setState(TunnelState s, String error, String hint) {
        lock.lock();
        try {
            if (state != s) {
                since = clock.instant();
            }
            state = s;
            if (error != null) {
                lastError = error;
                lastHint = hint;
            }
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    private static void closeQuietly(java.io.Closeable c) {
        try {
            c.close();
        } catch (IOException e) {
            // the process is gone; nothing to flush
        }
    }

    private TunnelState state() {
        lock.lock();
        try {
            return state;
        } finally {
            lock.unlock();
        }
    }

    private void setRtt(long rtt) {
        if (rtt < 0) {
            return; // no measure (ssh's keepalives watch the link)
        }
        lock.lock();
        try {
            rttMillis = rtt;
        } finally {
            lock.unlock();
        }
    }

    private void setProbe(Boolean[] now, Long rtt) {
        lock.lock();
        try {
            System.arraycopy(now, 0, answers, 0, now.length);
            if (rtt != null) {
                rttMillis = rtt;
            }
        } finally {
            lock.unlock();
        }
    }

    private void emit(String type, Event.Level level, String message, Map<String, Object> fields) {
        try {
            events.onEvent(Event.of(source, type, level, message, fields));
        } catch (RuntimeException e) {
            // a listener must not break the tunnel
        }
    }

    private static String seconds(long nanos) {
        return String.format(Locale.ROOT, "%.1f", nanos / 1e9);
    }

    private static long size(Path p) {
        try {
            return Files.exists(p) ? Files.size(p) : 0;
        } catch (IOException e) {
            return 0;
        }
    }

    /** Keeps the per-tunnel ssh log small: cut it when it passes 1 MiB. */
    private static long trimAndSize(Path p) {
        long n = size(p);
        if (n > (1 << 20)) {
            try {
                Files.writeString(
                        p,
                        "",
                        java.nio.file.StandardOpenOption.WRITE,
                        java.nio.file.StandardOpenOption.TRUNCATE_EXISTING,
                        java.nio.file.LinkOption.NOFOLLOW_LINKS); // never truncate a link's target
            } catch (IOException e) {
                return n;
            }
            return 0;
        }
        return n;
    }

    private static String readFrom(Path p, long offset) {
        try (RandomAccessFile f = new RandomAccessFile(p.toFile(), "r")) {
            long len = f.length();
            long from = Math.max(offset, len - 64 * 1024);
            if (from >= len) {
                return "";
            }
            byte[] b = new byte[(int) (len - from)];
            f.seek(from);
            f.readFully(b);
            return new String(b, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }
}
