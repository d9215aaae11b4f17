package dev.lifeline.process;

import java.time.Duration;

/** A Lifeline-like JVM that waits for a long program through {@link Exec}: stopped in tests. */
public final class ExecWaiter {
    private ExecWaiter() {}

    public static void main(String[] args) throws Exception {
        Exec.of("sh", "-c", "echo $$ > " + args[0] + "; sleep 60 & echo $! >> " + args[0] + "; wait")
                .timeout(Duration.ofSeconds(60))
                .run();
    }
}
