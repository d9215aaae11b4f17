package dev.lifeline.config;

import java.util.Set;

/** {@code dashboard: { listen: 127.0.0.1:8370 }}. Default listen address: 127.0.0.1:8370. */
public record DashboardSpec(String host, int port) {
    static DashboardSpec parse(ConfigNode n) {
        n.allowOnly(Set.of("listen"));
        String listen = n.get("listen").asString("127.0.0.1:8370");
        int colon = listen.lastIndexOf(':');
        if (colon < 0) {
            throw n.get("listen").error("'" + listen + "' has no port", "write HOST:PORT, e.g. 127.0.0.1:8370");
        }
        int port;
        try {
            port = Integer.parseInt(listen.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw n.get("listen").error("'" + listen + "' has no valid port", "write HOST:PORT, e.g. 127.0.0.1:8370");
        }
        return new DashboardSpec(listen.substring(0, colon), port);
    }
}
