package dev.lifeline.backup;

import dev.lifeline.core.Event;
import dev.lifeline.core.EventListener;
import dev.lifeline.core.LifelineException;
import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Which snapshot a reference names, and what the snapshots hold: the listing {@code backup
 * snapshots} shows (corrupt manifests marked, the pending files as a last row), {@code latest} as
 * the newest readable manifest with the journal on top, and the queries on one or two manifests
 * ({@code ls}, {@code diff}, {@code sums}, which snapshots need an object). It only reads; an
 * I/O failure is thrown for the facade to word, a reference that names nothing is a {@link
 * LifelineException} saying what to list.
 */
final class Snapshots {
    private final Repository repo;
    private final EventListener events;
    private final Clock clock;

    Snapshots(Repository repo, EventListener events, Clock clock) {
        this.repo = repo;
        this.events = events;
        this.clock = clock;
    }

    /** Every snapshot as {@link Vault#listing()} describes it, oldest first. */
    List<Snapshot> listing() throws IOException {
        Repository.Heads heads = repo.readHeads();
        List<Snapshot> out = new ArrayList<>();
        for (int i = 0; i < heads.ok().size(); i++) {
            Snapshot s = heads.ok().get(i).summary();
            // each is checked for a cut-short end (one small read); the newest, latest, is read whole
            if (i == heads.ok().size() - 1 || !repo.looksWhole(s.id())) {
                try {
                    repo.manifest(s.id());
                } catch (IOException e) {
                    s = s.corrupt(e.getMessage());
                }
            }
            out.add(s);
        }
        for (Repository.Bad b : heads.bad()) {
            out.add(new Snapshot(
                    b.id(), Repository.idTime(b.id()), -1, -1, "", null, Snapshot.Status.CORRUPT, b.problem()));
        }
        out.sort(Comparator.comparing(Snapshot::time).thenComparing(Snapshot::id));
        List<FileEntry> journal = repo.journal().read();
        if (!journal.isEmpty()) {
            Snapshot live = live(journal).summary();
            out.add(new Snapshot(
                    live.id(),
                    live.time(),
                    live.files(),
                    live.bytes(),
                    live.host(),
                    live.parent(),
                    Snapshot.Status.PENDING,
                    null));
        }
        return out;
    }

    /** "latest", a full id, or a unique prefix of one, among the snapshots of {@code src}. */
    static String resolve(SnapshotSource src, String ref) {
        List<Snapshot> all;
        try {
            all = src.snapshots();
        } catch (IOException e) {
            throw new LifelineException("cannot list snapshots in " + src.describe() + ": " + e.getMessage(), null, e);
        }
        if (all.isEmpty()) {
            throw new LifelineException(
                    "there are no snapshots in " + src.describe(), "run 'lifeline backup now' first");
        }
        if (ref.equals("latest")) {
            return all.get(all.size() - 1).id();
        }
        List<String> hits =
                all.stream().map(Snapshot::id).filter(id -> id.startsWith(ref)).toList();
        if (hits.size() == 1) {
            return hits.get(0);
        }
        throw new LifelineException(
                hits.isEmpty()
                        ? "no snapshot '" + ref + "' in " + src.describe()
                        : "'" + ref + "' matches " + hits.size() + " snapshots",
                "list them with 'lifeline backup snapshots', or use 'latest'");
    }

    /** The local snapshot {@code ref} names, as {@link Vault#manifest} describes it. */
    Manifest manifest(String ref) throws IOException {
        if (ref.equals("latest") || ref.equals(Vault.PENDING)) {
            List<FileEntry> journal = repo.journal().read();
            if (!journal.isEmpty()) {
                return live(journal);
            }
            if (ref.equals(Vault.PENDING)) {
                throw new LifelineException(
                        "nothing is pending in " + repo.describe() + ": every stored file is in a snapshot",
                        "list them with 'lifeline backup snapshots'");
            }
            Manifest m = newestReadable();
            if (m == null) {
                throw new LifelineException(
                        "there are no readable snapshots in " + repo.describe(),
                        repo.readHeads().bad().isEmpty()
                                ? "run 'lifeline backup now' first"
                                : "'lifeline backup now' writes a complete new one; 'lifeline backup snapshots'"
                                        + " lists the corrupt ones");
            }
            return m;
        }
        Repository.Heads heads = repo.readHeads();
        for (Repository.Bad b : heads.bad()) {
            if (b.id().equals(ref)) {
                throw corrupt(b.id(), b.problem());
            }
        }
        String id = resolve(repo, ref);
        try {
            return repo.manifest(id);
        } catch (NoSuchFileException e) {
            throw new LifelineException(
                    "snapshot " + id + " is gone (pruned meanwhile?)", "list them with 'lifeline backup snapshots'");
        } catch (IOException e) {
            throw corrupt(id, e.getMessage());
        }
    }

