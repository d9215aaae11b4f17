package dev.lifeline.backup;

import java.nio.file.Path;
import java.time.Duration;

/** What a restore wrote: every file's SHA-256 was checked while writing it. */
public record RestoreResult(String snapshot, Path target, long files, long bytes, Duration took) {}
