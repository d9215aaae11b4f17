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
        return read(in, name, false).manifest;
    }

    /** Reads only the summary fields. */
    static Snapshot decodeSummary(InputStream in, String name) throws IOException {
        Parsed p = read(in, name, true);
        return new Snapshot(
                p.manifest.id(), p.manifest.time(), p.count, p.bytes, p.manifest.host(), p.manifest.parent());
    }

    private record Parsed(Manifest manifest, long count, long bytes) {}

    private static Parsed read(InputStream in, String name, boolean headOnly) throws IOException {
        String id = null;
        String host = "";
        String parent = null;
        Instant time = null;
        long count = -1;
        long bytes = 0;
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
                            return new Parsed(new Manifest(id, time, host, parent, sources, List.of()), count, bytes);
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
        return new Parsed(m, files.size(), m.bytes());
    }

    private static FileEntry readEntry(JsonParser p, String name) throws IOException {
        String path = null;
        String sha = null;
        long size = -1;
        long mtime = 0;
        int mode = 0644;
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String f = p.currentName();
            p.nextToken();
            switch (f) {
                case "path" -> path = p.getText();
                case "size" -> size = p.getLongValue();
                case "mtime_ns" -> mtime = p.getLongValue();
                case "mode" -> mode = Integer.parseInt(p.getText(), 8);
                case "sha256" -> sha = p.getText();
                default -> p.skipChildren();
            }
        }
        expect(path != null && size >= 0, name, "an entry lacks path or size");
        expect(sha != null && Layout.HASH.matcher(sha).matches(), name, "entry " + path + " has no valid sha256");
        return new FileEntry(path, size, mtime, mode & 07777, sha);
    }

    private static void expect(boolean ok, String name, String problem) throws IOException {
        if (!ok) {
            throw new IOException(name + ": malformed manifest: " + problem);
        }
    }
}
