package dev.lifeline.backup;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A snapshot manifest (format in docs/repository-format.md): a JSON document whose summary
 * fields come before {@code files}, so listing snapshots reads only the head of each.
 */
record Manifest(
        String id, Instant time, String host, String parent, Map<String, String> sources, List<FileEntry> files) {
    static final String FORMAT = "lifeline-snapshot/1";
    private static final JsonFactory JSON = new JsonFactory();

    Manifest {
        sources = Map.copyOf(sources);
        files = List.copyOf(files);
    }

    long bytes() {
        long b = 0;
        for (FileEntry f : files) {
            b += f.size();
        }
        return b;
    }

    Snapshot summary() {
        return new Snapshot(id, time, files.size(), bytes(), host, parent);
    }

    byte[] encode() {
        ByteArrayOutputStream out = new ByteArrayOutputStream(256 + files.size() * 160);
        try (JsonGenerator g = JSON.createGenerator(out, JsonEncoding.UTF8)) {
            g.writeStartObject();
            g.writeStringField("format", FORMAT);
            g.writeStringField("id", id);
            g.writeStringField("time", time.toString());
            g.writeStringField("host", host);
            g.writeStringField("parent", parent);
            g.writeNumberField("count", files.size());
            g.writeNumberField("bytes", bytes());
            String print = ListPrint.of(files);
            if (print != null) {
                g.writeStringField("list_print", print);
            }
            g.writeObjectFieldStart("sources");
            for (Map.Entry<String, String> s : new java.util.TreeMap<>(sources).entrySet()) {
                g.writeStringField(s.getKey(), s.getValue());
            }
            g.writeEndObject();
            g.writeArrayFieldStart("files");
            for (FileEntry f : files) {
                g.writeRaw('\n');
                g.writeStartObject();
                g.writeStringField("path", f.path());
                g.writeNumberField("size", f.size());
                g.writeNumberField("mtime_ns", f.mtimeNanos());
                g.writeStringField("mode", String.format("%04o", f.mode()));
                g.writeStringField("sha256", f.sha256());
                if (f.link() != null) {
                    g.writeStringField("link", f.link());
                }
                g.writeEndObject();
            }
            g.writeRaw('\n');
            g.writeEndArray();
            g.writeEndObject();
            g.writeRaw('\n');
        } catch (IOException e) {
            throw new IllegalStateException(e); // in memory: cannot happen
        }
        return out.toByteArray();
    }

    /** Reads a whole manifest; a malformed one is an IOException naming what is wrong. */
    static Manifest decode(InputStream in, String name) throws IOException {
        byte[] all = in.readAllBytes();
        Manifest fast = decodeFast(all);
        return fast != null ? fast : read(new java.io.ByteArrayInputStream(all), name, false).manifest;
    }

    static boolean isHex64(String s) {
        if (s.length() != 64) {
            return false;
        }
        for (int i = 0; i < 64; i++) {
            char c = s.charAt(i);
            if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
                return false;
            }
        }
        return true;
    }

    private static final String ENTRY_HEAD = "{\"path\":\"";

    /**
     * The manifests this class writes put one entry per line in a fixed field order; reading
     * those lines with indexOf is about twice as fast as a general JSON parser in a JVM that has
     * just started. Anything unexpected (an escape, another order) returns null: the general
     * parser then reads the whole document.
     */
    private static Manifest decodeFast(byte[] all) throws IOException {
        String text = new String(all, java.nio.charset.StandardCharsets.UTF_8);
        int filesAt = text.indexOf("\"files\":[");
        if (filesAt < 0 || text.indexOf('\\') >= 0) {
            return null;
        }
        Parsed head = read(
                new java.io.ByteArrayInputStream((text.substring(0, filesAt) + "\"files\":[]}")
                        .getBytes(java.nio.charset.StandardCharsets.UTF_8)),
                "manifest head",
                false);
        List<FileEntry> files = new ArrayList<>();
        int pos = text.indexOf('\n', filesAt) + 1;
        while (pos > 0 && pos < text.length()) {
            if (text.charAt(pos) == ',') {
                pos++; // the generator puts the separator at the start of the next line
            }
            if (!text.startsWith(ENTRY_HEAD, pos)) {
                break;
            }
            int end = text.indexOf('\n', pos);
            if (end < 0) {
                return null;
            }
            int p0 = pos + ENTRY_HEAD.length();
            int p1 = text.indexOf("\",\"size\":", p0);
            int p2 = text.indexOf(",\"mtime_ns\":", p1);
            int p3 = text.indexOf(",\"mode\":\"", p2);
            int p4 = text.indexOf("\",\"sha256\":\"", p3);
            if (p1 < 0 || p2 < 0 || p3 < 0 || p4 < 0 || p4 > end || p4 + 13 + 64 + 2 > end + 1) {
                return null;
            }
            String sha = text.substring(p4 + 12, p4 + 12 + 64);
            if (!text.startsWith("\"}", p4 + 12 + 64) || !isHex64(sha)) {
                return null;
            }
            try {
                files.add(new FileEntry(
                        text.substring(p0, p1),
                        Long.parseLong(text, p1 + 9, p2, 10),
                        Long.parseLong(text, p2 + 12, p3, 10),
                        Integer.parseInt(text, p3 + 9, p4, 8) & 07777,
                        sha));
            } catch (NumberFormatException e) {
                return null;
            }
            pos = end + 1;
        }
        if (!text.startsWith("]}", pos)) {
            return null;
        }
        Manifest h = head.manifest;
        return new Manifest(h.id(), h.time(), h.host(), h.parent(), h.sources(), files);
    }

    /** Reads only the summary fields. */
    static Snapshot decodeSummary(InputStream in, String name) throws IOException {
        return decodeHead(in, name).summary();
    }

    /** The summary and the file list's fingerprint ({@link ListPrint}; null in older manifests). */
    record Head(Snapshot summary, String listPrint) {}

    static Head decodeHead(InputStream in, String name) throws IOException {
        Parsed p = read(in, name, true);
        return new Head(
                new Snapshot(
                        p.manifest.id(), p.manifest.time(), p.count, p.bytes, p.manifest.host(), p.manifest.parent()),
                p.listPrint);
    }

    private record Parsed(Manifest manifest, long count, long bytes, String listPrint) {}

    private static Parsed read(InputStream in, String name, boolean headOnly) throws IOException {
        String id = null;
        String host = "";
        String parent = null;
        Instant time = null;
        long count = -1;
        long bytes = 0;
        String listPrint = null;
        Map<String, String> sources = new java.util.HashMap<>();
        List<FileEntry> files = new ArrayList<>();
        try (JsonParser p = JSON.createParser(in)) {
            expect(p.nextToken() == JsonToken.START_OBJECT, name, "not a JSON object");
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                p.nextToken();
                switch (field) {
                    case "format" -> expect(FORMAT.equals(p.getText()), name, "unknown format '" + p.getText() + "'");
                    case "id" -> id = p.getText();
                    case "time" -> time = Instant.parse(p.getText());
                    case "host" -> host = p.getText();
                    case "parent" -> parent = p.currentToken() == JsonToken.VALUE_NULL ? null : p.getText();
                    case "count" -> count = p.getLongValue();
                    case "bytes" -> bytes = p.getLongValue();
                    case "list_print" -> listPrint = p.getText();
                    case "sources" -> {
                        while (p.nextToken() == JsonToken.FIELD_NAME) {
                            String k = p.currentName();
                            p.nextToken();
                            sources.put(k, p.getText());
                        }
                    }
                    case "files" -> {
                        if (headOnly) {
                            expect(id != null && time != null && count >= 0, name, "summary fields missing");
                            return new Parsed(
                                    new Manifest(id, time, host, parent, sources, List.of()), count, bytes, listPrint);
                        }
                        expect(p.currentToken() == JsonToken.START_ARRAY, name, "'files' is not a list");
                        while (p.nextToken() == JsonToken.START_OBJECT) {
                            files.add(readEntry(p, name));
                        }
                    }
                    default -> p.skipChildren();
                }
            }
        } catch (RuntimeException e) {
            throw new IOException(name + ": malformed manifest: " + e.getMessage(), e);
        }
        expect(id != null && time != null, name, "id or time missing");
        Manifest m = new Manifest(id, time, host, parent, sources, files);
        return new Parsed(m, files.size(), m.bytes(), listPrint);
    }

    private static FileEntry readEntry(JsonParser p, String name) throws IOException {
        String path = null;
        String sha = null;
        long size = -1;
        long mtime = 0;
        int mode = 0644;
        String link = null;
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String f = p.currentName();
            p.nextToken();
            switch (f) {
                case "path" -> path = p.getText();
                case "size" -> size = p.getLongValue();
                case "mtime_ns" -> mtime = p.getLongValue();
                case "mode" -> mode = Integer.parseInt(p.getText(), 8);
                case "sha256" -> sha = p.getText();
                case "link" -> link = p.getText();
                default -> p.skipChildren();
            }
        }
        expect(path != null && size >= 0, name, "an entry lacks path or size");
        expect(sha != null && isHex64(sha), name, "entry " + path + " has no valid sha256");
        return new FileEntry(path, size, mtime, mode & 07777, sha, link);
    }

    private static void expect(boolean ok, String name, String problem) throws IOException {
        if (!ok) {
            throw new IOException(name + ": malformed manifest: " + problem);
        }
    }
}
