package dev.lifeline.dashboard;

import com.sun.net.httpserver.HttpExchange;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * One request as the routes read it: its method, its path as segments and its query, with the
 * checks every route makes on them (the method, the number of segments, a number in range, a
 * service name). Every refusal is an {@link HttpError} that says what is wrong.
 *
 * @param path the segments of the path after the prefix a route consumed (the whole path at first)
 */
record Request(HttpExchange exchange, String method, List<String> path, Map<String, String> query) {
    private static final Pattern SERVICE = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,63}");

    Request {
        path = List.copyOf(path);
    }

    /** The same request with the first {@code n} segments consumed. */
    Request drop(int n) {
        return new Request(exchange, method, path.subList(n, path.size()), query);
    }

    int size() {
        return path.size();
    }

    String segment(int i) {
        return path.get(i);
    }

    /** Whether the method is HEAD: a GET's answer, headers only. */
    boolean head() {
        return method.equals("HEAD");
    }

    /** A route that reads: GET, or HEAD for the same status and headers; anything else is 405. */
    void get() {
        if (!method.equals("GET") && !head()) {
            throw new HttpError(405, method + " is not allowed here", "use GET", "GET, HEAD");
        }
    }

    /** A route that acts: POST only (its checks are {@link Access#checkPost}). */
    void post() {
        if (!method.equals("POST")) {
            throw new HttpError(405, method + " is not allowed here", "use POST", "POST");
        }
    }

    /** Exactly {@code n} segments, or 404. */
    void exact(int n) {
        if (path.size() != n) {
            throw notFound();
        }
    }

    int intParam(String name, int dflt, int min, int max) {
        String v = query.get(name);
        if (v == null) {
            return dflt;
        }
        try {
            int i = Integer.parseInt(v);
            if (i >= min && i <= max) {
                return i;
            }
        } catch (NumberFormatException e) {
            // below
        }
        throw new HttpError(400, name + " must be a number from " + min + " to " + max, null);
    }

    /** A name that can be a service's, or 404 (the name is shown printable only). */
    static String service(String name) {
        if (!SERVICE.matcher(name).matches()) {
            throw new HttpError(404, "no service '" + printable(name) + "'", "GET /api/services lists them");
        }
        return name;
    }

    static HttpError notFound() {
        return new HttpError(404, "not found", "see docs/api.md for the routes");
    }

    /** At most 80 characters of {@code s}, quoted, with anything but printable ASCII as {@code ?}. */
    static String printable(String s) {
        String t = s.length() > 80 ? s.substring(0, 80) + "…" : s;
        return "'" + t.replaceAll("[^\\x20-\\x7e]", "?") + "'";
    }

    /** The non-empty segments of a raw path. */
    static List<String> segments(String rawPath) {
        List<String> out = new ArrayList<>();
        for (String s : rawPath.split("/")) {
            if (!s.isEmpty()) {
                out.add(s);
            }
        }
        return out;
    }

    /** The query's parameters, decoded, the first of each name (at most 64 are read); 400 when not URL-encoded. */
    static Map<String, String> query(String raw) {
        Map<String, String> out = new LinkedHashMap<>();
        if (raw == null || raw.isEmpty()) {
            return out;
        }
        for (String kv : raw.split("&", 64)) {
            int eq = kv.indexOf('=');
            String k = eq < 0 ? kv : kv.substring(0, eq);
            String v = eq < 0 ? "" : kv.substring(eq + 1);
            try {
                out.putIfAbsent(
                        URLDecoder.decode(k, StandardCharsets.UTF_8), URLDecoder.decode(v, StandardCharsets.UTF_8));
            } catch (IllegalArgumentException e) {
                throw new HttpError(400, "the query is not URL-encoded", null);
            }
        }
        return out;
    }
}
