package dev.lifeline.backup.s3;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.Set;

/**
 * The few object-storage operations the vault's mirror needs. Every failure is an IOException
 * whose message never carries credentials; a missing key is a {@link java.nio.file.NoSuchFileException}.
 */
public interface Bucket extends AutoCloseable {
    /** Every key under {@code prefix}. */
    Set<String> list(String prefix) throws IOException;

    InputStream open(String key) throws IOException;

    /** Uploads a file, multipart when it is large. */
    void put(String key, Path file) throws IOException;

    void put(String key, byte[] data) throws IOException;

    String describe();

    @Override
    void close();
}
