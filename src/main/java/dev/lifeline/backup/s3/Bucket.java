package dev.lifeline.backup.s3;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;

/**
 * The few object-storage operations the vault's mirror needs. Every failure is an IOException
 * whose message never carries credentials; a missing key is a {@link java.nio.file.NoSuchFileException}.
 */
public interface Bucket extends AutoCloseable {
    /** Paces uploads: called with the size of each chunk of a request body as it is sent. */
    @FunctionalInterface
    interface Throttle {
        Throttle NONE = bytes -> {};

        void acquire(long bytes) throws InterruptedException;
    }

    /** Every key under {@code prefix}. */
    default Set<String> list(String prefix) throws IOException {
        return sizes(prefix).keySet();
    }

    /** Every key under {@code prefix} with its size in bytes. */
    Map<String, Long> sizes(String prefix) throws IOException;

    InputStream open(String key) throws IOException;

    /** Uploads a file, multipart when it is large. */
    void put(String key, Path file) throws IOException;

    void put(String key, byte[] data) throws IOException;

    /** Deletes a key; deleting a key that is not there is success. */
    void delete(String key) throws IOException;

    String describe();

    @Override
    void close();
}
