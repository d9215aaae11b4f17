package dev.lifeline.supervisor;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lifeline.config.ServiceSpec;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class BackoffTest {
    private final ServiceSpec.Restart policy = new ServiceSpec.Restart(
            ServiceSpec.Restart.Policy.ALWAYS,
            Duration.ofSeconds(1),
            Duration.ofSeconds(60),
            Duration.ofSeconds(60),
            10,
            Duration.ofMinutes(10));

    @Test
    void firstRestartIsImmediateThenDoublesUpToTheCap() {
        Backoff b = new Backoff(policy);
        Instant t = Instant.parse("2026-01-01T00:00:00Z");
        long[] delays = new long[9];
        for (int i = 0; i < delays.length; i++) {
            delays[i] = b.onFailure(t, t.plusSeconds(1), false).toSeconds();
            t = t.plusSeconds(2);
        }
        assertThat(delays).containsExactly(0, 1, 2, 4, 8, 16, 32, 60, 60);
    }

    @Test
    void aStableRunResetsTheSequence() {
        Backoff b = new Backoff(policy);
        Instant t = Instant.parse("2026-01-01T00:00:00Z");
        b.onFailure(t, t.plusSeconds(1), false);
        b.onFailure(t, t.plusSeconds(2), false);
        assertThat(b.onFailure(t.plusSeconds(3), t.plusSeconds(3 + 61), false)).isZero();
    }

    @Test
    void aCrashAfterTheAppBecameReadyRestartsAtOnce() {
        Backoff b = new Backoff(policy);
        Instant t = Instant.parse("2026-01-01T00:00:00Z");
        b.onFailure(t, t.plusSeconds(1), false);
        b.onFailure(t, t.plusSeconds(2), false);
        assertThat(b.onFailure(t.plusSeconds(3), t.plusSeconds(9), true)).isZero();
    }

    @Test
    void givesUpAfterTooManyRestartsInTheWindowButNotOutsideIt() {
        Backoff b = new Backoff(policy);
        Instant t = Instant.parse("2026-01-01T00:00:00Z");
        for (int i = 0; i < 10; i++) {
            assertThat(b.onFailure(t, t.plusSeconds(i), false)).isNotNull();
            assertThat(b.recentCount()).isEqualTo(i + 1);
        }
        assertThat(b.onFailure(t, t.plusSeconds(11), false))
                .as("11th in 10 minutes")
                .isNull();
        assertThat(b.onFailure(t, t.plusSeconds(11 + 600), false))
                .as("the window moved on (and a run of over 10m was stable)")
                .isZero();
    }

    @Test
    void aFailureExactlyAtTheWindowsEdgeStillCounts() {
        ServiceSpec.Restart two = new ServiceSpec.Restart(
                ServiceSpec.Restart.Policy.ALWAYS,
                Duration.ofSeconds(1),
                Duration.ofSeconds(60),
                Duration.ofSeconds(60),
                2,
                Duration.ofMinutes(10));
        Backoff b = new Backoff(two);
        Instant t = Instant.parse("2026-01-01T00:00:00Z");
        b.onFailure(t, t, false);
        b.onFailure(t, t.plusSeconds(1), false);
        assertThat(b.onFailure(t, t.plusSeconds(600), false))
                .as("the first is exactly 10m old")
                .isNull();
        assertThat(b.onFailure(t, t.plusSeconds(601), false)).isNotNull();
    }

    @Test
    void aRunOfExactlyResetAfterIsStable() {
        Backoff b = new Backoff(policy);
        Instant t = Instant.parse("2026-01-01T00:00:00Z");
        b.onFailure(t, t.plusSeconds(1), false);
        b.onFailure(t, t.plusSeconds(2), false);
        assertThat(b.onFailure(t.plusSeconds(2), t.plusSeconds(62), false)).isZero();
        assertThat(b.onFailure(t.plusSeconds(62), t.plusSeconds(62 + 59), false))
                .isEqualTo(Duration.ofSeconds(1));
    }

    @Test
    void resetForgetsTheSequenceAndTheWindow() {
        Backoff b = new Backoff(policy);
        Instant t = Instant.parse("2026-01-01T00:00:00Z");
        b.onFailure(t, t.plusSeconds(1), false);
        b.onFailure(t, t.plusSeconds(2), false);
        b.reset();
        assertThat(b.recentCount()).isZero();
        assertThat(b.onFailure(t, t.plusSeconds(3), false)).isZero();
    }

    @Test
    void aLiveChangeOfPolicyKeepsTheHistory() {
        Backoff b = new Backoff(policy);
        Instant t = Instant.parse("2026-01-01T00:00:00Z");
        b.onFailure(t, t.plusSeconds(1), false);
        b.onFailure(t, t.plusSeconds(2), false);
        Backoff faster = b.withPolicy(new ServiceSpec.Restart(
                ServiceSpec.Restart.Policy.ALWAYS,
                Duration.ofMillis(100),
                Duration.ofSeconds(1),
                Duration.ofSeconds(60),
                10,
                Duration.ofMinutes(10)));
        assertThat(faster.recentCount()).isEqualTo(2);
        assertThat(faster.onFailure(t, t.plusSeconds(3), false)).isEqualTo(Duration.ofMillis(200));
    }
}
