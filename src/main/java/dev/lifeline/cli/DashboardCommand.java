package dev.lifeline.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lifeline.core.Home;
import dev.lifeline.core.LifelineException;
import dev.lifeline.core.PrivateFiles;
import dev.lifeline.daemon.DaemonClient;
import dev.lifeline.process.Exec;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code lifeline dashboard [--url] [--open]}: the daemon's page, with its token. */
@Command(
        name = "dashboard",
        description = "Print the URL of the daemon's dashboard (services, logs, tunnels, backups, doctor, outputs) with"
                + " its token; --open opens it in a browser where a desktop is present.")
final class DashboardCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--url", description = "Print only the URL (with ?token=), for scripts.")
    boolean urlOnly;

    @Option(names = "--open", description = "Open the page in the desktop's browser (xdg-open, or open on macOS).")
    boolean open;

    @Override
    public Integer call() throws IOException, InterruptedException {
        Home home = Context.home();
        DaemonClient client = DaemonClient.of(home);
        if (!client.isRunning()) {
            if (!client.hasState()) {
                throw new LifelineException(
                        "the daemon is not running, so no dashboard is served", "run 'lifeline up' first");
            }
            client.ensureRunning();
        }
        JsonNode d = client.call("dashboard", Map.of());
        if (!d.path("listening").asBoolean()) {
            String why = d.path("enabled").asBoolean()
                    ? d.path("problem").asText("it could not start; see the daemon log")
                    : "the applied projects turn it off (dashboard: false), or none is applied";
            throw new LifelineException(
                    "the dashboard is not listening: " + why,
                    d.path("enabled").asBoolean()
                            ? "choose a free port with dashboard: { listen: 127.0.0.1:PORT } and run 'lifeline up'"
                            : "remove 'dashboard: false' from lifeline.yaml and run 'lifeline up'");
        }
        Path tokenFile = Path.of(d.path("tokenFile").asText());
        PrivateFiles.requireRegular(tokenFile); // never read through a link
        String token = Files.readString(tokenFile, StandardCharsets.US_ASCII).trim();
        String url = d.path("url").asText() + "?token=" + token;
        PrintWriter out = spec.commandLine().getOut();
        if (urlOnly) {
            out.println(url);
            out.flush();
            return 0;
        }
        out.println("dashboard: " + url);
        if (!open) {
            out.println("(the token is in " + tokenFile + "; on a laptop, add 'dashboard: true' to the tunnel)");
            out.flush();
            return 0;
        }
        out.flush();
        return openBrowser(home, url, out);
    }

    /** Opens a private redirect file rather than the URL, so the token never shows in another process's argv. */
    private int openBrowser(Home home, String url, PrintWriter out) throws IOException, InterruptedException {
        String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        boolean mac = os.contains("mac");
        boolean desktop = mac || System.getenv("DISPLAY") != null || System.getenv("WAYLAND_DISPLAY") != null;
        if (!desktop) {
            out.println("no desktop here (DISPLAY and WAYLAND_DISPLAY are not set): open the URL above in a browser;"
                    + " from a laptop, add 'dashboard: true' to the tunnel and open it there");
            out.flush();
            return 0;
        }
        Path redirect = home.root().resolve("dashboard-open.html");
        String escaped = url.replace("&", "&amp;").replace("\"", "&quot;");
        PrivateFiles.writePrivate(
                redirect,
                "<!doctype html><meta charset=utf-8><meta http-equiv=\"refresh\" content=\"0;url=" + escaped
                        + "\"><a href=\"" + escaped + "\">Lifeline dashboard</a>\n");
        Exec.Result r = Exec.of(mac ? "open" : "xdg-open", redirect.toUri().toString())
                .timeout(Duration.ofSeconds(10))
                .run();
        if (!r.ok()) {
            throw new LifelineException(
                    "could not open a browser: " + r.describe(), "open the URL above in a browser yourself");
        }
        out.println("opened in the browser");
        out.flush();
        return 0;
    }
}
