package dev.lifeline.backup;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class RateLimiterTest {
    @Test
    void capsTheByteRateAfterASmallBurst() throws Exception {
        RateLimiter rl = new RateLimiter(1_000_000); // 1 MB/s
        long t0 = System.nanoTime();
        for (int i = 0; i < 4; i++) {
            rl.acquire(100_000);
        }
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertThat(ms).as("400 kB at 1 MB/s with a 50 ms burst allowance").isGreaterThanOrEqualTo(340);
    }

    @Test
    void zeroMeansNoCap() throws Exception {
        RateLimiter rl = new RateLimiter(0);
        long t0 = System.nanoTime();
        rl.acquire(1L << 40);
        assertThat(System.nanoTime() - t0).isLessThan(50_000_000L);
    }
}
