package dev.lifeline.supervisor;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lifeline.config.ServiceSpec;
import dev.lifeline.config.ServiceSpec.Restart.Policy;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The lifecycle decisions alone: no processes, no threads, a clock the test moves. */
class LifecycleTest {
    /** A clock that only moves when told. */
    static final class TestClock extends Clock {
        Instant now = Instant.parse("2026-01-01T00:00:00Z");

        void advance(Duration d) {
            now = now.plus(d);
        }

        @Override
        public java.time.ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }

    final TestClock clock = new TestClock();

    static ServiceSpec.Restart policy(Policy p, int giveUp) {
        return new ServiceSpec.Restart(
                p,
                Duration.ofSeconds(1),
                Duration.ofSeconds(8),
                Duration.ofSeconds(60),
                giveUp,
                Duration.ofMinutes(10));
    }

    Lifecycle running(ServiceSpec.Restart p) {
        Lifecycle l = new Lifecycle(p, clock);
        assertThat(l.startRequested()).isTrue();
        l.launched();
        return l;
    }

    @Test
    void aNewServiceIsStoppedAndWantsNothing() {
        Lifecycle l = new Lifecycle(policy(Policy.ALWAYS, 10), clock);
        assertThat(l.state()).isEqualTo(ServiceState.STOPPED);
        assertThat(l.wantRunning()).isFalse();
        assertThat(l.restarts()).isZero();
        assertThat(l.readySeconds()).isEqualTo(-1);
        assertThat(l.uptimeSeconds()).isZero();
        assertThat(l.reason()).isEmpty();
    }

    @Test
    void startingWhileRunningOrStoppingIsRefused() {
        Lifecycle l = running(policy(Policy.ALWAYS, 10));
        assertThat(l.state()).isEqualTo(ServiceState.STARTING);
        assertThat(l.wantRunning()).isTrue();
        assertThat(l.startRequested()).isFalse();
        assertThat(l.stopRequested("stop")).isTrue();
        assertThat(l.state()).isEqualTo(ServiceState.STOPPING);
        assertThat(l.startRequested()).isFalse();
    }

    @Test
    void readyRecordsHowLongItTookAndUptimeCounts() {
        Lifecycle l = running(policy(Policy.ALWAYS, 10));
        clock.advance(Duration.ofMillis(2500));
        assertThat(l.ready(true)).isEmpty();
        assertThat(l.state()).isEqualTo(ServiceState.READY);
        assertThat(l.readySeconds()).isEqualTo(2.5);
        assertThat(l.readyAt()).isEqualTo(clock.now);
        clock.advance(Duration.ofSeconds(10));
        assertThat(l.uptimeSeconds()).isEqualTo(12);
        assertThat(l.startedAt()).isEqualTo(clock.now.minusSeconds(12).minusMillis(500));
    }

    @Test
    void aCrashOfAReadyServiceRestartsAtOnceThenBacksOffAndCountsRestarts() {
        Lifecycle l = running(policy(Policy.ALWAYS, 10));
        l.ready(true);
        Lifecycle.Decision d = l.exited(3, "exited with code 3");
        assertThat(d.action()).isEqualTo(Lifecycle.Decision.Action.RESTART);
        assertThat(d.delay()).isZero();
        assertThat(l.state()).isEqualTo(ServiceState.BACKOFF);
        assertThat(l.reason()).isEqualTo("exited with code 3");
        assertThat(l.restarts()).isEqualTo(1);
        assertThat(l.lastExit()).isEqualTo(3);
        assertThat(l.uptimeSeconds()).as("not running").isZero();

        l.launched();
        clock.advance(Duration.ofSeconds(1));
        assertThat(l.exited(3, "exited with code 3").delay()).isEqualTo(Duration.ofSeconds(1));
        l.launched();
        assertThat(l.exited(3, "exited with code 3").delay()).isEqualTo(Duration.ofSeconds(2));
        assertThat(l.restarts()).isEqualTo(3);
    }

    @Test
    void aRunThatOnlyStayedUpWithoutACheckDoesNotResetTheBackoff() {
        Lifecycle l = running(policy(Policy.ALWAYS, 10));
        l.exited(1, "exited with code 1");
        l.launched();
        l.ready(false); // "after" passed, but no check proved it loaded
        assertThat(l.exited(1, "exited with code 1").delay()).isEqualTo(Duration.ofSeconds(1));
    }

    @Test
    void aFailedRestartIsAFreshZeroLengthRunSoAPortHeldElsewhereBacksOff() {
        Lifecycle l = running(policy(Policy.ALWAYS, 10));
        l.ready(true);
        assertThat(l.exited(1, "crashed").delay()).isZero();
        assertThat(l.failedRun("port 7860 is already in use").delay()).isEqualTo(Duration.ofSeconds(1));
        assertThat(l.failedRun("port 7860 is already in use").delay()).isEqualTo(Duration.ofSeconds(2));
        assertThat(l.reason()).isEqualTo("port 7860 is already in use");
    }

