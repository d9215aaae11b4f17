package dev.lifeline.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.lifeline.backup.Vault;
import dev.lifeline.config.BackupSpec;
import dev.lifeline.config.LifelineConfig;
import dev.lifeline.core.Event;
import dev.lifeline.core.EventListener;
import dev.lifeline.core.LifelineException;
import java.io.PrintWriter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;

/** {@code lifeline backup …}: the output vault, straight on the repository (no daemon needed). */
@Command(
        name = "backup",
        description = "Back up, list, verify and restore the outputs vault.",
        mixinStandardHelpOptions = true,
        subcommands = {
            BackupNowCommand.class,
            BackupSnapshotsCommand.class,
            BackupLsCommand.class,
            BackupDiffCommand.class,
            BackupRestoreCommand.class,
            BackupVerifyCommand.class,
            BackupRepairCommand.class,
            BackupDrillCommand.class,
            BackupPruneCommand.class,
            BackupSumsCommand.class,
            BackupPushCommand.class,
            BackupWatchCommand.class,
        })
final class BackupCommand {
    /** Loaded only by the commands that print JSON: databind costs start-up time. */
    static final class Json {
        static final ObjectMapper MAPPER = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    }

    static BackupSpec spec(CommandSpec cmd) {
        return spec(Context.loadConfig(cmd));
    }

    static BackupSpec spec(LifelineConfig cfg) {
        return cfg.backup()
                .orElseThrow(() -> new LifelineException(
                        "no 'backup:' section in " + cfg.file(),
                        "add one, such as: backup: { repository: /data/backup/webui, sources: [./outputs] }"));
    }

    static Vault vault(CommandSpec cmd, boolean quiet) {
        return Vault.open(
                spec(cmd),
                quiet ? EventListener.NONE : progress(cmd.commandLine().getErr()));
    }

    /** Progress on a terminal rewrites one line; otherwise each step is a plain line. */
    static EventListener progress(PrintWriter err) {
        boolean tty = System.console() != null;
        return e -> {
            synchronized (err) {
                if (e.type().equals("progress")) {
                    if (tty) {
                        err.print("\r\033[K" + e.message());
                    } else {
                        err.println(e.message());
                    }
                } else if (e.level() != Event.Level.INFO || !e.type().equals("stored")) {
                    err.println((tty ? "\r\033[K" : "")
                            + (e.level() == Event.Level.INFO
                                    ? ""
                                    : e.level().name().toLowerCase() + ": ")
                            + e.message());
                }
                err.flush();
            }
        };
    }

    /** Whether {@code --from} asks for the S3 remote; null means the local repository, anything else is refused. */
    static boolean fromRemote(String from) {
        if (from == null) {
            return false;
        }
        if (!from.equals("remote")) {
            throw new LifelineException(
                    "--from accepts only 'remote', not '" + from + "'",
                    "use --from remote, or leave it out for the local repository");
        }
        return true;
    }

    /** The push report, shared by {@code backup now} and {@code backup push}; failures listed one a line. */
    static void printPush(java.io.PrintWriter out, dev.lifeline.backup.PushResult p) {
        out.printf(
                "mirrored %s, %s (%s), %d already there, in %s%n",
                Plural.of(p.snapshotsUploaded(), "snapshot"),
                Plural.of(p.objectsUploaded(), "object"),
                size(p.bytesUploaded()),
                p.objectsPresent(),
                secs(p.took()));
        p.failures().forEach(f -> out.println("  failed: " + f));
        out.flush();
    }

    static String size(long bytes) {
        if (bytes < 1024) {
            return bytes + " B";
        }
        String units = "KMGTP";
        double v = bytes;
        int u = -1;
        while (v >= 1024 && u < units.length() - 1) {
            v /= 1024;
            u++;
        }
        return String.format("%.1f %siB", v, units.charAt(u));
    }

    static String secs(java.time.Duration d) {
        return String.format("%.2fs", d.toNanos() / 1e9);
    }
}
