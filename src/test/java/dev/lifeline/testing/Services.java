package dev.lifeline.testing;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.List;

/** YAML snippets and commands for services used by tests: real shell commands and the demo app. */
public final class Services {
    private Services() {}

    public static int freePort() {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The demo model app as a YAML flow list, loading for {@code loadSeconds}. */
    public static String demoCommand(int port, double loadSeconds, Path outputs) {
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> argv = List.of(
                java,
                "-Xmx48m",
                "-XX:+UseSerialGC",
                "-XX:TieredStopAtLevel=1",
                "-Xshare:auto",
                "-cp",
                System.getProperty("java.class.path"),
                "dev.lifeline.demo.DemoApp",
                "--port",
                Integer.toString(port),
                "--load-seconds",
                Double.toString(loadSeconds),
                "--outputs",
                outputs.toString());
        StringBuilder b = new StringBuilder("[");
        for (int i = 0; i < argv.size(); i++) {
            b.append(i == 0 ? "" : ", ")
                    .append('"')
                    .append(argv.get(i).replace("\\", "\\\\").replace("\"", "\\\""))
                    .append('"');
        }
        return b.append(']').toString();
    }

    /** A shell command as a YAML double-quoted string. */
    public static String sh(String script) {
        return "\"" + script.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }
}
