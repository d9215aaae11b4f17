package dev.lifeline.tunnel;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lifeline.config.TunnelSpec;
import dev.lifeline.core.Event;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * The link check's judgement on a monotonic clock the test moves: the promises of docs/tunnel.md
 * ("How a dead link is found") without waiting for real time. {@link TunnelKeeperTest} and {@link
 * TunnelSessionTest} show the same against real ssh and a real sshd.
 */
class LinkWatchTest {
    private static final TunnelSpec.Probe PROBE = TunnelSpec.DEFAULT_PROBE; // every 1 s, 2 s timeout, 2 failures

    private final AtomicLong now = new AtomicLong(TimeUnit.SECONDS.toNanos(1000));
    private final List<Event> events = new CopyOnWriteArrayList<>();
    private final TunnelSpec spec = TunnelSpec.fromCommand("t", List.of("ssh", "-L", "7860:127.0.0.1:7860", "host"));
    private final StatusBoard board = new StatusBoard(spec, Clock.systemUTC(), "ssh …");
    private final SessionFallback session = new SessionFallback(board, new TunnelEvents("t", events::add));

    private LinkWatch watch() {
        return new LinkWatch(PROBE, now::get, session);
    }

    private void advance(long millis) {
        now.addAndGet(TimeUnit.MILLISECONDS.toNanos(millis));
    }

    /** A check that waited {@code millis} for nothing. */
    private LinkCheck.Outcome silentFor(long millis) {
        advance(millis);
        return new LinkCheck.Outcome(LinkCheck.Result.SILENT, millis);
    }

    private LinkCheck.Outcome answerIn(long millis) {
        advance(millis);
        return new LinkCheck.Outcome(LinkCheck.Result.ANSWERS, millis);
    }

    @Test
    void aConfirmingCheckWaitsOnlyForWhatIsLeftOfFailuresTimesTimeoutSinceTheLastAnswer() {
        LinkWatch w = watch();
        assertThat(w.judge(answerIn(1), -1, -1)).isEqualTo(LinkWatch.Verdict.ANSWERED);
        assertThat(w.timeout()).isEqualTo(PROBE.timeout());
        advance(PROBE.interval().toMillis());
        assertThat(w.judge(silentFor(w.timeout().toMillis()), -1, -1)).isEqualTo(LinkWatch.Verdict.AGAIN);

        // 3 s since the last answer, of 2 × 2 s: the confirming check waits 1 s, not another 2 s
        assertThat(w.timeout()).isEqualTo(Duration.ofSeconds(1));
        assertThat(w.judge(silentFor(w.timeout().toMillis()), -1, -1)).isEqualTo(LinkWatch.Verdict.ENDS);
        assertThat(w.ending().kind()).isEqualTo(Problem.Kind.DEAD_LINK);
        assertThat(w.ending().message()).isEqualTo("no answer through the link for 3.0 s (2 probes)");
        assertThat(w.ending().permanent()).isFalse();
    }

    @Test
    void aSilentCheckWhileSshReadsATransferIsBusyNotDead() {
        LinkWatch w = watch();
        w.judge(answerIn(1), -1, -1);
        advance(6_000); // past the session's first seconds
        w.judge(answerIn(1), 0, 0);
        for (int i = 0; i < 5; i++) {
            assertThat(w.judge(silentFor(2_000), 1_000_000L * i, 1_000_000L * (i + 1)))
                    .as("silent check %d, 1 MB read meanwhile", i)
                    .isEqualTo(LinkWatch.Verdict.AGAIN);
        }
        // the transfer's bytes counted as signs of life: the next silence is a first failure, not the fifth
        assertThat(w.timeout()).isEqualTo(PROBE.timeout());
        assertThat(w.judge(silentFor(2_000), 5_000_000, 5_000_000)).isEqualTo(LinkWatch.Verdict.AGAIN);
        assertThat(w.judge(silentFor(2_000), 5_000_000, 5_000_000)).isEqualTo(LinkWatch.Verdict.ENDS);
        assertThat(session.current()).isEqualTo(Session.PTY);
    }

    @Test
    void remoteEndsAreProbedOnTheFirstAnswerThenEveryFifth() {
        LinkWatch w = watch();
        w.judge(answerIn(1), -1, -1);
        assertThat(w.remoteEndsDue(false)).isTrue();
        int due = 0;
        for (int i = 0; i < 20; i++) {
            advance(1_000);
            w.judge(answerIn(1), -1, -1);
            due += w.remoteEndsDue(true) ? 1 : 0;
        }
        assertThat(due).isEqualTo(4);
    }

    @Test
    void twoSessionsInARowSilentInTheirFirstSecondsFallBackToPlainForGood() {
        LinkWatch first = watch();
        assertThat(first.judge(silentFor(2_000), -1, -1)).isEqualTo(LinkWatch.Verdict.AGAIN);
        assertThat(first.judge(silentFor(2_000), -1, -1)).isEqualTo(LinkWatch.Verdict.ENDS);
        assertThat(first.ending().kind()).isEqualTo(Problem.Kind.DEAD_LINK); // one such session is a dead link
        assertThat(session.current()).isEqualTo(Session.PTY);

        LinkWatch second = watch(); // ssh reconnected; its session is silent at once again
        assertThat(second.judge(silentFor(2_000), -1, -1)).isEqualTo(LinkWatch.Verdict.ENDS);
        assertThat(second.ending().kind()).isEqualTo(Problem.Kind.SESSION_REFUSED);
        assertThat(session.current()).isEqualTo(Session.PLAIN);
        assertThat(board.snapshot().session()).startsWith("plain -N: the server runs a command of its own");
        assertThat(events).extracting(Event::type).containsExactly("session");
    }

    @Test
    void aSessionThatEchoesPastItsFirstSecondsClearsAnEarlierSilence() {
        LinkWatch first = watch();
        first.judge(silentFor(2_000), -1, -1);
        first.judge(silentFor(2_000), -1, -1); // dead link: reconnect

        LinkWatch second = watch();
        second.judge(answerIn(1), -1, -1);
        advance(6_000);
        assertThat(second.judge(answerIn(1), -1, -1)).isEqualTo(LinkWatch.Verdict.ANSWERED);
        second.judge(silentFor(2_000), -1, -1);
        second.judge(silentFor(2_000), -1, -1); // a real black hole, later

        LinkWatch third = watch();
        assertThat(third.judge(silentFor(2_000), -1, -1)).isEqualTo(LinkWatch.Verdict.AGAIN);
        assertThat(session.current()).isEqualTo(Session.PTY);
        assertThat(events).isEmpty();
    }
}
