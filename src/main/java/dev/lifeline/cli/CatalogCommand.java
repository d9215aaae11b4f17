package dev.lifeline.cli;

import dev.lifeline.backup.Vault;
import dev.lifeline.catalog.Catalog;
import dev.lifeline.catalog.CatalogStatus;
import dev.lifeline.catalog.SyncResult;
import dev.lifeline.catalog.meta.MetaOptions;
import dev.lifeline.config.CatalogSpec;
import dev.lifeline.config.LifelineConfig;
import dev.lifeline.core.EventListener;
import dev.lifeline.core.Json;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code lifeline catalog rebuild|status}: the index {@code find} reads, straight on the repository. */
@Command(
        name = "catalog",
        description = "Rebuild or inspect the catalog (the index of every stored image's metadata).",
        subcommands = {CatalogCommand.Rebuild.class, CatalogCommand.Status.class})
final class CatalogCommand {
    static MetaOptions options(LifelineConfig cfg) {
        CatalogSpec c = cfg.catalog().orElse(CatalogSpec.DEFAULT);
        return new MetaOptions(c.stealth(), c.fields());
    }

    @Command(
            name = "rebuild",
            description =
                    "Make the catalog again from the repository alone (or from its S3 mirror, on a fresh machine).")
    static final class Rebuild implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Option(names = "--from-remote", description = "Read the snapshots and images from the S3 mirror.")
        boolean fromRemote;

        @Override
        public Integer call() {
            LifelineConfig cfg = Context.loadConfig(spec);
            var bs = BackupCommand.spec(cfg);
            Vault v = Vault.open(bs, EventListener.NONE);
            if (!fromRemote) {
                v.snapshots(); // fails with the vault's own message when there is no repository
            }
            SyncResult r;
            try (Catalog c = Catalog.open(bs.repository(), options(cfg))) {
                r = c.rebuild(v, fromRemote);
            }
            PrintWriter out = spec.commandLine().getOut();
            out.printf(
                    "catalog of %s rebuilt%s: %s from %s in %s (%.0f images/s)%n",
                    bs.repository(),
                    fromRemote ? " from the S3 mirror" : "",
                    Plural.of(r.imagesAdded(), "image"),
                    Plural.of(r.snapshotsAdded(), "snapshot"),
                    BackupCommand.secs(r.took()),
                    r.imagesAdded() / Math.max(1e-3, r.took().toNanos() / 1e9));
            out.flush();
            return 0;
        }
    }

    @Command(name = "status", description = "What the catalog holds: rows, size, when it was last written.")
    static final class Status implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Option(names = "--json", description = "As JSON.")
        boolean json;

        @Override
        public Integer call() {
            var bs = BackupCommand.spec(spec);
            CatalogStatus s;
            try (Catalog c = Catalog.openReadOnly(bs.repository())) {
                s = c.status();
            }
            PrintWriter out = spec.commandLine().getOut();
            if (json) {
                out.println(Json.write(Json.toNode(s), true));
            } else {
                out.printf(
                        "catalog %s: %s (%d with metadata, %d deleted), %s, %s; %s; last indexed %s%n",
                        s.file(),
                        Plural.of(s.images(), "image"),
                        s.withMetadata(),
                        s.deleted(),
                        Plural.of(s.paths(), "path span"),
                        Plural.of(s.snapshots(), "snapshot"),
                        BackupCommand.size(s.bytes()),
                        s.lastIndexed() == null ? "never" : s.lastIndexed().toString());
            }
            out.flush();
            return 0;
        }
    }
}
