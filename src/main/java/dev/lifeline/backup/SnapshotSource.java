package dev.lifeline.backup;

import java.io.IOException;
import java.io.InputStream;
import java.util.List;

/** Where restore reads from: the local repository or the remote mirror. */
interface SnapshotSource {
    List<Snapshot> snapshots() throws IOException;

    Manifest manifest(String id) throws IOException;

    /** The object's plain content; its SHA-256 is checked by the reader. */
    InputStream openObject(String sha256) throws IOException;

    /** The same as a channel (a local repository gives the file's own channel: fewer copies). */
    default java.nio.channels.ReadableByteChannel openObjectChannel(String sha256) throws IOException {
        return java.nio.channels.Channels.newChannel(openObject(sha256));
    }

    String describe();
}
