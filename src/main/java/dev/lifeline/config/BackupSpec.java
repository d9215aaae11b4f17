package dev.lifeline.config;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The {@code backup:} section. Placeholder shape: the vault work owns this file and extends it.
 *
 * @param sources folders to back up: each service's {@code outputs} plus {@code backup.sources}
 */
public record BackupSpec(Path repository, List<Path> sources, List<String> exclude) {
    public BackupSpec {
        sources = List.copyOf(sources);
        exclude = List.copyOf(exclude);
    }

    static BackupSpec parse(ConfigNode n, Path base, Map<String, ServiceSpec> services) {
        n.allowOnly(Set.of("repository", "sources", "exclude", "retention", "remote", "schedule"));
        Path repo = base.resolve(
                        ServiceSpec.expandHome(n.get("repository").required().asString()))
                .normalize();
        List<Path> sources = new ArrayList<>();
        for (ServiceSpec s : services.values()) {
            s.outputs().ifPresent(sources::add);
        }
        for (String s : n.get("sources").asStringList()) {
            sources.add(base.resolve(ServiceSpec.expandHome(s)).normalize());
        }
        return new BackupSpec(repo, sources, n.get("exclude").asStringList());
    }
}
