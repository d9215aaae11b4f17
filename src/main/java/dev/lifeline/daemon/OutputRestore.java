package dev.lifeline.daemon;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lifeline.backup.RestoreResult;
import dev.lifeline.backup.Vault;
import dev.lifeline.catalog.Hit;
import dev.lifeline.catalog.Query;
import dev.lifeline.catalog.SearchResult;
import dev.lifeline.config.BackupSpec;
import dev.lifeline.core.BadInput;
import dev.lifeline.core.Event;
import dev.lifeline.core.EventListener;
import dev.lifeline.core.Json;
import dev.lifeline.core.LifelineException;
import dev.lifeline.dashboard.NotFound;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Op {@code outputs.restore} {@code {sha256}}: puts that exact content back where it was, in its
 * source folder (the service's outputs), through {@link Vault#restore} — every byte checked
 * against the SHA-256, the folders opened without following a link, and nothing written over
 * anything: when something else is at that path now, the op fails, says so and what to do, and
 * changes nothing. A live image comes from {@code latest}, a deleted one from the newest snapshot
 * that has it, at the path it had there. Result: {@code {restored, alreadyThere, path, snapshot,
 * sha256, bytes}}.
 */
final class OutputRestore {
    private static final Pattern SHA = Pattern.compile("[0-9a-f]{64}");

    private final ProjectHost projects;
    private final EventListener events;

    OutputRestore(ProjectHost projects, EventListener events) {
        this.projects = projects;
        this.events = events;
    }

    JsonNode restore(JsonNode req) {
        String sha = req.path("sha256").asText("");
        if (!SHA.matcher(sha).matches()) {
            throw new BadInput("sha256 must be 64 lowercase hex digits", "the gallery's image names it");
        }
        for (CatalogHost host : projects.catalogs()) {
            SearchResult r = host.find(Query.parse("sha: " + sha), 1, false);
            for (Hit hit : r.hits()) {
                if (hit.sha256().equals(sha)) {
                    return restore(host.repository(), hit);
                }
            }
        }
        throw new NotFound(
                "no stored image has the SHA-256 " + sha, "search the gallery; 'lifeline find' lists what is stored");
    }

    private JsonNode restore(Path repository, Hit hit) {
        Hit.Location from = hit.restoreFrom();
        if (from == null) {
            throw new LifelineException(
                    "no snapshot holds " + hit.path() + " (" + hit.sha256() + ")",
                    "'lifeline backup snapshots' lists what there is");
        }
        String snapshot = from.snapshot();
        String path = from.path();
        BackupSpec spec = spec(repository);
        Path folder = folderOf(spec, path, hit.sha256());
        Path dest = folder.resolve(path);
        boolean taken = Files.exists(dest, LinkOption.NOFOLLOW_LINKS);
        RestoreResult r;
        try {
            r = Vault.open(spec, EventListener.NONE)
                    .restore(snapshot, List.of(Vault.exactPattern(path)), folder, false);
        } catch (LifelineException e) {
            if (taken || Files.exists(dest, LinkOption.NOFOLLOW_LINKS)) {
                throw new LifelineException(
                        dest + " is taken: something else is there now, so nothing was restored or changed",
                        "move or rename what is there and press Restore again, or restore a copy elsewhere:"
                                + " lifeline find 'sha: " + hit.sha256() + "' --restore-to ./restored");
            }
            throw e;
        }
        if (!r.complete()) {
            RestoreResult.Unrestored u = r.unrestored().get(0);
            throw new LifelineException(
                    path + " could not be restored: " + u.problem(),
                    "'lifeline backup verify' says what the repository lacks");
        }
        boolean already = r.files() == 0 && r.alreadyThere() > 0;
        events.onEvent(Event.of(
                "dashboard",
                "output-restored",
                Event.Level.INFO,
                (already ? dest + " already holds " : "restored " + dest + " from snapshot " + r.snapshot() + ": ")
                        + hit.sha256().substring(0, 12) + ", checked bit for bit",
                Map.of("path", dest.toString(), "sha256", hit.sha256(), "snapshot", r.snapshot())));
        ObjectNode n = Json.object();
        n.put("restored", !already);
        n.put("alreadyThere", already);
        n.put("path", dest.toString());
        n.put("snapshot", r.snapshot());
        n.put("sha256", hit.sha256());
        n.put("bytes", r.bytes());
        return n;
    }

    private BackupSpec spec(Path repository) {
        for (BackupSpec s : projects.projects().backups().values()) {
            if (s.repository()
                    .toAbsolutePath()
                    .normalize()
                    .equals(repository.toAbsolutePath().normalize())) {
                return s;
            }
        }
        throw new LifelineException(
                "no applied project backs up into " + repository + " now", "run 'lifeline up' for the project");
    }

    /**
     * The folder a snapshot path is restored under: a path starts with its source folder's name (its
     * last element; a second source of the same name is {@code NAME-2}, as the vault names them), so
     * it lands back in that source folder when restored under the folder's parent.
     */
    private static Path folderOf(BackupSpec spec, String path, String sha) {
        int slash = path.indexOf('/');
        String name = slash < 0 ? path : path.substring(0, slash);
        java.util.Set<String> seen = new java.util.HashSet<>();
        for (Path source : spec.sources()) {
            Path abs = source.toAbsolutePath().normalize();
            String base = abs.getFileName() == null ? "root" : abs.getFileName().toString();
            boolean first = seen.add(base);
            if (first && base.equals(name) && abs.getParent() != null && slash > 0) {
                return abs.getParent();
            }
        }
        throw new LifelineException(
                "'" + name + "', where " + path + " was stored from, is not one of the backup's source folders now"
                        + " (or shares its name with another)",
                "restore a copy elsewhere: lifeline find 'sha: " + sha + "' --restore-to ./restored");
    }
}