    @Test
    void tooManyRestartsInTheWindowGiveUpWithTheLastReason() {
        Lifecycle l = running(policy(Policy.ALWAYS, 2));
        l.exited(1, "exited with code 1");
        l.launched();
        l.exited(1, "exited with code 1");
        l.launched();
        Lifecycle.Decision d = l.exited(1, "exited with code 1");
        assertThat(d.action()).isEqualTo(Lifecycle.Decision.Action.STAY_DOWN);
        assertThat(l.state()).isEqualTo(ServiceState.FAILED);
        assertThat(l.wantRunning()).isFalse();
        assertThat(l.reason()).isEqualTo("gave up after 2 restarts in 10m; last: exited with code 1");
        assertThat(l.restarts()).isEqualTo(2);
    }

    @Test
    void restartPoliciesDecideWhatACleanOrFailedExitDoes() {
        Lifecycle onFailure = running(policy(Policy.ON_FAILURE, 10));
        assertThat(onFailure.exited(0, "exited with code 0").action()).isEqualTo(Lifecycle.Decision.Action.STAY_DOWN);
        assertThat(onFailure.state()).isEqualTo(ServiceState.STOPPED);
        assertThat(onFailure.reason()).isEqualTo("exited with code 0");
        assertThat(onFailure.wantRunning()).isFalse();

        Lifecycle onFailure2 = running(policy(Policy.ON_FAILURE, 10));
        assertThat(onFailure2.exited(2, "exited with code 2").action()).isEqualTo(Lifecycle.Decision.Action.RESTART);

        Lifecycle never = running(policy(Policy.NEVER, 10));
        assertThat(never.exited(2, "exited with code 2").action()).isEqualTo(Lifecycle.Decision.Action.STAY_DOWN);
        assertThat(never.state()).isEqualTo(ServiceState.FAILED);
        assertThat(never.reason()).isEqualTo("exited with code 2 (restart policy: never)");

        Lifecycle always = running(policy(Policy.ALWAYS, 10));
        assertThat(always.exited(0, "exited with code 0").action()).isEqualTo(Lifecycle.Decision.Action.RESTART);

        Lifecycle unknown = running(policy(Policy.ON_FAILURE, 10));
        assertThat(unknown.exited(null, "exit code unknown").action()).isEqualTo(Lifecycle.Decision.Action.RESTART);
    }

    @Test
    void aRunEndedByLifelineKeepsLifelinesReasonAndIsNeverClean() {
        Lifecycle l = running(policy(Policy.ON_FAILURE, 10));
        l.killing("unhealthy: 3 health checks failed in a row");
        assertThat(l.state()).isEqualTo(ServiceState.UNHEALTHY);
        Lifecycle.Decision d = l.exited(0, "exited with code 0");
        assertThat(d.action()).isEqualTo(Lifecycle.Decision.Action.RESTART);
        assertThat(l.reason()).isEqualTo("unhealthy: 3 health checks failed in a row");

        Lifecycle never = running(policy(Policy.NEVER, 10));
        never.killing("Lifeline restarted it for memory");
        never.exited(143, "was killed by signal 15");
        assertThat(never.state()).isEqualTo(ServiceState.FAILED);
        assertThat(never.reason()).startsWith("Lifeline restarted it for memory");
    }

    @Test
    void readyAgainAfterACrashIsARecoveryWithTheTimeDown() {
        Lifecycle l = running(policy(Policy.ALWAYS, 10));
        l.ready(true);
        clock.advance(Duration.ofSeconds(5));
        l.exited(1, "crashed");
        l.launched();
        clock.advance(Duration.ofSeconds(42));
        Optional<Lifecycle.Recovery> r = l.ready(true);
        assertThat(r).contains(new Lifecycle.Recovery(1, 42));
        assertThat(l.ready(true)).as("announced once").isEmpty();
    }

    @Test
    void aStopCancelsAPendingRestartAndNoRecoveryFollows() {
        Lifecycle l = running(policy(Policy.ALWAYS, 10));
        l.exited(1, "crashed");
        assertThat(l.stopRequested("stopped by 'lifeline stop'")).isFalse();
        assertThat(l.state()).isEqualTo(ServiceState.STOPPED);
        assertThat(l.reason()).isEqualTo("stopped by 'lifeline stop'");
        assertThat(l.startRequested()).isTrue();
        l.launched();
        assertThat(l.ready(true)).isEmpty();
    }

    @Test
    void stoppingAStoppedOrFailedServiceKeepsItsStateAndReason() {
        Lifecycle l = running(policy(Policy.NEVER, 10));
        l.exited(1, "exited with code 1");
        assertThat(l.stopRequested("stopped by 'lifeline stop'")).isFalse();
        assertThat(l.state()).isEqualTo(ServiceState.FAILED);
        assertThat(l.reason()).isEqualTo("exited with code 1 (restart policy: never)");
    }

