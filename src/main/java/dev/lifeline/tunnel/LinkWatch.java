package dev.lifeline.tunnel;

import dev.lifeline.config.TunnelSpec;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * Judges one attempt's link from its link checks: how long the next check may wait, and whether
 * the link answers, must be checked again at once, or is dead. Defaults (from {@code probe:}):
 *
 * <ul>
 *   <li>a check waits {@code probe.timeout} (2 s), or 4× the smoothed round trip if larger;
 *   <li>{@code probe.failures} (2) silent checks in a row are a dead link, and a confirming check
 *       waits only for what is left of failures × timeout since the last answer (at least 500 ms,
 *       or 4× the round trip): a black hole is found in 3–4 s;
 *   <li>ssh reading more than 64 KiB during a silent check is busy, not dead: the answer is
 *       queued behind a transfer, and the check does not count;
 *   <li>a session silent within 5 s of its first echo (or before any) tells {@link
 *       SessionFallback}, once per session;
 *   <li>the remote ends are probed on the first answer, then every fifth.
 * </ul>
 *
 * <p>One per attempt, used by the tunnel's thread only.
 */
final class LinkWatch {
    /** Probe the remote ends every this many answered link checks. */
    private static final int REMOTE_ENDS_EVERY = 5;
    /** ssh reading more than this during a silent link check means data is flowing: busy, not dead. */
    private static final long BUSY_BYTES = 64 * 1024;
    /**
     * A session whose echo stops this soon after its first one is taken for a command of the
     * server's own that turned the echo off (a link rarely dies in the first seconds).
     */
    private static final long SESSION_SETTLE_NANOS = TimeUnit.SECONDS.toNanos(5);

    enum Verdict {
        /** The link answered. */
        ANSWERED,
        /** Silent but not yet dead, or busy: check again at once. */
        AGAIN,
        /** The attempt ends: {@link #ending()} says why. */
        ENDS
    }

    private final TunnelSpec.Probe probe;
    private final LongSupplier nanos;
    private final SessionFallback session;

    private int failures;
    private long firstSilent = -1;
    private long lastAnswer;
    private long srtt = -1;
    private long round;
    private long echoedAt = -1; // when this ssh's session first answered a link check
    private boolean youngSilence; // this session went silent in its first seconds
    private Problem ending;

    /** Starts now: the forwards just opened, so the link worked a moment ago. */
    LinkWatch(TunnelSpec.Probe probe, LongSupplier nanos, SessionFallback session) {
        this.probe = probe;
        this.nanos = nanos;
        this.session = session;
        this.lastAnswer = nanos.getAsLong();
    }

    /** How long the next link check may wait for its answer. */
    Duration timeout() {
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
        return timeout;
    }

    /**
     * @param readBefore bytes ssh had read before the check ({@code /proc/PID/io}), negative where
     *     the OS does not say
     * @param readAfter the same, after the check
     */
    Verdict judge(LinkCheck.Outcome link, long readBefore, long readAfter) {
        boolean silent = link.result() == LinkCheck.Result.SILENT;
        if (silent && readBefore >= 0 && readAfter - readBefore > BUSY_BYTES) {
            // the answer is queued behind a bulk transfer: the link is slow, not dead
            lastAnswer = nanos.getAsLong(); // the server's bytes are a sign of life too
            return Verdict.AGAIN;
        }
        boolean young = echoedAt < 0 || nanos.getAsLong() - echoedAt < SESSION_SETTLE_NANOS;
        if (session.current() == Session.PTY && silent && young && !youngSilence) {
            youngSilence = true;
            ending = session.silentWhileYoung().orElse(null);
            if (ending != null) {
                return Verdict.ENDS;
            }
        }
        if (link.result() == LinkCheck.Result.ANSWERS) {
            if (echoedAt < 0) {
                echoedAt = nanos.getAsLong();
            } else if (!young) {
                session.echoesForGood();
            }
        }
        if (silent) {
            if (firstSilent < 0) {
                firstSilent = nanos.getAsLong() - TimeUnit.MILLISECONDS.toNanos(link.millis());
            }
            failures++;
            if (failures >= probe.failures()) {
                ending = Problem.transient_(
                        Problem.Kind.DEAD_LINK,
                        "no answer through the link for "
                                + String.format(Locale.ROOT, "%.1f", (nanos.getAsLong() - firstSilent) / 1e9)
                                + " s (" + failures + " probes)");
                return Verdict.ENDS;
            }
            // look again at once: confirming a dead link should cost one timeout more, not an interval
            return Verdict.AGAIN;
        }
        failures = 0;
        firstSilent = -1;
        lastAnswer = nanos.getAsLong();
        if (link.millis() >= 0) {
            srtt = srtt < 0 ? link.millis() : (srtt * 7 + link.millis()) / 8;
        }
        round++;
        return Verdict.ANSWERED;
    }

    /** Why the attempt ends, after {@link Verdict#ENDS}. */
    Problem ending() {
        return ending;
    }

    /**
     * Whether to probe the remote ends after this answer: at first, then every fifth check,
     * answering or not (while an app is down each probe is a "connect failed" line in the server's
     * log, so not one a second).
     */
    boolean remoteEndsDue(boolean announced) {
        return !announced || round % REMOTE_ENDS_EVERY == 0;
    }
}
