package dev.lifeline.insight;

/**
 * A failure Lifeline recognises in a log or an exit status, with what it means and what to do.
 *
 * @param id stable name for scripts: {@code cuda-oom}, {@code port-in-use}, {@code too-many-open-files},
 *     {@code hub-connection}, {@code missing-module}, {@code oom-killed}, {@code rlimit}
 */
public record KnownProblem(String id, String title, String explanation, String fix) {}
