package dev.lifeline.cli;

import dev.lifeline.backup.RestoreResult;
import dev.lifeline.backup.Snapshot;
import dev.lifeline.backup.Vault;
import dev.lifeline.catalog.Catalog;
import dev.lifeline.catalog.Hit;
import dev.lifeline.catalog.Query;
import dev.lifeline.catalog.SearchResult;
import dev.lifeline.config.BackupSpec;
import dev.lifeline.core.EventListener;
import dev.lifeline.core.Json;
import dev.lifeline.core.LifelineException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code lifeline find [QUERY] [--json] [--limit N] [--restore-to DIR]}: straight on the
 * repository's catalog, read-only (no daemon needed). Exit 1 when nothing matches.
 */
@Command(
        name = "find",
        description = {
            "Find stored images by prompt, seed, model… across every snapshot, deleted ones too.",
            "Free words search the prompt (ranked); filters: negative: seed: 123* steps: 10-30 cfg: 7"
                    + " sampler: \"euler a\" | ddim model: lora: size: 1024x? tool: comfyui date: since yesterday"
                    + " path: */portraits/* deleted: true snapshot: ID sha: (see docs/catalog.md)."
        })
final class FindCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(arity = "0..*", paramLabel = "QUERY", description = "Words and filters (empty: the newest images).")
    List<String> words = new ArrayList<>();

    @Option(names = "--json", description = "One JSON object: hits (every field) and facets.")
    boolean json;

    @Option(names = "--limit", paramLabel = "N", description = "At most N hits (default: 20).")
    int limit = 20;

    @Option(
            names = "--restore-to",
            paramLabel = "DIR",
            description = "Restore the hits into DIR, bit for bit, through the vault's restore.")
    Path restoreTo;

    @Override
    public Integer call() {
        if (limit < 1 || limit > 10_000) {
            throw new LifelineException("--limit " + limit + " is out of range", "use a number from 1 to 10000");
        }
        Query q = Query.parse(String.join(" ", words)); // a bad query fails before anything is opened
        BackupSpec bs = BackupCommand.spec(spec);
        Vault vault = Vault.open(bs, EventListener.NONE);
        Set<String> existing = null;
        if (java.nio.file.Files.exists(bs.repository().resolve("vault.json"))) {
            existing = new HashSet<>();
            for (Snapshot s : vault.snapshots()) {
                existing.add(s.id());
            }
        }
        SearchResult r;
        try (Catalog c = Catalog.openReadOnly(bs.repository())) {
            r = c.search(q, limit, json, json, existing);
        }
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            out.println(Json.write(Json.toNode(r), true));
        } else {
            for (Hit h : r.hits()) {
                print(out, h);
            }
        }
        out.flush();
        if (restoreTo != null && !r.hits().isEmpty()) {
            restore(vault, r.hits(), restoreTo, spec.commandLine().getErr());
        }
        if (r.hits().isEmpty()) {
            spec.commandLine().getErr().println("no stored image matches '" + q.text() + "'");
            spec.commandLine().getErr().flush();
            return 1;
        }
        return 0;
    }

    static void print(PrintWriter out, Hit h) {
        var m = h.meta();
        List<String> facts = new ArrayList<>();
        if (m.seed() != null) {
            facts.add("seed " + m.seed());
        }
        if (m.steps() != null) {
            facts.add(m.steps() + " steps");
        }
        if (m.cfg() != null) {
            facts.add("cfg "
                    + (m.cfg() == Math.rint(m.cfg()) ? Long.toString(m.cfg().longValue()) : m.cfg()));
        }
        if (m.sampler() != null) {
            facts.add(m.sampler() + (m.scheduler() == null ? "" : " " + m.scheduler()));
        }
        if (m.width() != null && m.height() != null) {
            facts.add(m.width() + "x" + m.height());
        }
        if (m.model() != null) {
            facts.add(m.model());
        }
        m.loras().forEach(l -> facts.add("lora " + l.name() + (l.weight() == null ? "" : ":" + l.weight())));
        if (m.tool() != null) {
            facts.add(m.tool());
        }
        out.println(dev.lifeline.backup.NameOutput.shell(h.path()) + (h.deleted() ? "  (deleted)" : ""));
        if (!facts.isEmpty()) {
            out.println("  " + String.join(" · ", facts));
        }
        if (m.prompt() != null) {
            String p = m.prompt().replaceAll("\\s+", " ").trim();
            out.println("  " + (p.length() > 160 ? p.substring(0, 157) + "…" : p));
        }
        List<String> snaps = h.snapshots();
        out.println("  " + h.sha256().substring(0, 12) + " in "
                + (snaps.size() <= 3
                        ? String.join(", ", snaps)
                        : snaps.size() + " snapshots, " + snaps.get(0) + " … " + snaps.get(snaps.size() - 1)));
    }

    /**
     * One restore per snapshot, with exactly the hits' paths as patterns: a live image from
     * {@code latest} (the journal included), a deleted one from the newest snapshot that has it.
     */
    static void restore(Vault vault, List<Hit> hits, Path dir, PrintWriter err) {
        Map<String, List<String>> bySnapshot = new LinkedHashMap<>();
        for (Hit h : hits) {
            Hit.Location from = h.restoreFrom();
            if (from == null) {
                continue;
            }
            bySnapshot.computeIfAbsent(from.snapshot(), k -> new ArrayList<>()).add(Vault.exactPattern(from.path()));
        }
        long files = 0;
        long bytes = 0;
        List<String> problems = new ArrayList<>();
        for (Map.Entry<String, List<String>> e : bySnapshot.entrySet()) {
            RestoreResult r = vault.restore(e.getKey(), e.getValue(), dir, false);
            files += r.files() + r.alreadyThere();
            bytes += r.bytes();
            r.unrestored().forEach(u -> problems.add(u.path() + ": " + u.problem()));
        }
        err.println("restored " + Plural.of(files, "file") + " (" + BackupCommand.size(bytes) + ") into " + dir
                + " from " + Plural.of(bySnapshot.size(), "snapshot") + "; every SHA-256 checked");
        err.flush();
        if (!problems.isEmpty()) {
            throw new LifelineException(
                    Plural.of(problems.size(), "file") + " could not be restored: " + String.join("; ", problems),
                    "'lifeline backup verify' says what the repository lacks");
        }
    }
}
