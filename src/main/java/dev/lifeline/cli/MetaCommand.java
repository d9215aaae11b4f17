package dev.lifeline.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lifeline.catalog.meta.ImageMeta;
import dev.lifeline.catalog.meta.MetaOptions;
import dev.lifeline.catalog.meta.MetaReader;
import dev.lifeline.core.Json;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.AccessDeniedException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code lifeline meta FILE... [--json]}: what the catalog reads from image files, without
 * indexing. Exit 0 when every file could be read (with or without metadata), 1 when one could
 * not (each is named on stderr; the others are still printed).
 */
@Command(
        name = "meta",
        description = "Show the generation metadata the catalog reads from image files (prompt, seed, model, …),"
                + " without indexing them.")
final class MetaCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "FILE", arity = "1..*", description = "PNG, JPEG, WebP or AVIF files to read.")
    List<Path> files;

    @Option(names = "--json", description = "An array of {file, meta}; meta is null for a file without metadata.")
    boolean json;

    @Option(
            names = "--stealth",
            description = "Also look for stealth metadata in the pixels' low bits (decodes the image: slower).")
    boolean stealth;

    @Option(
            names = "--field",
            paramLabel = "FIELD=KEY",
            description = "For apps that write their own JSON: the app's key for a field, e.g. seed=my_seed"
                    + " (fields: prompt, negative, seed, steps, cfg, sampler, scheduler, model, model_hash, width,"
                    + " height, size).")
    Map<String, String> fields = new LinkedHashMap<>();

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        MetaOptions options = options();
        ArrayNode all = Json.array();
        boolean failed = false;
        boolean firstBlock = true;
        for (Path f : files) {
            Optional<ImageMeta> meta;
            try {
                meta = MetaReader.inspect(f, options);
            } catch (IOException e) {
                err.println("lifeline: cannot read " + f + ": " + reason(e));
                err.println("  → check the path; only regular PNG, JPEG, WebP and AVIF files are read");
                failed = true;
                continue;
            }
            if (json) {
                ObjectNode o = all.addObject();
                o.put("file", f.toString());
                o.set(
                        "meta",
                        meta.<com.fasterxml.jackson.databind.JsonNode>map(Json::toNode)
                                .orElse(null));
            } else {
                if (!firstBlock) {
                    out.println();
                }
                firstBlock = false;
                print(out, f, meta);
            }
        }
        if (json) {
            out.println(Json.write(all, true));
        }
        out.flush();
        err.flush();
        return failed ? 1 : 0;
    }

    /**
     * The catalog's own settings when a config file is there ({@code catalog: { fields, stealth }}),
     * so this shows what indexing reads; {@code --field} and {@code --stealth} add to them.
     */
    private MetaOptions options() {
        Map<String, String> all = new LinkedHashMap<>();
        boolean steal = stealth;
        Path config = Context.configPath(spec);
        if (java.nio.file.Files.isRegularFile(config)) {
            java.util.Optional<dev.lifeline.config.CatalogSpec> c =
                    dev.lifeline.config.LifelineConfig.load(config).catalog();
            if (c.isPresent()) {
                all.putAll(c.get().fields());
                steal |= c.get().stealth();
            }
        }
        all.putAll(fields);
        return new MetaOptions(steal, all);
    }

    private static String reason(IOException e) {
        if (e instanceof NoSuchFileException) {
            return "no such file";
        }
        if (e instanceof AccessDeniedException) {
            return "permission denied";
        }
        String m = e.getMessage();
        return m == null ? e.getClass().getSimpleName() : m;
    }

    static void print(PrintWriter out, Path f, Optional<ImageMeta> meta) {
        out.println(f);
        if (meta.isEmpty()) {
            out.println("  no generation metadata");
            return;
        }
        ImageMeta m = meta.get();
        line(out, "tool", m.tool());
        line(out, "prompt", m.prompt());
        line(out, "negative", m.negative());
        line(out, "seed", m.seed());
        line(out, "steps", m.steps());
        line(out, "cfg", m.cfg() == null ? null : number(m.cfg()));
        line(out, "sampler", m.sampler());
        line(out, "scheduler", m.scheduler());
        line(out, "model", m.model());
        line(out, "model hash", m.modelHash());
        if (!m.loras().isEmpty()) {
            StringBuilder b = new StringBuilder();
            for (ImageMeta.Lora l : m.loras()) {
                b.append(b.isEmpty() ? "" : "\n").append(l.name());
                if (l.weight() != null) {
                    b.append(" (").append(number(l.weight())).append(')');
                }
            }
            line(out, "loras", b.toString());
        }
        if (m.width() != null) {
            line(out, "size", m.width() + "x" + m.height());
        }
        if (m.raw() != null) {
            line(out, "raw", m.raw().length() + " characters (--json shows them)");
        }
    }

    /** 7 rather than 7.0; 3.5 as itself. */
    private static String number(double d) {
        return d == Math.rint(d) && Math.abs(d) < 1e15 ? Long.toString((long) d) : Double.toString(d);
    }

    private static void line(PrintWriter out, String label, Object value) {
        if (value == null) {
            return;
        }
        String pad = "  " + label + " ".repeat(Math.max(1, 12 - label.length()));
        String indent = " ".repeat(pad.length());
        String[] lines = value.toString().split("\n", -1);
        out.println(pad + lines[0]);
        for (int i = 1; i < lines.length; i++) {
            out.println(indent + lines[i]);
        }
    }
}
