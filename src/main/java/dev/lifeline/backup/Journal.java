package dev.lifeline.backup;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * Files stored between snapshots (by the watcher or a reconciling scan), one JSON line each,
 * appended and fsynced. Prune treats them as referenced; the next snapshot absorbs them and
 * empties the journal. A torn last line from a kill -9 is ignored.
 */
final class Journal {
    /** Loaded on first use: most runs have no journal, and databind costs start-up time. */
    private static final class Json {
        static final ObjectMapper MAPPER = new ObjectMapper();
    }

    private final Path file;

    Journal(Layout layout) {
        this.file = layout.journal().resolve("pending.jsonl");
    }

    void append(List<FileEntry> entries) throws IOException {
        if (entries.isEmpty()) {
            return;
        }
        StringBuilder sb = new StringBuilder();
        for (FileEntry e : entries) {
            sb.append(Json.MAPPER.writeValueAsString(e)).append('\n');
        }
        boolean fresh = !Files.exists(file);
        Files.createDirectories(file.getParent());
        try (FileChannel ch = FileChannel.open(
                file, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND)) {
            ByteBuffer b = ByteBuffer.wrap(sb.toString().getBytes(StandardCharsets.UTF_8));
            while (b.hasRemaining()) {
                ch.write(b);
            }
            ch.force(true);
        }
        if (fresh) {
            Durable.fsyncDir(file.getParent());
        }
    }

    List<FileEntry> read() throws IOException {
        if (!Files.exists(file)) {
            return List.of();
        }
        List<FileEntry> out = new ArrayList<>();
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            if (line.isBlank()) {
                continue;
            }
            try {
                FileEntry e = Json.MAPPER.readValue(line, FileEntry.class);
                if (e.path() != null
                        && e.sha256() != null
                        && Layout.HASH.matcher(e.sha256()).matches()) {
                    out.add(e);
                }
            } catch (IOException torn) {
                // the last line of a writer killed mid-append
            }
        }
        return out;
    }

    /** When the last file was appended; null without a journal. */
    java.time.Instant modified() {
        try {
            return Files.getLastModifiedTime(file).toInstant();
        } catch (IOException e) {
            return null;
        }
    }

    void clear() throws IOException {
        if (Files.deleteIfExists(file)) {
            Durable.fsyncDir(file.getParent());
        }
    }
}
