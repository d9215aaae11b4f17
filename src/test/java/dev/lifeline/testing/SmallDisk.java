package dev.lifeline.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * A real, small file system for "the disk is full" tests: a tmpfs of the given size mounted on a
 * fresh folder (the test is skipped where mounting needs root and we are not), lazily unmounted on
 * {@link #close}.
 */
public final class SmallDisk implements AutoCloseable {
    public final Path root;

    private SmallDisk(Path root) {
        this.root = root;
    }

    /** A tmpfs of {@code size} (as {@code mount -o size=}: {@code 1m}) on the new folder {@code dir}. */
    public static SmallDisk mount(Path dir, String size) throws IOException, InterruptedException {
        Path root = Files.createDirectories(dir);
        Assumptions.assumeTrue(
                run("mount", "-t", "tmpfs", "-o", "size=" + size, "tmpfs", root.toString()) == 0,
                "needs root to mount a tmpfs");
        return new SmallDisk(root);
    }

    public Path resolve(String name) {
        return root.resolve(name);
    }

    @Override
    public void close() throws IOException {
        try {
            run("umount", "-l", root.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static int run(String... cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            return -1;
        }
        return p.exitValue();
    }
}