    @Test
    void aFinishedStopSaysHowManyWouldNotDie() {
        Lifecycle l = running(policy(Policy.ALWAYS, 10));
        l.stopRequested("stopped by 'lifeline stop'");
        l.stopped(0, "stopped by 'lifeline stop'");
        assertThat(l.state()).isEqualTo(ServiceState.STOPPED);
        assertThat(l.reason()).isEqualTo("stopped by 'lifeline stop'");
        assertThat(l.wantRunning()).isFalse();
        l.stopped(2, "x");
        assertThat(l.reason()).isEqualTo("2 process(es) would not die");
        l.stopFailed("stop failed: boom");
        assertThat(l.state()).isEqualTo(ServiceState.FAILED);
        assertThat(l.reason()).isEqualTo("stop failed: boom");
    }

    @Test
    void aStartThatCannotWorkFails() {
        Lifecycle l = new Lifecycle(policy(Policy.ALWAYS, 10), clock);
        l.startRequested();
        l.cannotStart("working directory /x does not exist");
        assertThat(l.state()).isEqualTo(ServiceState.FAILED);
        assertThat(l.wantRunning()).isFalse();
        assertThat(l.reason()).isEqualTo("working directory /x does not exist");
    }

    @Test
    void aRedefinitionThatRestartsStartsAFreshCountAndWindow() {
        Lifecycle l = running(policy(Policy.ALWAYS, 2));
        l.exited(1, "crashed");
        l.launched();
        l.exited(1, "crashed");
        l.launched();
        l.redefined(policy(Policy.ALWAYS, 2), true);
        assertThat(l.restarts()).isZero();
        assertThat(l.exited(1, "crashed").action())
                .as("the old definition's restarts do not count")
                .isEqualTo(Lifecycle.Decision.Action.RESTART);
    }

    @Test
    void aLiveRedefinitionKeepsTheCountButPacesByTheNewPolicy() {
        Lifecycle l = running(policy(Policy.ALWAYS, 10));
        l.exited(1, "crashed");
        l.launched();
        l.exited(1, "crashed");
        l.launched();
        l.redefined(
                new ServiceSpec.Restart(
                        Policy.ALWAYS,
                        Duration.ofSeconds(5),
                        Duration.ofSeconds(60),
                        Duration.ofSeconds(60),
                        10,
                        Duration.ofMinutes(10)),
                false);
        assertThat(l.restarts()).isEqualTo(2);
        assertThat(l.exited(1, "crashed").delay()).isEqualTo(Duration.ofSeconds(10));
        l.launched();
        l.redefined(policy(Policy.NEVER, 10), false);
        assertThat(l.exited(1, "crashed").action()).isEqualTo(Lifecycle.Decision.Action.STAY_DOWN);
    }

    @Test
    void anAdoptedRunIsReadyWhenTheEarlierDaemonSawItReady() {
        Lifecycle l = new Lifecycle(policy(Policy.ALWAYS, 10), clock);
        l.restore(ServiceState.READY, "", 4, true);
        assertThat(l.restarts()).isEqualTo(4);
        l.adopted(clock.now.minusSeconds(30), clock.now.minusSeconds(10));
        assertThat(l.state()).isEqualTo(ServiceState.READY);
        assertThat(l.wantRunning()).isTrue();
        assertThat(l.reason()).isEqualTo("adopted from an earlier daemon");
        assertThat(l.readySeconds()).isEqualTo(20.0);
        // it had passed its check: a crash now restarts at once
        assertThat(l.exited(1, "crashed").delay()).isZero();

        Lifecycle starting = new Lifecycle(policy(Policy.ALWAYS, 10), clock);
        starting.adopted(clock.now.minusSeconds(30), null);
        assertThat(starting.state()).isEqualTo(ServiceState.STARTING);
    }

    @Test
    void aRestoredFailedServiceStaysFailedWithItsReason() {
        Lifecycle l = new Lifecycle(policy(Policy.ALWAYS, 10), clock);
        l.restore(ServiceState.FAILED, "gave up after 10 restarts in 10m; last: exited with code 1", 10, false);
        assertThat(l.state()).isEqualTo(ServiceState.FAILED);
        assertThat(l.reason()).startsWith("gave up");
        assertThat(l.wantRunning()).isFalse();
    }

    @Test
    void aStartByAUserBeginsTheBackoffSequenceAfresh() {
        Lifecycle l = running(policy(Policy.ALWAYS, 10));
        l.exited(1, "crashed");
        l.launched();
        assertThat(l.exited(1, "crashed").delay()).isEqualTo(Duration.ofSeconds(1));
        l.stopRequested("stopped by 'lifeline stop'");
        assertThat(l.startRequested()).isTrue();
        l.launched();
        assertThat(l.exited(1, "crashed").delay()).isZero();
    }

    @Test
    void aRunLostWhileNoDaemonWatchedCountsAsAFailureEvenWithNoLaunchSeen() {
        Lifecycle l = new Lifecycle(policy(Policy.ALWAYS, 10), clock);
        l.restore(ServiceState.STARTING, "", 0, true);
        Lifecycle.Decision d = l.failedRun("exited while no daemon watched it");
        assertThat(d.action()).isEqualTo(Lifecycle.Decision.Action.RESTART);
        assertThat(d.delay()).isZero();
        assertThat(l.restarts()).isEqualTo(1);
    }
}
