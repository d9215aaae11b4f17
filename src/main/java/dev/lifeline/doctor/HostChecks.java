package dev.lifeline.doctor;

import dev.lifeline.core.Home;
import dev.lifeline.gpu.GpuSnapshot;
import dev.lifeline.process.Memory;
import dev.lifeline.process.ProcessInfo;
import dev.lifeline.process.Procfs;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Machine-wide checks: the daemon, memory, disk, GPU, endpoints. */
final class HostChecks {
    static final long DISK_FAIL = 1L << 30;
    static final long DISK_WARN = 5L << 30;

    private final Home home;
    private final Duration timeout;

    HostChecks(Home home, Duration timeout) {
        this.home = home;
        this.timeout = timeout;
    }

    Check daemon() {
        Optional<Long> pid;
        try {
            pid = Optional.of(
                    Long.parseLong(Files.readString(home.daemonPidFile()).strip()));
        } catch (IOException | NumberFormatException e) {
            pid = Optional.empty();
        }
        Optional<ProcessInfo> p = pid.flatMap(Procfs::read).filter(i -> !i.isZombie());
        if (p.isPresent() && p.get().command().contains("lifeline")) {
            return Check.ok(
                    "daemon",
                    null,
                    "the Lifeline daemon is running (pid " + p.get().pid() + ")");
        }
        return Check.warn(
                "daemon",
                null,
                "no Lifeline daemon is running, so nothing restarts a service that crashes: run `lifeline up`"
                        + " (and `lifeline service install` to start it at boot)");
    }

    Check memory() {
        Optional<Memory> m = Memory.read();
        if (m.isEmpty()) {
            return Check.ok("memory", null, "memory not checked: no /proc/meminfo on this system");
        }
        long avail = m.get().availableBytes();
        long total = m.get().totalBytes();
        String facts = Human.bytes(avail) + " of " + Human.bytes(total) + " available";
        double share = (double) avail / total;
        if (share < 0.05) {
            return Check.fail(
                    "memory",
                    null,
                    facts + ": the OOM killer may end the app (exit 137); stop what is"
                            + " not needed (`ps aux --sort=-rss | head`), add RAM or swap");
        }
        if (share < 0.15) {
            return Check.warn(
                    "memory",
                    null,
                    facts + ": little headroom for loading a model; check `ps aux"
                            + " --sort=-rss | head` and consider limits.restart-above-memory");
        }
        return Check.ok("memory", null, facts);
    }

    /** One check per file system that holds the logs or an outputs folder. */
    List<Check> disks(List<Path> folders) {
        Map<String, List<Path>> byStore = new LinkedHashMap<>();
        Map<String, FileStore> stores = new LinkedHashMap<>();
        for (Path f : folders) {
            Path existing = f.toAbsolutePath();
            while (existing != null && !Files.exists(existing)) {
                existing = existing.getParent();
            }
            if (existing == null) {
                continue;
            }
            try {
                FileStore fs = Files.getFileStore(existing);
                String key = fs.name() + "|" + fs.toString();
                stores.putIfAbsent(key, fs);
                byStore.computeIfAbsent(key, k -> new ArrayList<>()).add(f);
            } catch (IOException e) {
                // unreadable: the outputs check reports on it
            }
        }
        List<Check> out = new ArrayList<>();
        stores.forEach((key, fs) -> {
            try {
                long free = fs.getUsableSpace();
                long total = fs.getTotalSpace();
                String where = byStore.get(key).stream()
                        .map(Path::toString)
                        .reduce((a, b) -> a + ", " + b)
                        .orElse("");
                String facts = Human.bytes(free) + " free of " + Human.bytes(total) + " for " + where;
                if (free < DISK_FAIL || (total > 0 && free < total / 50)) {
                    out.add(Check.fail(
                            "disk",
                            null,
                            facts + ": logs and outputs will fail to write; delete old"
                                    + " outputs (after `lifeline backup`) or rotated logs (*.log.N.gz)"));
                } else if (free < DISK_WARN || (total > 0 && free < total / 10)) {
                    out.add(Check.warn("disk", null, facts + ": running low; free space before it fills"));
                } else {
                    out.add(Check.ok("disk", null, facts));
                }
            } catch (IOException e) {
                out.add(Check.warn("disk", null, "cannot read free space of " + fs + ": " + e.getMessage()));
            }
        });
        return out;
    }

    Check gpu(GpuSnapshot s) {
        if (!s.present()) {
            return Check.ok("gpu", null, "no NVIDIA GPU here (nvidia-smi not found): GPU checks skipped");
        }
        if (s.error().isPresent()) {
            return Check.warn(
                    "gpu",
                    null,
                    s.error().get() + ": run `nvidia-smi` to see the driver's state;"
                            + " a driver/library version mismatch after an upgrade needs a reboot");
        }
        long total = s.totalMiB();
        long free = s.freeMiB();
        String facts = s.devices().size() + " GPU(s), " + free + " MiB free of " + total + " MiB";
        if (total > 0 && free < total / 20) {
            return Check.warn(
                    "gpu",
                    null,
                    facts + ": a new model load may hit CUDA out of memory; `nvidia-smi`"
                            + " shows which processes hold it");
        }
        return Check.ok("gpu", null, facts);
    }

    /** A TCP connect to the endpoint's host and port; only host:port is printed (the URL may hold a token). */
    Check endpoint(String name, URI uri) {
        String host = uri.getHost();
        int port = uri.getPort() >= 0 ? uri.getPort() : "https".equalsIgnoreCase(uri.getScheme()) ? 443 : 80;
        String target = name + " (" + host + ":" + port + ")";
        long t0 = System.nanoTime();
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(host, port), (int) timeout.toMillis());
            long ms = (System.nanoTime() - t0) / 1_000_000;
            return Check.ok("endpoint", null, target + " is reachable (TCP connect in " + ms + " ms)");
        } catch (IOException e) {
            String why = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
            if (e instanceof java.net.UnknownHostException) {
                why = "unknown host";
            }
            String proxyVar = uri.getScheme().toLowerCase(java.util.Locale.ROOT) + "_proxy";
            String proxy = System.getenv(proxyVar) != null
                    ? System.getenv(proxyVar)
                    : System.getenv(proxyVar.toUpperCase(java.util.Locale.ROOT));
            boolean loopback = host.equals("127.0.0.1") || host.equals("localhost") || host.equals("::1");
            if (proxy != null && !proxy.isBlank() && !loopback) { // notify never proxies loopback
                return Check.warn(
                        "endpoint",
                        null,
                        target + " is not reachable directly (" + why + "); "
                                + proxyVar + " is set, and notifications go through that proxy: check it with"
                                + " `lifeline notify test`");
            }
            return Check.fail(
                    "endpoint",
                    null,
                    target + " is not reachable: " + why + "; check DNS, the firewall or proxy (`curl -v "
                            + uri.getScheme() + "://" + host + ":" + port + "`)");
        }
    }
}
