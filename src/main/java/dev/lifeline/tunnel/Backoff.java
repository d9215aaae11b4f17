package dev.lifeline.tunnel;

import java.time.Duration;
import java.util.random.RandomGenerator;

/**
 * Delay before reconnect attempt {@code n}: none for the first (a link that just died is usually
 * back at once), then {@code min}, doubling to {@code max}, each with ±20% jitter so many laptops
 * behind one NAT do not retry in step. Defaults 500 ms .. 15 s.
 */
final class Backoff {
    private final Duration min;
    private final Duration max;
    private final RandomGenerator random;

    Backoff(Duration min, Duration max, RandomGenerator random) {
        this.min = min;
        this.max = max;
        this.random = random;
    }

    Duration delay(int attempt) {
        if (attempt <= 0) {
            return Duration.ZERO;
        }
        long base = min.toMillis();
        for (int i = 1; i < attempt && base < max.toMillis(); i++) {
            base *= 2;
        }
        base = Math.min(base, max.toMillis());
        double jitter = 0.8 + 0.4 * random.nextDouble();
        return Duration.ofMillis(Math.min(max.toMillis(), Math.round(base * jitter)));
    }
}
