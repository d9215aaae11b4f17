package dev.lifeline.config;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The whole {@code lifeline.yaml}, parsed once and validated; immutable. Loading either returns a
 * complete config or throws a {@link ConfigException} naming file, line, column and field —
 * nothing is half-applied.
 *
 * @param file the absolute path it was read from
 * @param text the exact text, so the daemon can keep what it applied
 */
public record LifelineConfig(
        Path file,
        String text,
        Map<String, ServiceSpec> services,
        Optional<BackupSpec> backup,
        Map<String, TunnelSpec> tunnels,
        List<NotifySpec> notifications,
        Optional<DashboardSpec> dashboard,
        Optional<CatalogSpec> catalog) {

    /** Top-level keys starting with this are ignored, as in docker compose: a place for anchors. */
    static final String EXTENSION_PREFIX = "x-";

    static final Set<String> TOP_KEYS =
            Set.of("services", "backup", "tunnels", "notify", "dashboard", "version", "catalog");

    public LifelineConfig {
        services = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(services));
        tunnels = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(tunnels));
        notifications = List.copyOf(notifications);
    }

    /** The largest config file Lifeline reads (1 MiB); a real one is a few KiB. */
    public static final int MAX_BYTES = 1 << 20;

    /**
     * Reads and parses {@code file}. A file over {@link #MAX_BYTES} is refused after reading at
     * most one byte more than that, and anything but a regular file (a FIFO, a device) is refused
     * without opening it.
     */
    public static LifelineConfig load(Path file) {
        Path abs = file.toAbsolutePath().normalize();
        byte[] bytes;
        try {
            if (!Files.exists(abs)) {
                throw new NoSuchFileException(abs.toString());
            }
            if (!Files.isRegularFile(abs)) {
                throw new ConfigException(abs + " is not a regular file", "point -c at the lifeline.yaml file itself");
            }
            if (Files.size(abs) > MAX_BYTES) {
                throw tooLarge(abs);
            }
            try (InputStream in = Files.newInputStream(abs)) {
                bytes = in.readNBytes(MAX_BYTES + 1); // it may have grown since size()
            }
        } catch (NoSuchFileException e) {
            throw new ConfigException(
                    "no config file at " + abs, "create one (see README.md), or name another with -c FILE");
        } catch (IOException e) {
            throw new ConfigException("cannot read " + abs + ": " + e.getMessage(), null);
        }
        if (bytes.length > MAX_BYTES) {
            throw tooLarge(abs);
        }
        return parse(new String(bytes, StandardCharsets.UTF_8), abs);
    }

    static ConfigException tooLarge(Path file) {
        return new ConfigException(
                (file == null ? "<config>" : file.toString()) + " is larger than 1 MiB, too large for a config file",
                "a lifeline.yaml is a few KiB; check that -c names the right file");
    }

    /** Parses {@code text} as if it were the file {@code file} (relative paths resolve against its folder). */
    public static LifelineConfig parse(String text, Path file) {
        Path abs = file.toAbsolutePath().normalize();
        ConfigNode root = YamlReader.read(text, abs);
        if (!root.isMap()) {
            throw root.error(
                    "the file must be a mapping with 'services:' and friends at the top",
                    "see README.md for an example");
        }
        root.allowOnly(TOP_KEYS, EXTENSION_PREFIX);
        Path base = abs.getParent();

        Map<String, ServiceSpec> services = new LinkedHashMap<>();
        for (Map.Entry<String, ConfigNode> e : root.get("services").asMap().entrySet()) {
            services.put(e.getKey(), ServiceSpec.parse(e.getKey(), e.getValue(), base));
        }
        Map<String, TunnelSpec> tunnels = new LinkedHashMap<>();
        for (Map.Entry<String, ConfigNode> e : root.get("tunnels").asMap().entrySet()) {
            tunnels.put(e.getKey(), TunnelSpec.parse(e.getKey(), e.getValue(), base));
        }
        List<NotifySpec> notify = new ArrayList<>();
        for (ConfigNode n : root.get("notify").asList()) {
            notify.add(NotifySpec.parse(n));
        }
        Optional<BackupSpec> backup = root.get("backup").isPresent()
                ? Optional.of(BackupSpec.parse(root.get("backup"), base, services))
                : Optional.empty();
        Optional<DashboardSpec> dashboard = root.get("dashboard").isPresent()
                ? Optional.of(DashboardSpec.parse(root.get("dashboard")))
                : Optional.empty();
        Optional<CatalogSpec> catalog = root.get("catalog").isPresent()
                ? Optional.of(CatalogSpec.parse(root.get("catalog")))
                : Optional.empty();
        return new LifelineConfig(abs, text, services, backup, tunnels, notify, dashboard, catalog);
    }

    /** The named service, or an error listing the configured ones. */
    public ServiceSpec service(String name) {
        ServiceSpec s = services.get(name);
        if (s == null) {
            String near = Suggest.nearest(name, services.keySet());
            throw new ConfigException(
                    "no service '" + name + "' in " + file + (near == null ? "" : " (did you mean '" + near + "'?)"),
                    services.isEmpty()
                            ? "add it under 'services:'"
                            : "configured services: " + String.join(", ", services.keySet()));
        }
        return s;
    }
}
