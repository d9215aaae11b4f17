package dev.lifeline.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lifeline.config.TunnelSpec;
import dev.lifeline.core.Home;
import dev.lifeline.core.Json;
import dev.lifeline.core.LifelineException;
import dev.lifeline.daemon.Protocol;
import dev.lifeline.tunnel.TunnelStatus;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Tunnels running in the foreground of some terminal, found through the state files they keep in
 * {@code $LIFELINE_HOME/run/tunnel-NAME.json} (pid, its start time, and the latest status). Lets
 * {@code tunnel status} and {@code tunnel down} work from another terminal until the daemon hosts
 * tunnels. A file is a claim: a process is only reported or signalled when its pid still has the
 * recorded start time.
 */
final class ForegroundTunnels implements TunnelCommand.Tunnels {
    private final Home home;

    ForegroundTunnels(Home home) {
        this.home = home;
    }

    static Path file(Home home, String name) {
        return home.run().resolve("tunnel-" + name + ".json");
    }

    /** Written by the foreground process on every event (atomically: temp file, then move). */
    static void write(Home home, TunnelStatus s) {
        ProcessHandle self = ProcessHandle.current();
        ObjectNode doc = Json.object();
        doc.put("pid", self.pid());
        doc.put("started", self.info().startInstant().map(Instant::toString).orElse(""));
        doc.set("status", Protocol.tunnel(s));
        Path f = file(home, s.name());
        try {
            Path tmp = Files.createTempFile(home.run(), ".tunnel-", ".tmp");
            Files.writeString(tmp, Json.write(doc), StandardCharsets.UTF_8);
            Files.move(tmp, f, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            // status for other terminals is a convenience; the tunnel itself goes on
        }
    }

    static void remove(Home home, String name) {
        try {
            Files.deleteIfExists(file(home, name));
        } catch (IOException e) {
            // a stale file is ignored by readers (its pid is gone)
        }
    }

    @Override
    public TunnelStatus up(TunnelSpec spec, ObjectNode source) {
        throw new LifelineException("a foreground tunnel is started with --foreground", null);
    }

    @Override
    public boolean down(String name) {
        Optional<Entry> e = read(file(home, name));
        if (e.isEmpty()) {
            return false;
        }
        ProcessHandle p = e.get().process();
        p.destroy(); // TERM: its shutdown hook stops ssh
        try {
            p.onExit().get(15, java.util.concurrent.TimeUnit.SECONDS);
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException ex) {
            throw new LifelineException(
                    "tunnel '" + name + "' (pid " + p.pid() + ") did not stop within 15 s",
                    "stop it in its terminal with Ctrl-C");
        }
        remove(home, name);
        return true;
    }

    @Override
    public List<TunnelStatus> status() {
        List<TunnelStatus> out = new ArrayList<>();
        if (!Files.isDirectory(home.run())) {
            return out;
        }
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(home.run(), "tunnel-*.json")) {
            for (Path f : ds) {
                read(f).ifPresent(e -> out.add(e.status()));
            }
        } catch (IOException e) {
            return out;
        }
        out.sort(java.util.Comparator.comparing(TunnelStatus::name));
        return out;
    }

    private record Entry(ProcessHandle process, TunnelStatus status) {}

    private static Optional<Entry> read(Path f) {
        try {
            JsonNode doc = Json.parse(Files.readString(f, StandardCharsets.UTF_8));
            long pid = doc.path("pid").asLong(-1);
            String started = doc.path("started").asText("");
            Optional<ProcessHandle> p = ProcessHandle.of(pid)
                    .filter(ProcessHandle::isAlive)
                    .filter(h -> started.isEmpty()
                            || h.info()
                                    .startInstant()
                                    .map(Instant::toString)
                                    .orElse("")
                                    .equals(started));
            if (p.isEmpty()) {
                return Optional.empty(); // the claim is stale: that process is gone or the pid was reused
            }
            return Optional.of(new Entry(p.get(), Protocol.tunnel(doc.path("status"))));
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }
}
