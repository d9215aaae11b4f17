package dev.lifeline.backup.s3;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * The few object-storage operations the vault's mirror needs. Every failure is an IOException
 * whose message never carries credentials; a missing key is a {@link java.nio.file.NoSuchFileException}.
 */
public interface Bucket extends AutoCloseable {
    /** Keys per {@link #deleteAll} call that callers batch to: the most one S3 DeleteObjects may name. */
    int DELETE_BATCH = 1000;

    /** Paces uploads: called with the size of each chunk of a request body as it is sent. */
    @FunctionalInterface
    interface Throttle {
        Throttle NONE = bytes -> {};

        void acquire(long bytes) throws InterruptedException;
    }

    /**
     * What a listing says of a key.
     *
     * @param lastModified when the object was last written, as the service reports it; null when
     *     it does not say (a caller that must not touch recent objects then treats it as recent)
     */
    record Entry(long size, Instant lastModified) {}

    /** Every key under {@code prefix}. */
    default Set<String> list(String prefix) throws IOException {
        return listing(prefix).keySet();
    }

    /** Every key under {@code prefix} with its size in bytes. */
    default Map<String, Long> sizes(String prefix) throws IOException {
        Map<String, Long> out = new LinkedHashMap<>();
        listing(prefix).forEach((k, e) -> out.put(k, e.size()));
        return out;
    }

    /** Every key under {@code prefix} with its size and last-modified time, from one listing. */
    Map<String, Entry> listing(String prefix) throws IOException;

    InputStream open(String key) throws IOException;

    /** Uploads a file, multipart when it is large. */
    void put(String key, Path file) throws IOException;

    void put(String key, byte[] data) throws IOException;

    /** Deletes a key; deleting a key that is not there is success. */
    void delete(String key) throws IOException;

    /**
     * Deletes keys, as {@link #delete} does each; a service may do it in fewer requests. On a
     * failure some of the keys may already be gone.
     */
    default void deleteAll(java.util.Collection<String> keys) throws IOException {
        for (String key : keys) {
            delete(key);
        }
    }

    /**
     * Aborts the unfinished multipart uploads under {@code prefix} that started before {@code
     * before} (an interrupted upload's parts are stored, and billed, until then); returns how many.
     * A service without multipart uploads has none.
     */
    default int abortUploads(String prefix, Instant before) throws IOException {
        return 0;
    }

    String describe();

    @Override
    void close();
}
