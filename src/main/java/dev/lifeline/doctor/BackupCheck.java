package dev.lifeline.doctor;

import java.util.Locale;

/**
 * The {@code backup} check of a watched vault: OK when every file seen is stored (or the rest
 * are still being written), a WARN naming how many files are not protected, why, and what to
 * do, while storing them fails. The watcher retries by itself; the fix is what lets it succeed.
 */
final class BackupCheck {
    private BackupCheck() {}

    static Check check(BackupState b) {
        int n = b.unprotectedFiles();
        if (n <= 0) {
            return Check.ok("backup", null, b.repository() + ": every file seen in the outputs is stored");
        }
        String files = n + " file" + (n == 1 ? "" : "s");
        if (b.reason().isBlank()) {
            return Check.ok("backup", null, b.repository() + ": " + files + " being written (stored when complete)");
        }
        return Check.warn(
                "backup",
                null,
                b.repository() + ": " + files + " NOT protected yet: " + b.reason() + ". Fix: " + fix(b)
                        + "; the daemon retries by itself (at least every minute) and stores them once it can");
    }

    private static String fix(BackupState b) {
        String r = b.reason().toLowerCase(Locale.ROOT);
        if (r.contains("no space left") || r.contains("quota") || r.contains("disk is full")) {
            return "free space on the disk holding " + b.repository() + " (`df -h " + b.repository()
                    + "`; `lifeline backup prune` applies the retention)";
        }
        if (r.contains("permission denied") || r.contains("access denied") || r.contains("not permitted")) {
            return "let the daemon's user read the outputs and write " + b.repository()
                    + " (`ls -l` names the file; `chmod u+r FILE`)";
        }
        if (r.contains("read-only file system")) {
            return "mount the disk holding " + b.repository() + " read-write";
        }
        return "see the error in full with `lifeline backup now` (it stores the same files)";
    }
}
