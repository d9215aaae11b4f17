package dev.lifeline.daemon;

import dev.lifeline.gpu.Gpu;
import dev.lifeline.gpu.GpuSnapshot;
import dev.lifeline.process.Procfs;
import dev.lifeline.supervisor.ServiceStatus;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The services as {@code status} shows them — of applied projects only, with GPU memory where
 * nvidia-smi exists — for the socket's {@code status} and for {@code /metrics}, so both show the
 * same values. nvidia-smi is slow: it is read at most every 2 s, whoever asks.
 */
final class ServiceViews {
    private static final long GPU_EVERY_NANOS = 2_000_000_000L;

    private final ProjectHost projects;
    private GpuSnapshot gpu; // guarded by this
    private long gpuReadAt; // guarded by this

    ServiceViews(ProjectHost projects) {
        this.projects = projects;
    }

    /** The last GPU reading, or null without a usable nvidia-smi. */
    GpuSnapshot gpu() {
        GpuSnapshot g;
        synchronized (this) {
            g = gpu;
            if (g != null && System.nanoTime() - gpuReadAt <= GPU_EVERY_NANOS) {
                return g.usable() ? g : null;
            }
        }
        // nvidia-smi runs outside the lock; two callers at once may both read it, once
        g = Gpu.fromSystemPath().read();
        synchronized (this) {
            gpu = g;
            gpuReadAt = System.nanoTime();
        }
        return g.usable() ? g : null;
    }

    /**
     * The services of applied projects (a runner no project owns is one being removed: not shown),
     * with GPU memory when {@code withGpu}.
     */
    List<Protocol.ServiceView> views(List<ServiceStatus> statuses, boolean withGpu) {
        Projects p = projects.projects();
        GpuSnapshot g = withGpu ? gpu() : null;
        List<Protocol.ServiceView> out = new ArrayList<>();
        for (ServiceStatus s : statuses) {
            Optional<Path> owner = p.owner(s.name());
            if (owner.isEmpty()) {
                continue;
            }
            Long used = null;
            Long free = null;
            if (g != null) {
                if (s.pid() > 0) {
                    List<Long> tree = new ArrayList<>();
                    Procfs.session(s.pid()).forEach(x -> tree.add(x.pid()));
                    used = g.usedMiBBy(tree);
                }
                free = g.freeMiB();
            }
            out.add(new Protocol.ServiceView(s, owner.get().toString(), used, free));
        }
        return out;
    }
}
