package dev.lifeline.process;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What to start, detached: its own session, stdin from /dev/null, stdout and stderr appended
 * straight to {@code log} (never a pipe to Lifeline, so the app never depends on it).
 *
 * @param rlimits {@code prlimit} resource names (nofile, nproc, core…) to soft=hard values
 * @param user run as this account (needs root); empty keeps the caller's
 * @param cgroup a memory cgroup to join before the program runs; empty for none
 * @param group the primary group for {@code user} when the caller has looked it up already (so
 *     the launch does not); empty to look it up
 */
public record LaunchSpec(
        List<String> argv,
        Path cwd,
        Map<String, String> env,
        Path log,
        Map<String, Long> rlimits,
        Optional<String> user,
        Optional<MemoryCgroup> cgroup,
        Optional<String> group) {
    public LaunchSpec {
        argv = List.copyOf(argv);
        env = Map.copyOf(env);
        rlimits = Map.copyOf(rlimits);
    }

    public LaunchSpec(
            List<String> argv,
            Path cwd,
            Map<String, String> env,
            Path log,
            Map<String, Long> rlimits,
            Optional<String> user) {
        this(argv, cwd, env, log, rlimits, user, Optional.empty(), Optional.empty());
    }
}
