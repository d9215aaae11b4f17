package dev.lifeline.cli;

import dev.lifeline.core.LifelineException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Runs this same command line again in a JVM started with other options, and passes on its exit status. */
final class FullJit {
    private FullJit() {}

    static int rerun(String javaOpts, List<String> args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(ProcessHandle.current().info().command().orElse("java"));
        for (String o : javaOpts.trim().split("\\s+")) {
            cmd.add(o);
        }
        cmd.add("-jar");
        cmd.add(jar().toString());
        cmd.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(cmd).inheritIO();
        pb.environment().remove("LIFELINE_HASH_JAVA_OPTS"); // the second run hashes whatever there is
        Process p;
        try {
            p = pb.start();
        } catch (IOException e) {
            throw new LifelineException(
                    "could not start " + cmd.get(0) + " to hash the new files: " + e.getMessage(),
                    "run it with LIFELINE_JAVA_OPTS=-XX:+UseSerialGC to skip the hand-over");
        }
        try {
            return p.waitFor();
        } catch (InterruptedException e) {
            p.destroy();
            Thread.currentThread().interrupt();
            return 130;
        }
    }

    private static Path jar() {
        try {
            return Path.of(FullJit.class
                    .getProtectionDomain()
                    .getCodeSource()
                    .getLocation()
                    .toURI());
        } catch (java.net.URISyntaxException | RuntimeException e) {
            throw new LifelineException("cannot find Lifeline's own jar: " + e.getMessage(), null);
        }
    }
}
