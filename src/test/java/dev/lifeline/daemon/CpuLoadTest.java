package dev.lifeline.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.lifeline.supervisor.ServiceState;
import dev.lifeline.supervisor.ServiceStatus;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * The {@code cpu} figure of {@code status}: percent of one core over the interval since the last
 * look at this run (1 s to 60 s), else the run's average; the clock is the test's, the CPU times
 * the ones a status record carries.
 */
class CpuLoadTest {
    final AtomicLong nanos = new AtomicLong(1_000_000_000_000L);
    final CpuLoad load = new CpuLoad(nanos::get);

    static ServiceStatus run(long pid, long start, long uptime, double cpuSeconds) {
        return new ServiceStatus(
                "web", ServiceState.READY, pid, 0, uptime, null, 0, 0, -1, null, "", "", "", cpuSeconds, start);
    }

    void later(double seconds) {
        nanos.addAndGet((long) (seconds * 1e9));
    }

    @Test
    void aServiceThatWorkedThenIdlesShowsTheIdleIntervalNotItsAverage() {
        // 40 s of CPU in its first 100 s: the first look can only give the run's average
        CpuLoad.Reading first = load.read(run(42, 1000, 100, 40));
        assertThat(first.percent()).isCloseTo(40, within(0.01));
        assertThat(first.seconds()).isEqualTo(100);

        later(2); // idle since: 0 % over the last 2 s
        CpuLoad.Reading idle = load.read(run(42, 1000, 102, 40));
        assertThat(idle.percent()).isZero();
        assertThat(idle.seconds()).isCloseTo(2, within(0.001));

        later(4); // one core and a half busy for 4 s
        CpuLoad.Reading busy = load.read(run(42, 1000, 106, 46));
        assertThat(busy.percent()).isCloseTo(150, within(0.01));
        assertThat(busy.seconds()).isCloseTo(4, within(0.001));
    }

    @Test
    void askedAgainWithinASecondTheLastFigureStandsAndTheIntervalKeepsItsStart() {
        load.read(run(42, 1000, 100, 40));
        later(2);
        CpuLoad.Reading r = load.read(run(42, 1000, 102, 41));
        assertThat(r.percent()).isCloseTo(50, within(0.01));
        later(0.3);
        assertThat(load.read(run(42, 1000, 102, 41.3))).isEqualTo(r);
        later(0.9); // 1.2 s since the last figure's end: 0.6 s of CPU over it
        CpuLoad.Reading next = load.read(run(42, 1000, 103, 41.6));
        assertThat(next.percent()).isCloseTo(50, within(0.01));
        assertThat(next.seconds()).isCloseTo(1.2, within(0.001));
    }

    @Test
    void aNewRunALongSilenceOrNothingRunningStartFromTheRunsAverage() {
        load.read(run(42, 1000, 100, 40));
        later(2);
        CpuLoad.Reading restarted = load.read(run(43, 1102, 2, 1)); // a new pid: not 40 s → 1 s
        assertThat(restarted.percent()).isCloseTo(50, within(0.01));
        assertThat(restarted.seconds()).isEqualTo(2);

        later(61); // a look over a minute old says little of now
        CpuLoad.Reading silent = load.read(run(43, 1102, 63, 1));
        assertThat(silent.seconds()).isEqualTo(63);
        assertThat(silent.percent()).isCloseTo(100.0 / 63, within(0.01));

        assertThat(load.read(run(0, 0, 0, 0))).as("nothing runs").isNull();
        assertThat(load.read(run(44, 1170, 0, 0)))
                .as("started this very second")
                .isNull();
    }
}
