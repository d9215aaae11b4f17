package dev.lifeline.insight;

import java.util.Optional;

/**
 * One line of a service log as {@code logs} shows it.
 *
 * @param offset where it begins (0: the start of the current file)
 * @param text the line in its last state (a progress bar redrawn with {@code \r} shows once)
 * @param run the run of the app that wrote it, when the supervisor recorded runs
 */
public record LogLine(long offset, String text, Optional<ServiceRuns.Run> run) {}
