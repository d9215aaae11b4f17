package dev.lifeline.daemon;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lifeline.config.LifelineConfig;
import dev.lifeline.config.TunnelSpec;
import dev.lifeline.core.Event;
import dev.lifeline.core.EventListener;
import dev.lifeline.core.Home;
import dev.lifeline.core.Json;
import dev.lifeline.core.LifelineException;
import dev.lifeline.process.ProcessIdentity;
import dev.lifeline.process.ProcessTree;
import dev.lifeline.process.Procfs;
import dev.lifeline.tunnel.TunnelManager;
import dev.lifeline.tunnel.TunnelState;
import dev.lifeline.tunnel.TunnelStatus;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The daemon's tunnels: a {@link TunnelManager} made on first use, and {@code tunnels.json}, which
 * remembers each tunnel's source (the pasted ssh words, or the config it came from) and its
 * current ssh process. A daemon started after a crash ends the ssh processes its predecessor left
 * holding the local ports, then brings the same tunnels up again.
 */
final class TunnelHost implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(TunnelHost.class);
    private static final Duration SETTLE = Duration.ofSeconds(20);

    private final Home home;
    private final EventListener events;
    private final Map<String, JsonNode> sources = new LinkedHashMap<>();
    private TunnelManager manager;
    private boolean closed;

    TunnelHost(Home home, EventListener events) {
        this.home = home;
        this.events = events;
    }

    private Path file() {
        return home.root().resolve("tunnels.json");
    }

    /** At daemon start: end the ssh processes an earlier daemon left, and bring its tunnels back. */
    void restore() {
        if (!Files.exists(file())) {
            return;
        }
        try {
            for (JsonNode t : Json.parse(Files.readString(file()))) {
                long pid = t.path("pid").asLong(-1);
                if (pid > 0 && new ProcessIdentity(pid, t.path("startTicks").asLong(), "").isAlive()) {
                    ProcessTree.terminate(pid, "TERM", Duration.ofSeconds(3), p -> {});
                }
                try {
                    up(t.path("source"), false);
                } catch (LifelineException e) {
                    LOG.warn("tunnel {} not restored: {}", t.path("name").asText(), e.getMessage());
                }
            }
        } catch (IOException | RuntimeException e) {
            LOG.warn("cannot read {}: {}", file(), e.toString());
        }
    }

    /**
     * Starts (or keeps) a tunnel from its source: {@code {name, args}} for a pasted ssh command,
     * or {@code {name, path, text}} for one under {@code tunnels:} in a config.
     */
    JsonNode up(JsonNode source, boolean wait) {
        TunnelSpec spec = spec(source);
        TunnelManager m;
        synchronized (this) {
            if (closed) {
                throw new LifelineException("the daemon is stopping; no tunnel started", "try again in a moment");
            }
            m = manager();
            sources.put(spec.name(), source);
            save();
        }
        // Not under the lock: restarting a changed tunnel waits for the old one, whose own events
        // (which save) must flow meanwhile; and so must those of the new one while we wait.
        m.up(spec);
        synchronized (this) {
            save(); // with the new ssh's pid
        }
        TunnelStatus st = wait
                ? m.awaitSettled(spec.name(), SETTLE)
                : m.status(spec.name()).orElseThrow();
        return Protocol.tunnel(st);
    }

    /** Stops one tunnel: forgotten (and saved) first, then stopped without holding the lock. */
    boolean down(String name) {
        TunnelManager m;
        synchronized (this) {
            m = manager;
            sources.remove(name);
            save();
        }
        return m != null && m.down(name);
    }

    /** Every tunnel's status, as {@link #status} sends it. */
    synchronized List<TunnelStatus> statuses() {
        return manager == null ? List.of() : manager.status();
    }

    synchronized ArrayNode status() {
        ArrayNode a = Json.array();
        if (manager != null) {
            manager.status().forEach(s -> a.add(Protocol.tunnel(s)));
        }
        return a;
    }

    /** Tunnel events keep the saved ssh pids current. */
    void onEvent(Event e) {
        if (e.source().startsWith("tunnel/")) {
            synchronized (this) {
                save();
            }
        }
    }

    private static TunnelSpec spec(JsonNode source) {
        String name = source.path("name").asText(null);
        if (source.has("args")) {
            List<String> args = new ArrayList<>();
            source.path("args").forEach(a -> args.add(a.asText()));
            try {
                return TunnelSpec.fromCommand(name, args);
            } catch (RuntimeException e) {
                throw new LifelineException(
                        "cannot use the ssh command '" + String.join(" ", args) + "': " + e.getMessage());
            }
        }
        LifelineConfig c = LifelineConfig.parse(
                source.path("text").asText(), Path.of(source.path("path").asText()));
        return TunnelSpec.named(c, name);
    }

    private TunnelManager manager() {
        if (manager == null) {
            manager = new TunnelManager(TunnelManager.Options.defaults(home.logs()), e -> {
                events.onEvent(e);
                onEvent(e);
            });
        }
        return manager;
    }

    private void save() {
        if (closed) {
            return;
        }
        if (sources.isEmpty()) {
            try {
                Files.deleteIfExists(file()); // no tunnels: nothing for a later daemon to restore
            } catch (IOException e) {
                LOG.warn("cannot remove {}: {}", file(), e.toString());
            }
            return;
        }
        ArrayNode a = Json.array();
        for (Map.Entry<String, JsonNode> e : sources.entrySet()) {
            ObjectNode t = a.addObject();
            t.put("name", e.getKey());
            t.set("source", e.getValue());
            if (manager != null) {
                manager.status(e.getKey())
                        .filter(s -> s.pid() > 0 && s.state() != TunnelState.FAILED)
                        .ifPresent(s -> {
                            t.put("pid", s.pid());
                            Procfs.read(s.pid()).ifPresent(p -> t.put("startTicks", p.startTicks()));
                        });
            }
        }
        try {
            Home.writePrivate(file(), Json.write(a, true));
        } catch (IOException e) {
            LOG.warn("cannot save {}: {}", file(), e.toString());
        }
    }

    /**
     * Ends every tunnel (the daemon is going away); {@code forget} also drops tunnels.json. Saves
     * stop here: a tunnel's last events, arriving while it stops, must not write the file again
     * (a tunnels.json left behind makes the next command start a daemon to restore it).
     */
    void close(boolean forget) {
        TunnelManager m;
        synchronized (this) {
            closed = true;
            m = manager;
            manager = null;
            if (forget) {
                sources.clear();
                try {
                    Files.deleteIfExists(file());
                } catch (IOException e) {
                    LOG.warn("cannot remove {}: {}", file(), e.toString());
                }
            }
        }
        if (m != null) {
            m.close(); // waits for the tunnels: not under the lock
        }
    }

    @Override
    public void close() {
        close(false);
    }
}
