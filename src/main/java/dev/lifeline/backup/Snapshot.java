package dev.lifeline.backup;

import java.time.Instant;

/** A snapshot's summary, as {@code backup snapshots --json} prints it. */
public record Snapshot(String id, Instant time, long files, long bytes, String host, String parent) {}