    private static LifelineException corrupt(String id, String problem) {
        return new LifelineException(
                "snapshot " + id + " cannot be read: " + problem,
                "restore an older snapshot ('lifeline backup snapshots' lists them) or this one with --from remote;"
                        + " the next 'lifeline backup now' writes a complete new snapshot");
    }

    /** The newest snapshot whose manifest reads whole; warns about each newer one that does not. */
    private Manifest newestReadable() throws IOException {
        Repository.Heads heads = repo.readHeads();
        Repository.Bad bad = heads.newestIfBad();
        List<String> skipped = new ArrayList<>();
        if (bad != null) {
            skipped.add(bad.id() + " (" + bad.problem() + ")");
        }
        Manifest found = null;
        for (int i = heads.ok().size() - 1; i >= 0 && found == null; i--) {
            String id = heads.ok().get(i).summary().id();
            try {
                found = repo.manifest(id);
            } catch (IOException e) {
                skipped.add(id + " (" + e.getMessage() + ")");
            }
        }
        if (!skipped.isEmpty()) {
            events.onEvent(Event.of(
                    "backup",
                    "snapshot-corrupt",
                    Event.Level.WARN,
                    "snapshot(s) " + String.join(", ", skipped) + " cannot be read; latest is "
                            + (found == null ? "none" : found.id())
                            + ", the newest readable one; 'lifeline backup now' writes a complete new snapshot",
                    Map.of("corrupt", skipped.size())));
        }
        return found;
    }

    /** The newest readable snapshot with the journal's files on top (a stored file replaces its older entry). */
    private Manifest live(List<FileEntry> journal) throws IOException {
        Manifest base = newestReadable();
        Map<String, FileEntry> files = new TreeMap<>();
        if (base != null) {
            base.files().forEach(f -> files.put(f.path(), f));
        }
        journal.forEach(f -> files.put(f.path(), f));
        Instant when = repo.journal().modified();
        return new Manifest(
                Vault.PENDING,
                when == null ? clock.instant() : when,
                Repository.hostName(),
                base == null ? null : base.id(),
                base == null ? repo.sourcePaths() : base.sources(),
                new ArrayList<>(files.values()));
    }

    /**
     * Every snapshot of {@code src} (and "journal", for the local repository) that names one of
     * these objects, by object: what a missing or corrupt object takes with it.
     */
    Map<String, List<String>> neededBy(SnapshotSource src, Set<String> shas) {
        Map<String, List<String>> out = new HashMap<>();
        try {
            for (Snapshot s : src.snapshots()) {
                try {
                    for (FileEntry f : src.manifest(s.id()).files()) {
                        if (shas.contains(f.sha256())) {
                            List<String> l = out.computeIfAbsent(f.sha256(), k -> new ArrayList<>());
                            if (l.isEmpty() || !l.get(l.size() - 1).equals(s.id())) {
                                l.add(s.id());
                            }
                        }
                    }
                } catch (IOException e) {
                    // an unreadable manifest: verify reports it
                }
            }
            if (src == repo) {
                for (FileEntry f : repo.journal().read()) {
                    if (shas.contains(f.sha256())) {
                        List<String> l = out.computeIfAbsent(f.sha256(), k -> new ArrayList<>());
                        if (!l.contains("journal")) {
                            l.add("journal");
                        }
                    }
                }
            }
        } catch (IOException e) {
            // the list is a courtesy: the files themselves are already named
        }
        return out;
    }

    /** Files under {@code path} (a folder prefix or a glob; empty for all). */
    static List<FileEntry> under(List<FileEntry> files, String path) {
        return path == null || path.isEmpty() ? files : Glob.select(files, List.of(path));
    }

    /** What {@code b} added, removed and changed against {@code a}. */
    static DiffResult diff(Manifest ma, Manifest mb) {
        Map<String, FileEntry> left = new HashMap<>();
        ma.files().forEach(f -> left.put(f.path(), f));
        List<String> added = new ArrayList<>();
        List<String> changed = new ArrayList<>();
        for (FileEntry f : mb.files()) {
            FileEntry o = left.remove(f.path());
            if (o == null) {
                added.add(f.path());
            } else if (!o.sha256().equals(f.sha256())) {
                changed.add(f.path());
            }
        }
        List<String> removed = new ArrayList<>(left.keySet());
        removed.sort(Comparator.naturalOrder());
        return new DiffResult(ma.id(), mb.id(), added, removed, changed);
    }

    /** The snapshot as {@code sha256sum -c} input (coreutils' escaping); links are left out. */
    static List<String> sums(Manifest m) {
        List<String> out = new ArrayList<>();
        for (FileEntry f : m.files()) {
            if (f.link() != null) {
                continue; // sha256sum would hash what the link points to
            }
            String p = f.path();
            if (p.indexOf('\\') >= 0 || p.indexOf('\n') >= 0) {
                out.add("\\" + f.sha256() + "  " + p.replace("\\", "\\\\").replace("\n", "\\n"));
            } else {
                out.add(f.sha256() + "  " + p);
            }
        }
        return out;
    }
}
