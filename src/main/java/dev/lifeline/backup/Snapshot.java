package dev.lifeline.backup;

import java.time.Instant;

/**
 * A snapshot's summary, as {@code backup snapshots --json} prints it.
 *
 * @param status {@code ok}; {@code pending} for the files stored since the last snapshot (the
 *     journal, id {@value Vault#PENDING}: part of {@code latest}, not yet a snapshot); {@code
 *     corrupt} for a manifest that cannot be read (then {@code files} and {@code bytes} are -1 when
 *     not even its head can be)
 * @param problem why a corrupt one cannot be read; null otherwise
 */
public record Snapshot(
        String id, Instant time, long files, long bytes, String host, String parent, Status status, String problem) {
    public enum Status {
        OK,
        PENDING,
        CORRUPT;

        @Override
        public String toString() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    public Snapshot(String id, Instant time, long files, long bytes, String host, String parent) {
        this(id, time, files, bytes, host, parent, Status.OK, null);
    }

    Snapshot corrupt(String why) {
        return new Snapshot(id, time, files, bytes, host, parent, Status.CORRUPT, why);
    }
}
