package dev.lifeline.notify;

import java.net.InetSocketAddress;
import java.net.Proxy;
import java.net.URI;
import java.util.Locale;
import java.util.Map;

/**
 * The proxy a webhook post goes through, from the environment as curl reads it: {@code
 * https_proxy} / {@code HTTPS_PROXY} for https, {@code http_proxy} / {@code HTTP_PROXY} for http,
 * except hosts listed in {@code no_proxy} / {@code NO_PROXY} (exact names, {@code .suffix} or
 * {@code suffix}, {@code *}). The JDK ignores these variables; servers that reach Slack only through
 * a proxy need them. Proxy credentials are not supported.
 */
final class Proxies {
    private final Map<String, String> env;

    Proxies(Map<String, String> env) {
        this.env = Map.copyOf(env);
    }

    Proxy forUri(URI uri) {
        String host = uri.getHost().toLowerCase(Locale.ROOT);
        if (bypassed(host)) {
            return Proxy.NO_PROXY;
        }
        String scheme = uri.getScheme().toLowerCase(Locale.ROOT);
        String value = get(scheme + "_proxy");
        if (value == null || value.isBlank()) {
            return Proxy.NO_PROXY;
        }
        try {
            URI p = URI.create(value.contains("://") ? value : "http://" + value);
            int port = p.getPort() > 0 ? p.getPort() : 80;
            return p.getHost() == null
                    ? Proxy.NO_PROXY
                    : new Proxy(Proxy.Type.HTTP, InetSocketAddress.createUnresolved(p.getHost(), port));
        } catch (IllegalArgumentException e) {
            return Proxy.NO_PROXY;
        }
    }

    private boolean bypassed(String host) {
        if (host.equals("localhost") || host.equals("127.0.0.1") || host.equals("::1") || host.equals("[::1]")) {
            return true;
        }
        String list = get("no_proxy");
        if (list == null) {
            return false;
        }
        for (String entry : list.split(",")) {
            String e = entry.trim().toLowerCase(Locale.ROOT);
            if (e.isEmpty()) {
                continue;
            }
            if (e.equals("*")) {
                return true;
            }
            String suffix = e.startsWith(".") ? e : "." + e;
            if (host.equals(e.startsWith(".") ? e.substring(1) : e) || host.endsWith(suffix)) {
                return true;
            }
        }
        return false;
    }

    private String get(String lower) {
        String v = env.get(lower);
        return v != null ? v : env.get(lower.toUpperCase(Locale.ROOT));
    }
}
