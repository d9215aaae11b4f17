package dev.lifeline.doctor;

import dev.lifeline.config.ServiceSpec;
import dev.lifeline.process.Ports;
import dev.lifeline.process.ProcessInfo;
import java.io.IOException;
import java.net.HttpURLConnection;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.time.Duration;
import java.util.Optional;

/**
 * The {@code port} check of one service: something listens on its port, that something is the
 * service (same session) and not an old copy started by hand, and it answers — an HTTP GET of
 * its ready or health path (no redirects followed; 5xx is a failure), or else a TCP connect —
 * within the probe timeout.
 */
final class PortCheck {
    private final String name;
    private final Optional<ServiceSpec> spec;
    private final Duration timeout;
    private final Optional<ProcessInfo> process;

    /** @param process the service's process, when {@link PidCheck} found it running */
    PortCheck(String name, Optional<ServiceSpec> spec, Duration timeout, Optional<ProcessInfo> process) {
        this.name = name;
        this.spec = spec;
        this.timeout = timeout;
        this.process = process;
    }

    /** Is {@code port} listening, held by the service, and answering (HTTP on its ready or health path)? */
    Check check(int port) {
        if (!Ports.isListening(port)) {
            if (process.isPresent()) {
                return Check.fail(
                        "port",
                        name,
                        "nothing listens on port " + port + " although pid "
                                + process.get().pid() + " runs: still loading the model, or it listens elsewhere;"
                                + " watch `lifeline logs " + name + " -f` and check --server-port");
            }
            return Check.fail(
                    "port",
                    name,
                    "nothing listens on port " + port + ": start " + name + " with `lifeline up " + name + "`");
        }
        Optional<ProcessInfo> owner = Ports.owner(port);
        if (owner.isPresent()
                && process.isPresent()
                && owner.get().sid() != process.get().sid()) {
            return Check.fail(
                    "port",
                    name,
                    "port " + port + " is held by pid " + owner.get().pid() + " (`"
                            + Human.shorten(owner.get().command(), 80) + "`), not by " + name
                            + ": stop that program, or change the port of " + name + " and its --server-port together");
        }
        if (owner.isPresent() && process.isEmpty()) {
            return Check.fail(
                    "port",
                    name,
                    "port " + port + " is held by pid " + owner.get().pid() + " (`"
                            + Human.shorten(owner.get().command(), 80) + "`) while " + name + " is not running under"
                            + " Lifeline: an old copy started by hand? Stop it, then `lifeline up " + name + "`");
        }
        Optional<String> path = spec.map(ServiceSpec::ready)
                .map(ServiceSpec.Ready::httpPath)
                .or(() -> spec.flatMap(ServiceSpec::health).map(ServiceSpec.Health::httpPath));
        if (path.isEmpty()) {
            return Ports.answers("127.0.0.1", port, (int) timeout.toMillis())
                    ? Check.ok("port", name, "port " + port + " is listening and accepts connections")
                    : Check.fail(
                            "port",
                            name,
                            "port " + port + " is listening but does not accept connections within "
                                    + timeout.toMillis() + " ms: the app is hung or overloaded; `lifeline restart "
                                    + name + "`");
        }
        return http(port, path.get());
    }

    private Check http(int port, String path) {
        URI uri = URI.create("http://127.0.0.1:" + port + path);
        HttpURLConnection c = null;
        try {
            c = (HttpURLConnection) uri.toURL().openConnection();
            c.setConnectTimeout((int) timeout.toMillis());
            c.setReadTimeout((int) timeout.toMillis());
            c.setInstanceFollowRedirects(false);
            int status = c.getResponseCode();
            if (status >= 500) {
                return Check.fail(
                        "port",
                        name,
                        "port " + port + " answers HTTP " + status + " on " + path
                                + ": the app is up but failing; see `lifeline logs " + name + " --level error`");
            }
            return Check.ok("port", name, "port " + port + " is listening and answers HTTP " + status + " on " + path);
        } catch (SocketTimeoutException e) {
            return Check.fail(
                    "port",
                    name,
                    "port " + port + " accepts connections but " + path + " gave no answer within " + timeout.toMillis()
                            + " ms: the app is hung or busy; `lifeline restart " + name + "` if it stays so");
        } catch (IOException e) {
            return Check.fail("port", name, "port " + port + ": GET " + path + " failed: " + e.getMessage());
        } finally {
            if (c != null) {
                c.disconnect();
            }
        }
    }
}
