package dev.lifeline.boot;

import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** How to start this very Lifeline again, for a unit's ExecStart. */
public final class Launch {
    private Launch() {}

    /**
     * The command line that runs {@code lifeline daemon}: the {@code ./lifeline} launcher when
     * {@code LIFELINE_LAUNCHER} names it, else this JVM's {@code java -jar <the jar>}, else (run
     * from classes, as in development) {@code java -cp <classpath> dev.lifeline.cli.Main}.
     */
    public static List<String> daemonCommand() {
        String launcher = System.getenv("LIFELINE_LAUNCHER");
        if (launcher != null && !launcher.isBlank() && Files.isExecutable(Path.of(launcher))) {
            return List.of(Path.of(launcher).toAbsolutePath().normalize().toString(), "daemon");
        }
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> out = new ArrayList<>(List.of(java, "-XX:+UseSerialGC", "-Xms4m"));
        Path self = codeSource();
        if (self != null && self.toString().endsWith(".jar")) {
            out.addAll(List.of("-jar", self.toString()));
        } else {
            out.addAll(List.of("-cp", System.getProperty("java.class.path"), "dev.lifeline.cli.Main"));
        }
        out.add("daemon");
        return out;
    }

    private static Path codeSource() {
        try {
            var cs = Launch.class.getProtectionDomain().getCodeSource();
            return cs == null ? null : Path.of(cs.getLocation().toURI()).toAbsolutePath();
        } catch (URISyntaxException | RuntimeException e) {
            return null;
        }
    }
}
