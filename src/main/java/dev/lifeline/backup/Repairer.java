package dev.lifeline.backup;

import dev.lifeline.core.Event;
import dev.lifeline.core.EventListener;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;

/**
 * Stores missing or corrupt objects again from the sources ({@code backup repair}): every object
 * a snapshot or the journal needs is checked in full (present, size, SHA-256); then, for each bad
 * one, source files of its size are read (those at a path that needs it first) until one hashes
 * to its name, and that copy replaces it. Runs under the writer lock; an interruption leaves at
 * worst an object still bad, or a file in {@code tmp/}.
 */
final class Repairer {
    private final Repository repo;
    private final Scanner scanner;
    private final EventListener events;
    private final ExecutorService pool;

    Repairer(Repository repo, Scanner scanner, EventListener events, ExecutorService pool) {
        this.repo = repo;
        this.scanner = scanner;
        this.events = events;
        this.pool = pool;
    }

    RepairResult run() throws IOException, InterruptedException {
        long t0 = System.nanoTime();
        repo.store().cleanTmp();
        Map<String, Verifier.Need> needs = new LinkedHashMap<>();
        List<String> unreadable = new ArrayList<>();
        List<Snapshot> snaps = Verifier.needs(repo, needs, unreadable);
        VerifyResult checked = new Verifier(repo, events, pool).check(needs, 100, snaps.size(), unreadable, t0);
        Map<String, VerifyResult.Problem> bad = new LinkedHashMap<>();
        checked.problems().forEach(p -> bad.put(p.sha256(), p));
        List<RepairResult.Repaired> repaired = new ArrayList<>();
        if (!bad.isEmpty()) {
            repairFromSources(bad, needs, repaired);
        }
        return new RepairResult(
                needs.size(),
                repaired,
                new ArrayList<>(bad.values()),
                java.time.Duration.ofNanos(System.nanoTime() - t0));
    }

    private void repairFromSources(
            Map<String, VerifyResult.Problem> bad, Map<String, Verifier.Need> needs, List<RepairResult.Repaired> done)
            throws IOException, InterruptedException {
        Map<Long, Set<String>> badBySize = new HashMap<>();
        Set<String> wantedPaths = new HashSet<>();
        for (VerifyResult.Problem p : bad.values()) {
            badBySize
                    .computeIfAbsent(needs.get(p.sha256()).size(), k -> new HashSet<>())
                    .add(p.sha256());
            for (String user : p.affected()) {
                wantedPaths.add(user.substring(user.indexOf(':') + 1));
            }
        }
        // candidates: files of a bad object's size, those at a path that needs one first
        List<Scanner.Scanned> candidates = new ArrayList<>();
        for (Scanner.Scanned s : scanner.scan(pool).files()) {
            if (badBySize.containsKey(s.size())) {
                candidates.add(s);
            }
        }
        candidates.sort(java.util.Comparator.comparing((Scanner.Scanned s) -> !wantedPaths.contains(s.path())));
        for (Scanner.Scanned s : candidates) {
            Set<String> open = badBySize.get(s.size());
            if (open == null || open.isEmpty()) {
                continue;
            }
            ObjectStore.Staged staged;
            try {
                staged = s.link() != null
                        ? repo.store().stageBytes(s.link().getBytes(java.nio.charset.StandardCharsets.UTF_8))
                        : repo.store().stage(s.file());
            } catch (NoSuchFileException gone) {
                continue;
            }
            if (!open.contains(staged.sha256())) {
                repo.store().discard(List.of(staged));
                continue;
            }
            // the bad copy goes first: an object that exists is never replaced by a commit
            Files.deleteIfExists(repo.store().path(staged.sha256()));
            repo.store().commit(List.of(staged));
            open.remove(staged.sha256());
            VerifyResult.Problem p = bad.remove(staged.sha256());
            done.add(new RepairResult.Repaired(
                    staged.sha256(), p.kind(), s.file().toString()));
            events.onEvent(Event.of(
                    "backup",
                    "repaired",
                    Event.Level.INFO,
                    "stored " + p.kind() + " object " + staged.sha256() + " again from " + s.file(),
                    Map.of("sha256", staged.sha256(), "from", s.file().toString())));
        }
    }
}
