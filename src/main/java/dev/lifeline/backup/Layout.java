package dev.lifeline.backup;

import java.nio.file.Path;
import java.util.regex.Pattern;

/**
 * Where things live inside a repository folder (see docs/repository-format.md):
 * {@code objects/ab/<sha256>}, {@code snapshots/<id>.json}, {@code journal/}, {@code tmp/},
 * {@code lock}, {@code remote.lock}, {@code vault.json}.
 */
record Layout(Path root) {
    static final Pattern HASH = Pattern.compile("[0-9a-f]{64}");
    static final Pattern SNAPSHOT_ID = Pattern.compile("\\d{8}-\\d{6}-[0-9a-f]{6}");

    Path objects() {
        return root.resolve("objects");
    }

    Path object(String sha256) {
        return objects().resolve(sha256.substring(0, 2)).resolve(sha256);
    }

    Path snapshots() {
        return root.resolve("snapshots");
    }

    Path snapshot(String id) {
        return snapshots().resolve(id + ".json");
    }

    Path journal() {
        return root.resolve("journal");
    }

    Path tmp() {
        return root.resolve("tmp");
    }

    Path lock() {
        return root.resolve("lock");
    }

    /** Keeps a push and a remote prune of this repository's mirror apart (see {@link WriterLock.Kind#REMOTE}). */
    Path remoteLock() {
        return root.resolve("remote.lock");
    }

    Path marker() {
        return root.resolve("vault.json");
    }
}
