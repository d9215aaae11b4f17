package dev.lifeline.dashboard;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpExchange;
import dev.lifeline.core.Json;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Locale;
import java.util.zip.GZIPOutputStream;

/**
 * How the server writes an answer: the headers every response carries, JSON and {@code {error,
 * hint}} bodies, bytes (gzipped for a client that takes it, when over 1 KiB), the page's files
 * (ETag, {@code 304}, the page's Content-Security-Policy) and stored objects (their image type from
 * their first bytes, sandboxed, never through a link). A HEAD request gets the same status and
 * headers, {@code Content-Length} included, and no body.
 */
final class Responses {
    static final String PAGE_POLICY =
            "default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline';"
                    + " frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

    private Responses() {}

    /** The headers of every response. */
    static void secure(Headers h) {
        h.set("X-Content-Type-Options", "nosniff");
        h.set("X-Frame-Options", "DENY");
        h.set("Referrer-Policy", "no-referrer");
        h.set("Cache-Control", "no-store");
    }

    static void error(HttpExchange ex, int status, String error, String hint, String allow) throws IOException {
        ObjectNode n = Json.object().put("error", error);
        if (hint != null) {
            n.put("hint", hint);
        }
        if (allow != null) {
            ex.getResponseHeaders().set("Allow", allow);
        }
        json(ex, status, n);
    }

    static void json(HttpExchange ex, int status, JsonNode n) throws IOException {
        send(ex, status, "application/json; charset=utf-8", Json.write(n).getBytes(StandardCharsets.UTF_8), true);
    }

    static void send(HttpExchange ex, int status, String type, byte[] body, boolean mayGzip) throws IOException {
        Headers h = ex.getResponseHeaders();
        h.set("Content-Type", type);
        String ae = ex.getRequestHeaders().getFirst("Accept-Encoding");
        if (mayGzip
                && body.length > 1024
                && ae != null
                && ae.toLowerCase(Locale.ROOT).contains("gzip")) {
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            try (GZIPOutputStream g = new GZIPOutputStream(b)) {
                g.write(body);
            }
            body = b.toByteArray();
            h.set("Content-Encoding", "gzip");
            h.add("Vary", "Accept-Encoding");
        }
        if (headersOnly(ex, status, body.length)) {
            return;
        }
        ex.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(body);
        }
    }

    /**
     * For a HEAD request: sends the headers with the {@code Content-Length} a GET would have and
     * ends the exchange (the JDK's server sends no length of its own for HEAD); false for any other.
     */
    static boolean headersOnly(HttpExchange ex, int status, long length) throws IOException {
        if (!ex.getRequestMethod().equals("HEAD")) {
            return false;
        }
        if (length > 0) {
            ex.getResponseHeaders().set("Content-Length", Long.toString(length));
        }
        ex.sendResponseHeaders(status, -1);
        ex.close();
        return true;
    }

    /** One of the page's files: {@code 304} when the client has it, its gzip form when the client takes it. */
    static void asset(HttpExchange ex, Assets.Asset a, String name) throws IOException {
        Headers h = ex.getResponseHeaders();
        h.set("ETag", a.etag());
        h.set("Cache-Control", "private, no-cache");
        if (name.endsWith(".html")) {
            h.set("Content-Security-Policy", PAGE_POLICY);
        }
        h.add("Vary", "Accept-Encoding");
        String inm = ex.getRequestHeaders().getFirst("If-None-Match");
        if (a.etag().equals(inm)) {
            ex.sendResponseHeaders(304, -1);
            ex.close();
            return;
        }
        String ae = ex.getRequestHeaders().getFirst("Accept-Encoding");
        boolean gzip =
                a.gzipped() != null && ae != null && ae.toLowerCase(Locale.ROOT).contains("gzip");
        if (gzip) {
            h.set("Content-Encoding", "gzip");
        }
        send(ex, 200, a.type(), gzip ? a.gzipped() : a.bytes(), false);
    }

    /** A stored object's bytes: content-addressed, so cached for a day; sandboxed; its type sniffed. */
    static void object(HttpExchange ex, Path f, String sha) throws IOException {
        long size = Files.size(f);
        Headers h = ex.getResponseHeaders();
        h.set("Content-Type", "application/octet-stream");
        h.set("Content-Security-Policy", "sandbox");
        h.set("Cache-Control", "private, max-age=86400, immutable"); // content-addressed: never changes
        h.set("Content-Disposition", "inline; filename=\"" + sha.substring(0, 12) + "\"");
        String type = sniff(f);
        if (type != null) {
            h.set("Content-Type", type);
        }
        if (headersOnly(ex, 200, size)) {
            return;
        }
        ex.sendResponseHeaders(200, size == 0 ? -1 : size);
        try (InputStream in = Files.newInputStream(f, LinkOption.NOFOLLOW_LINKS);
                OutputStream out = ex.getResponseBody()) {
            in.transferTo(out);
        }
    }

    /** An image type from the first bytes, or null. */
    static String sniff(Path f) {
        try (InputStream in = Files.newInputStream(f, LinkOption.NOFOLLOW_LINKS)) {
            byte[] b = in.readNBytes(12);
            if (b.length >= 8 && (b[0] & 0xff) == 0x89 && b[1] == 'P' && b[2] == 'N' && b[3] == 'G') {
                return "image/png";
            }
            if (b.length >= 3 && (b[0] & 0xff) == 0xff && (b[1] & 0xff) == 0xd8) {
                return "image/jpeg";
            }
            if (b.length >= 12 && b[0] == 'R' && b[1] == 'I' && b[8] == 'W' && b[9] == 'E' && b[10] == 'B') {
                return "image/webp";
            }
            if (b.length >= 4 && b[0] == 'G' && b[1] == 'I' && b[2] == 'F') {
                return "image/gif";
            }
        } catch (IOException e) {
            // unknown
        }
        return null;
    }
}
