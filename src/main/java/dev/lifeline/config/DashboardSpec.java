package dev.lifeline.config;

import java.util.Set;

/**
 * {@code dashboard: { listen: 127.0.0.1:8370, allow-remote: false }}, or {@code dashboard: false}.
 * Default: on, at 127.0.0.1:8370. A listen address that is not loopback is refused unless
 * {@code allow-remote: true} says the user means it (the token is then all that guards the page).
 *
 * @param enabled false for {@code dashboard: false}
 */
public record DashboardSpec(boolean enabled, String host, int port, boolean allowRemote) {
    public static final String DEFAULT_HOST = "127.0.0.1";
    public static final int DEFAULT_PORT = 8370;
    public static final DashboardSpec DEFAULT = new DashboardSpec(true, DEFAULT_HOST, DEFAULT_PORT, false);
    public static final DashboardSpec OFF = new DashboardSpec(false, DEFAULT_HOST, DEFAULT_PORT, false);

    /** An enabled dashboard at {@code host:port}. */
    public DashboardSpec(String host, int port) {
        this(true, host, port, false);
    }

    /** True for 127.0.0.0/8, ::1 and localhost. */
    public static boolean isLoopback(String host) {
        String h = host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
        return h.equals("localhost") || h.equals("::1") || h.matches("127\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}");
    }

    static DashboardSpec parse(ConfigNode n) {
        if (n.isScalar()) {
            String v = n.asString();
            if (v.equals("false") || v.equals("off") || v.equals("no")) {
                return OFF;
            }
            if (v.equals("true") || v.equals("on") || v.equals("yes")) {
                return DEFAULT;
            }
            throw n.error(
                    "'" + v + "' is not a dashboard setting",
                    "write dashboard: false, or dashboard: { listen: 127.0.0.1:8370 }");
        }
        n.allowOnly(Set.of("listen", "allow-remote"));
        ConfigNode listenNode = n.get("listen");
        String listen = listenNode.asString(DEFAULT_HOST + ":" + DEFAULT_PORT);
        int colon = listen.lastIndexOf(':');
        if (colon < 0) {
            throw listenNode.error("'" + listen + "' has no port", "write HOST:PORT, e.g. 127.0.0.1:8370");
        }
        int port;
        try {
            port = Integer.parseInt(listen.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw listenNode.error("'" + listen + "' has no valid port", "write HOST:PORT, e.g. 127.0.0.1:8370");
        }
        if (port < 0 || port > 65535) {
            throw listenNode.error("'" + listen + "' has no valid port", "a port is 1 to 65535 (0: any free port)");
        }
        String host = listen.substring(0, colon);
        if (host.isEmpty()) {
            throw listenNode.error("'" + listen + "' has no host", "write HOST:PORT, e.g. 127.0.0.1:8370");
        }
        boolean allowRemote = n.get("allow-remote").asBoolean(false);
        if (!isLoopback(host) && !allowRemote) {
            throw listenNode.error(
                    "the dashboard would listen on " + host + ", which other machines can reach",
                    "keep it on 127.0.0.1 and reach it through a tunnel (tunnels.NAME.dashboard: true), or add"
                            + " 'allow-remote: true' to dashboard: if you mean it (the token is then all that guards it)");
        }
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        return new DashboardSpec(true, host, port, allowRemote);
    }
}
