package dev.lifeline.daemon;

import dev.lifeline.core.Home;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * A private copy of the running jar for long-lived processes (the daemon, the demo app). A JVM
 * loads classes lazily from its jar; rebuilding or upgrading {@code target/lifeline.jar} under a
 * running daemon would make its next class load fail. Copies are named by size and mtime, so an
 * upgrade gets a new copy and the running daemon keeps its own.
 */
public final class StableJar {
    private StableJar() {}

    /** The class path to start a long-lived JVM with: a stable copy of our jar, or the class path as is. */
    public static String classPath(Home home) {
        String cp = System.getProperty("java.class.path");
        Path jar = Path.of(cp);
        if (cp.contains(java.io.File.pathSeparator) || !cp.endsWith(".jar") || !Files.isRegularFile(jar)) {
            return cp; // tests and IDEs run from classes folders
        }
        try {
            Path lib = home.root().resolve("lib");
            Files.createDirectories(lib);
            Path copy = lib.resolve("lifeline-" + Files.size(jar) + "-"
                    + Files.getLastModifiedTime(jar).toMillis() + ".jar");
            if (!Files.exists(copy)) {
                Path tmp = lib.resolve(copy.getFileName() + ".tmp");
                Files.copy(jar, tmp, StandardCopyOption.REPLACE_EXISTING);
                Files.move(tmp, copy, StandardCopyOption.ATOMIC_MOVE);
            }
            return copy.toString();
        } catch (IOException e) {
            return cp;
        }
    }
}
