package dev.lifeline.cli;

import dev.lifeline.core.LifelineException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What {@code lifeline init} finds in an app's folder: which app it is, how to start it, and the
 * port it listens on when started that way, read from the code.
 *
 * <p>The port is taken, in this order, from: a literal {@code server_port=7861} (Gradio's
 * {@code launch(...)}); the {@code default=} of an argparse {@code --port} / {@code --server-port}
 * option; the default of a port variable read from the environment
 * ({@code os.environ.get("GRADIO_SERVER_PORT", 7862)}, {@code os.getenv("PORT", "8000")}); a
 * literal {@code port=8000} argument ({@code uvicorn.run}, Flask's {@code app.run}); a
 * {@code --port 7860} in the code's text. Comment lines are skipped. Otherwise 7860, Gradio's
 * default.
 */
final class AppDetection {
    static final int DEFAULT_PORT = 7860;

    private static final Pattern LAUNCH_PORT = Pattern.compile("\\bserver_port\\s*=\\s*(\\d{1,5})\\b");
    private static final Pattern ARGPARSE_PORT = Pattern.compile(
            "add_argument\\(\\s*(?:[\"']-\\w[\"']\\s*,\\s*)?[\"'](--(?:server[-_]?)?port)[\"']([^)]*)\\)");
    private static final Pattern DEFAULT_ARG = Pattern.compile("\\bdefault\\s*=\\s*[\"']?(\\d{1,5})\\b");
    private static final Pattern ENV_PORT = Pattern.compile(
            "\\b(?:environ\\.get|getenv|environ\\.setdefault)\\(\\s*[\"']([A-Za-z_]*PORT)[\"']\\s*,\\s*[\"']?(\\d{1,5})\\b");
    private static final Pattern CALL_PORT = Pattern.compile("[(,]\\s*port\\s*=\\s*(\\d{1,5})\\b");
    private static final Pattern FLAG_PORT = Pattern.compile("--(?:server-)?port[ =]+(\\d{1,5})\\b");
    private static final Pattern COMMENT_LINE = Pattern.compile("(?m)^\\s*#.*$");

    static final List<String> SCRIPTS = List.of("app.py", "webui.py", "web_app.py", "demo.py", "main.py", "server.py");

    private AppDetection() {}

    /**
     * What was found.
     *
     * @param portSource where the port came from, for the user ("the default of --port in app.py")
     * @param envVar the environment variable the app reads its port from, if any
     */
    record Detected(
            String kind,
            String name,
            String command,
            int port,
            String portSource,
            String outputs,
            Optional<String> envVar) {}

    /** A port read from the code and where it was read. */
    record Port(int port, String source, Optional<String> envVar) {}

    static Detected detect(Path dir) throws IOException {
        if (Files.exists(dir.resolve("main.py")) && Files.isDirectory(dir.resolve("comfy"))) {
            return new Detected(
                    "ComfyUI app",
                    "comfyui",
                    "python main.py --listen 127.0.0.1 --port 8188",
                    8188,
                    "the --port in the command",
                    "./output",
                    Optional.empty());
        }
        if (Files.exists(dir.resolve("launch.py")) && Files.exists(dir.resolve("webui.py"))) {
            return new Detected(
                    "Stable Diffusion WebUI",
                    "webui",
                    "python launch.py --port 7860",
                    7860,
                    "the --port in the command",
                    "./outputs",
                    Optional.empty());
        }
        for (String name : SCRIPTS) {
            Path f = dir.resolve(name);
            if (!Files.isRegularFile(f)) {
                continue;
            }
            String code = Files.readString(f);
            boolean gradio = code.contains("import gradio") || code.contains("from gradio");
            Optional<Port> found = port(code, name);
            Port p = found.orElse(new Port(
                    DEFAULT_PORT,
                    "no port found in " + name + (gradio ? "; Gradio's default" : "; assumed, check it"),
                    Optional.empty()));
            // Gradio reads GRADIO_SERVER_PORT when the code does not pass a port itself.
            Optional<String> env = p.envVar().or(() -> gradio ? Optional.of("GRADIO_SERVER_PORT") : Optional.empty());
            String service = gradio ? "webui" : name.replace(".py", "").replace('_', '-');
            return new Detected(
                    gradio ? "Gradio app" : "Python app", service, "python " + name, p.port(), p.source(), null, env);
        }
        throw new LifelineException(
                "found no app in " + dir + " (looked for " + String.join(", ", SCRIPTS) + ", launch.py)",
                "run 'lifeline init' in the app's folder, or write lifeline.yaml by hand (see README.md)");
    }

    /** The port {@code code} (the file {@code file}) listens on when run without arguments. */
    static Optional<Port> port(String code, String file) {
        String c = COMMENT_LINE.matcher(code).replaceAll("");
        Matcher m = LAUNCH_PORT.matcher(c);
        while (m.find()) {
            if (valid(m.group(1))) {
                return Optional.of(new Port(num(m.group(1)), "server_port= in " + file, Optional.empty()));
            }
        }
        m = ARGPARSE_PORT.matcher(c);
        while (m.find()) {
            Matcher d = DEFAULT_ARG.matcher(m.group(2));
            if (d.find() && valid(d.group(1))) {
                return Optional.of(
                        new Port(num(d.group(1)), "the default of " + m.group(1) + " in " + file, Optional.empty()));
            }
        }
        m = ENV_PORT.matcher(c);
        while (m.find()) {
            if (valid(m.group(2))) {
                return Optional.of(new Port(
                        num(m.group(2)), "the default of $" + m.group(1) + " in " + file, Optional.of(m.group(1))));
            }
        }
        for (Pattern p : List.of(CALL_PORT, FLAG_PORT)) {
            m = p.matcher(c);
            while (m.find()) {
                if (valid(m.group(1))) {
                    return Optional.of(new Port(
                            num(m.group(1)), (p == CALL_PORT ? "port=" : "--port") + " in " + file, Optional.empty()));
                }
            }
        }
        return Optional.empty();
    }

    private static boolean valid(String digits) {
        int p = num(digits);
        return p >= 1 && p <= 65535;
    }

    private static int num(String digits) {
        return Integer.parseInt(digits);
    }
}
