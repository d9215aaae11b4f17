package dev.lifeline.backup;

import dev.lifeline.config.BackupSpec.Retention;
import dev.lifeline.core.Event;
import dev.lifeline.core.EventListener;
import dev.lifeline.core.LifelineException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Applies retention in an order that is safe to interrupt anywhere: first the dropped manifests
 * go (each delete is atomic), then objects no remaining manifest or journal entry names. An
 * interruption leaves at worst unreferenced objects, which the next prune removes.
 */
final class Pruner {
    private final Repository repo;
    private final EventListener events;

    Pruner(Repository repo, EventListener events) {
        this.repo = repo;
        this.events = events;
    }

    PruneResult run(Retention retention, boolean dryRun) throws IOException {
        List<Snapshot> all = repo.snapshots();
        Set<String> keep = RetentionPolicy.keep(all, retention);
        List<String> kept = new ArrayList<>();
        List<String> removed = new ArrayList<>();
        for (Snapshot s : all) {
            (keep.contains(s.id()) ? kept : removed).add(s.id());
        }
        Set<String> referenced = new HashSet<>();
        for (String id : kept) {
            try {
                repo.manifest(id).files().forEach(f -> referenced.add(f.sha256()));
            } catch (IOException e) {
                throw new LifelineException(
                        "cannot read snapshot " + id + " (" + e.getMessage()
                                + "), so prune cannot tell which objects are in use",
                        "run 'lifeline backup verify'; nothing was deleted");
            }
        }
        repo.journal().read().forEach(f -> referenced.add(f.sha256()));
        // a snapshot listing can miss a manifest that fails to parse: never delete what it may need
        try (var st = Files.list(repo.layout().snapshots())) {
            long unknown = st.filter(p -> !p.getFileName().toString().startsWith("."))
                    .filter(p -> all.stream()
                            .noneMatch(s -> p.getFileName().toString().equals(s.id() + ".json")))
                    .count();
            if (unknown > 0) {
                throw new LifelineException(
                        unknown + " snapshot manifest(s) cannot be read, so prune cannot tell which objects are in use",
                        "run 'lifeline backup verify' and move the broken manifest aside; nothing was deleted");
            }
        }
        if (!dryRun) {
            for (String id : removed) {
                repo.deleteManifest(id);
            }
            Durable.fsyncDir(repo.layout().snapshots());
        }
        long deleted = 0;
        long freed = 0;
        Path objects = repo.layout().objects();
        if (Files.isDirectory(objects)) {
            try (var fan = Files.list(objects)) {
                for (Path dir : (Iterable<Path>) fan::iterator) {
                    if (!Files.isDirectory(dir)) {
                        continue;
                    }
                    boolean touched = false;
                    try (var objs = Files.list(dir)) {
                        for (Path o : (Iterable<Path>) objs::iterator) {
                            String name = o.getFileName().toString();
                            if (!Layout.HASH.matcher(name).matches() || referenced.contains(name)) {
                                continue;
                            }
                            try {
                                long size = Files.size(o);
                                if (!dryRun) {
                                    Files.delete(o);
                                    touched = true;
                                }
                                deleted++;
                                freed += size;
                            } catch (NoSuchFileException gone) {
                                // already removed
                            }
                        }
                    }
                    if (touched) {
                        Durable.fsyncDir(dir);
                    }
                }
            }
        }
        events.onEvent(Event.of(
                "backup",
                "pruned",
                Event.Level.INFO,
                (dryRun ? "would remove " : "removed ") + removed.size() + " snapshot(s) and " + deleted + " object(s)",
                Map.of("snapshots", removed.size(), "objects", deleted, "bytes", freed)));
        return new PruneResult(dryRun, kept, removed, deleted, freed);
    }
}
