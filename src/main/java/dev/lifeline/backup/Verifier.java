package dev.lifeline.backup;

import dev.lifeline.core.Event;
import dev.lifeline.core.EventListener;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;

/** Checks that every object a snapshot (or the journal) needs is present, of the right size and, when asked, hashes to its name. */
final class Verifier {
    private final Repository repo;
    private final EventListener events;
    private final ExecutorService pool;

    Verifier(Repository repo, EventListener events, ExecutorService pool) {
        this.repo = repo;
        this.events = events;
        this.pool = pool;
    }

    /** An object some files need: its size, and each file as {@code snapshot:path}. */
    record Need(long size, List<String> users) {
        /** Records that {@code user} needs {@code f}'s object. */
        static void add(Map<String, Need> needs, FileEntry f, String user) {
            needs.computeIfAbsent(f.sha256(), k -> new Need(f.size(), new ArrayList<>()))
                    .users()
                    .add(user);
        }
    }

    /** Whether to read and hash an object: always at 100%, else with that probability. */
    static boolean sampled(double samplePercent) {
        return samplePercent >= 100
                || (samplePercent > 0 && ThreadLocalRandom.current().nextDouble() * 100 < samplePercent);
    }

    VerifyResult run(double samplePercent) throws IOException, InterruptedException {
        long t0 = System.nanoTime();
        Map<String, Need> needs = new LinkedHashMap<>();
        List<String> unreadable = new ArrayList<>();
        List<Snapshot> snaps = needs(repo, needs, unreadable);
        return check(needs, samplePercent, snaps.size(), unreadable, t0);
    }

    /**
     * Every object a readable manifest or the journal names, into {@code needs}; manifests that
     * cannot be read into {@code unreadable}. Returns the readable snapshots.
     */
    static List<Snapshot> needs(Repository repo, Map<String, Need> needs, List<String> unreadable) throws IOException {
        List<Snapshot> snaps = repo.snapshots();
        for (Snapshot s : snaps) {
            Manifest m;
            try {
                m = repo.manifest(s.id());
            } catch (IOException e) {
                unreadable.add(s.id() + ": " + e.getMessage());
                continue;
            }
            for (FileEntry f : m.files()) {
                Need.add(needs, f, s.id() + ":" + f.path());
            }
        }
        for (FileEntry f : repo.journal().read()) {
            Need.add(needs, f, "journal:" + f.path());
        }
        // manifests that exist on disk but did not even give a summary
        try (var st = Files.list(repo.layout().snapshots())) {
            for (Path p : (Iterable<Path>) st::iterator) {
                String n = p.getFileName().toString();
                String id = n.endsWith(".json") ? n.substring(0, n.length() - 5) : n;
                if (!n.startsWith(".") && snaps.stream().noneMatch(s -> s.id().equals(id))) {
                    unreadable.add(id + ": not a valid manifest");
                }
            }
        } catch (IOException e) {
            // listing failed: the snapshot loop above already reported what it could
        }
        return snaps;
    }

    /** Checks each needed object: present, of its size, and (sampled) hashing to its name. */
    VerifyResult check(Map<String, Need> needs, double samplePercent, int snapshots, List<String> unreadable, long t0)
            throws IOException, InterruptedException {
        Map<String, Future<String>> checks = new HashMap<>();
        long[] read = new long[2];
        List<VerifyResult.Problem> problems = new ArrayList<>();
        for (Map.Entry<String, Need> e : needs.entrySet()) {
            String sha = e.getKey();
            Path p = repo.store().path(sha);
            long size;
            try {
                size = Files.size(p);
            } catch (NoSuchFileException gone) {
                problems.add(new VerifyResult.Problem(
                        "missing",
                        sha,
                        "objects/" + sha.substring(0, 2) + "/" + sha + " is missing",
                        e.getValue().users()));
                continue;
            }
            if (size != e.getValue().size()) {
                problems.add(new VerifyResult.Problem(
                        "wrong-size",
                        sha,
                        "object is " + size + " bytes, expected " + e.getValue().size(),
                        e.getValue().users()));
                continue;
            }
            if (sampled(samplePercent)) {
                read[0]++;
                read[1] += size;
                checks.put(sha, pool.submit(() -> repo.store().rehash(sha, new RateLimiter(0))));
            }
        }
        collect(checks, sha -> needs.get(sha).users(), problems, events, "object", 500);
        return new VerifyResult(
                snapshots,
                needs.size(),
                read[0],
                read[1],
                problems,
                unreadable,
                java.time.Duration.ofNanos(System.nanoTime() - t0));
    }

    /**
     * Waits for the hash checks, adds a problem for each object that hashes to another name or
     * cannot be read (naming every file that needs it), and reports each problem as an event.
     */
    static void collect(
            Map<String, Future<String>> checks,
            java.util.function.Function<String, List<String>> users,
            List<VerifyResult.Problem> problems,
            EventListener events,
            String what,
            int every)
            throws InterruptedException {
        int done = 0;
        for (Map.Entry<String, Future<String>> c : checks.entrySet()) {
            String sha = c.getKey();
            try {
                String got = c.getValue().get();
                if (!got.equals(sha)) {
                    problems.add(
                            new VerifyResult.Problem("corrupt", sha, "content hashes to " + got, users.apply(sha)));
                }
            } catch (ExecutionException ex) {
                problems.add(new VerifyResult.Problem(
                        "unreadable", sha, String.valueOf(ex.getCause().getMessage()), users.apply(sha)));
            }
            if (++done % every == 0) {
                events.onEvent(Event.of(
                        "backup",
                        "progress",
                        Event.Level.INFO,
                        "verified " + done + "/" + checks.size() + " " + what + "s",
                        Map.of("done", done, "total", checks.size())));
            }
        }
        for (VerifyResult.Problem p : problems) {
            events.onEvent(Event.of(
                    "backup",
                    "verify-problem",
                    Event.Level.ERROR,
                    p.kind() + " " + what + " " + p.sha256() + " needed by "
                            + p.affected().size() + " file(s), such as "
                            + p.affected().get(0),
                    Map.of("sha256", p.sha256(), "kind", p.kind())));
        }
    }
}
