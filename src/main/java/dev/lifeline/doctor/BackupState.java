package dev.lifeline.doctor;

import java.util.Objects;

/**
 * What a vault the daemon watches has not protected yet, as its watcher counts it: the doctor does
 * not read the vault itself (it works without one, and {@code backup} is not its to import), so
 * whoever knows — the CLI from a running daemon's {@code backup.status}, the daemon's own {@code
 * doctor} op — passes it in.
 *
 * @param repository the vault's repository
 * @param unprotectedFiles files seen in the outputs but not stored yet
 * @param reason why storing them failed (a full disk, an unreadable file…), or "" while they are
 *     only being written
 */
public record BackupState(String repository, int unprotectedFiles, String reason) {
    public BackupState {
        Objects.requireNonNull(repository);
        reason = reason == null ? "" : reason;
    }
}
