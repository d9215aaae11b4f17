package dev.lifeline.config;

import java.nio.file.Path;
import java.util.List;
import java.util.Set;

/**
 * One {@code tunnels.<name>} entry. Placeholder shape: the tunnel work owns this file and
 * extends it.
 *
 * @param sshArgs the ssh arguments as the user wrote them, without the leading {@code ssh}
 * @param forwards {@code LPORT:HOST:RPORT} specs from {@code forward:}
 */
public record TunnelSpec(String name, String sshArgs, List<String> forwards) {
    public TunnelSpec {
        forwards = List.copyOf(forwards);
    }

    static TunnelSpec parse(String name, ConfigNode n, Path base) {
        n.allowOnly(Set.of("ssh", "forward", "probe", "keepalive"));
        return new TunnelSpec(
                name, n.get("ssh").required().asString(), n.get("forward").asStringList());
    }
}
