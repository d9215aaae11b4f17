package dev.lifeline.dashboard;

import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpExchange;
import dev.lifeline.core.Json;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Who may ask: the token ({@link DashboardToken}) as {@code Authorization: Bearer}, as {@code
 * ?token=} or as the {@value #COOKIE} cookie, compared in constant time; the hand-off of a token
 * in the URL to an HttpOnly, SameSite=Strict cookie (303 to the URL without it); and what a POST
 * must carry besides: {@code X-Lifeline: 1}, an {@code Origin} (when sent) equal to {@code Host},
 * and a body of at most {@value #MAX_BODY} bytes that is empty or a JSON object.
 */
final class Access {
    static final int MAX_BODY = 64 << 10;
    static final String COOKIE = "lifeline_token";
    private static final Pattern COOKIE_TOKEN = Pattern.compile("(?:^|;\\s*)" + COOKIE + "=([0-9a-f]{64})(?:;|$)");
    /** Bytes of a refused body read and thrown away, so that the client reads the 413 instead of a reset. */
    private static final int DRAIN = 1 << 20;

    private final DashboardToken token;

    Access(DashboardToken token) {
        this.token = token;
    }

    /** Whether the request carries the token (a {@code ?token=} decides alone, then the header, then a cookie). */
    boolean authorized(HttpExchange ex, Map<String, String> query) {
        Headers rh = ex.getRequestHeaders();
        if (query.containsKey("token")) {
            return token.matches(query.get("token"));
        }
        String auth = rh.getFirst("Authorization");
        if (auth != null) {
            return auth.regionMatches(true, 0, "Bearer ", 0, 7)
                    && token.matches(auth.substring(7).trim());
        }
        for (String c : rh.getOrDefault("Cookie", List.of())) {
            Matcher mt = COOKIE_TOKEN.matcher(c);
            if (mt.find() && token.matches(mt.group(1))) {
                return true;
            }
        }
        return false;
    }

    /**
     * The token came in the URL (and matched): keeps it in a cookie and sends the browser to the
     * URL without it; false when there was no {@code token} parameter.
     */
    boolean handOff(HttpExchange ex, Map<String, String> query) throws IOException {
        if (!query.containsKey("token")) {
            return false;
        }
        URI uri = ex.getRequestURI();
        Headers h = ex.getResponseHeaders();
        h.add("Set-Cookie", COOKIE + "=" + token.value() + "; Path=/; HttpOnly; SameSite=Strict");
        StringBuilder clean = new StringBuilder(uri.getRawPath());
        String rest = withoutToken(uri.getRawQuery());
        if (!rest.isEmpty()) {
            clean.append('?').append(rest);
        }
        h.set("Location", clean.toString());
        ex.sendResponseHeaders(303, -1);
        ex.close();
        return true;
    }

    /** Refuses a POST without the CSRF header, from a foreign Origin, or with a large or non-object body. */
    static void checkPost(HttpExchange ex) throws IOException {
        Headers rh = ex.getRequestHeaders();
        if (!"1".equals(rh.getFirst("X-Lifeline"))) {
            throw new HttpError(403, "a POST needs the header X-Lifeline: 1", "the dashboard's page sends it");
        }
        String origin = rh.getFirst("Origin");
        if (origin != null) {
            String host = rh.getFirst("Host");
            String authority;
            try {
                URI o = URI.create(origin);
                authority = o.getRawAuthority();
            } catch (IllegalArgumentException e) {
                authority = null;
            }
            if (host == null || authority == null || !authority.equalsIgnoreCase(host)) {
                throw new HttpError(403, "a POST from another origin is refused", null);
            }
        }
        String len = rh.getFirst("Content-Length");
        if (len != null) {
            try {
                if (Long.parseLong(len.trim()) > MAX_BODY) {
                    drain(ex);
                    throw new HttpError(413, "the body is over 64 KiB", "send {}");
                }
            } catch (NumberFormatException e) {
                throw new HttpError(400, "bad Content-Length", null);
            }
        }
        byte[] body;
        try (InputStream in = ex.getRequestBody()) {
            body = in.readNBytes(MAX_BODY + 1);
        }
        if (body.length > MAX_BODY) {
            drain(ex);
            throw new HttpError(413, "the body is over 64 KiB", "send {}");
        }
        String text = new String(body, StandardCharsets.UTF_8).trim();
        if (!text.isEmpty()) {
            try {
                if (!Json.parse(text).isObject()) {
                    throw new HttpError(400, "the body must be a JSON object", "send {}");
                }
            } catch (RuntimeException e) {
                if (e instanceof HttpError he) {
                    throw he;
                }
                throw new HttpError(400, "the body is not JSON", "send {}");
            }
        }
    }

    /**
     * Reads and drops what is left of a body that is too large, up to {@link #DRAIN} (within the
     * request's read deadline): a socket closed with unread bytes is reset, and the client would
     * see a broken connection instead of the 413. Past that, the connection is closed after the
     * answer.
     */
    private static void drain(HttpExchange ex) {
        byte[] sink = new byte[8192];
        long left = DRAIN;
        try {
            InputStream in = ex.getRequestBody();
            while (left > 0) {
                int n = in.read(sink, 0, (int) Math.min(sink.length, left));
                if (n < 0) {
                    return;
                }
                left -= n;
            }
        } catch (IOException e) {
            // the client went: nothing to answer
        }
        ex.getResponseHeaders().set("Connection", "close");
    }

    private static String withoutToken(String raw) {
        if (raw == null) {
            return "";
        }
        List<String> keep = new ArrayList<>();
        for (String kv : raw.split("&")) {
            if (!kv.equals("token") && !kv.startsWith("token=")) {
                keep.add(kv);
            }
        }
        return String.join("&", keep);
    }
}
