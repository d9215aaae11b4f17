package dev.lifeline.daemon;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lifeline.config.BackupSpec;
import dev.lifeline.config.LifelineConfig;
import dev.lifeline.config.NotifySpec;
import dev.lifeline.config.ServiceSpec;
import dev.lifeline.core.Json;
import dev.lifeline.core.LifelineException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The configs the daemon has applied, one per {@code lifeline.yaml} (a project, as in docker
 * compose), in the order they were first applied; immutable. Each service belongs to the file it
 * came from; two files never declare the same service name or port.
 *
 * <p>Saved as {@code applied.json}: {@code {"projects": [{"path": …, "text": …}, …]}}. The
 * single-project shape of earlier versions, {@code {"path": …, "text": …}}, is read as one project.
 */
record Projects(Map<Path, LifelineConfig> configs) {
    static final Projects NONE = new Projects(Map.of());

    Projects {
        configs = Collections.unmodifiableMap(new LinkedHashMap<>(configs));
    }

    boolean isEmpty() {
        return configs.isEmpty();
    }

    Optional<LifelineConfig> get(Path file) {
        return Optional.ofNullable(configs.get(file));
    }

    /** The file a service came from. */
    Optional<Path> owner(String service) {
        for (LifelineConfig c : configs.values()) {
            if (c.services().containsKey(service)) {
                return Optional.of(c.file());
            }
        }
        return Optional.empty();
    }

    /**
     * These projects with {@code config} applied (replacing the earlier version of its file).
     *
     * @throws LifelineException naming both files when another file declares one of its service
     *     names or ports, or backs up to the same repository; nothing changes then
     */
    Projects with(LifelineConfig config) {
        for (LifelineConfig other : configs.values()) {
            if (other.file().equals(config.file())) {
                continue;
            }
            for (ServiceSpec s : config.services().values()) {
                ServiceSpec clash = other.services().get(s.name());
                if (clash != null) {
                    throw refused("service '" + s.name() + "'", config, other);
                }
                if (s.port().isPresent()) {
                    for (ServiceSpec o : other.services().values()) {
                        if (o.port().equals(s.port())) {
                            throw refused(
                                    "port " + s.port().get() + " (service '" + s.name() + "'; there: '" + o.name()
                                            + "')",
                                    config,
                                    other);
                        }
                    }
                }
            }
            if (config.backup().isPresent()
                    && other.backup().isPresent()
                    && config.backup()
                            .get()
                            .repository()
                            .equals(other.backup().get().repository())) {
                throw refused("the backup repository " + config.backup().get().repository(), config, other);
            }
        }
        Map<Path, LifelineConfig> next = new LinkedHashMap<>(configs);
        next.put(config.file(), config);
        return new Projects(next);
    }

    private static LifelineException refused(String what, LifelineConfig config, LifelineConfig other) {
        return new LifelineException(
                config.file() + " declares " + what + ", which " + other.file()
                        + " (applied) already declares; nothing was changed",
                "rename it in one of the two files, or stop the other project first: lifeline -c " + other.file()
                        + " down");
    }

    Projects without(Path file) {
        Map<Path, LifelineConfig> next = new LinkedHashMap<>(configs);
        next.remove(file);
        return new Projects(next);
    }

    /** All services of all projects as one config, for the supervisor (which knows no projects). */
    LifelineConfig merged(Path file) {
        Map<String, ServiceSpec> services = new LinkedHashMap<>();
        configs.values().forEach(c -> services.putAll(c.services()));
        return new LifelineConfig(
                file, "", services, Optional.empty(), Map.of(), List.of(), Optional.empty(), Optional.empty());
    }

    /** Every project's webhooks (one destination once, even when two files name it). */
    List<NotifySpec> notifications() {
        Set<NotifySpec> all = new LinkedHashSet<>();
        configs.values().forEach(c -> all.addAll(c.notifications()));
        return List.copyOf(all);
    }

    /** Each project's backup section, by file. */
    Map<Path, BackupSpec> backups() {
        Map<Path, BackupSpec> out = new LinkedHashMap<>();
        configs.values().forEach(c -> c.backup().ifPresent(b -> out.put(c.file(), b)));
        return out;
    }

    int serviceCount() {
        return configs.values().stream().mapToInt(c -> c.services().size()).sum();
    }

    String toJson() {
        ObjectNode n = Json.object();
        ArrayNode a = n.putArray("projects");
        for (LifelineConfig c : configs.values()) {
            a.addObject().put("path", c.file().toString()).put("text", c.text());
        }
        return Json.write(n, true);
    }

    /** Reads {@code applied.json}, in either shape; a project that no longer parses is reported and skipped. */
    static Projects fromJson(String text, List<String> problems) {
        JsonNode n = Json.parse(text);
        List<JsonNode> entries = new ArrayList<>();
        if (n.has("projects")) {
            n.path("projects").forEach(entries::add);
        } else if (n.has("path")) {
            entries.add(n);
        }
        Projects p = NONE;
        for (JsonNode e : entries) {
            try {
                p = p.with(LifelineConfig.parse(
                        e.path("text").asText(), Path.of(e.path("path").asText())));
            } catch (LifelineException ex) {
                problems.add(e.path("path").asText() + ": " + ex.getMessage());
            }
        }
        return p;
    }
}
