package dev.lifeline.gpu;

import dev.lifeline.process.Exec;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * NVIDIA GPU memory through {@code nvidia-smi}, the one place that runs it. Where it is not
 * installed, {@link #read()} says "no GPU" and nothing fails. Each read runs two queries with a
 * timeout (default 5s: a wedged driver can make nvidia-smi hang).
 *
 * <pre>
 * GpuSnapshot s = Gpu.fromPath(System.getenv("PATH")).read();
 * long mine = s.usedMiBBy(pidsOfTheService);   long free = s.freeMiB();
 * </pre>
 */
public final class Gpu {
    static final List<String> QUERY_GPUS =
            List.of("--query-gpu=index,name,memory.total,memory.used,memory.free", "--format=csv,noheader,nounits");
    static final List<String> QUERY_APPS =
            List.of("--query-compute-apps=pid,used_memory", "--format=csv,noheader,nounits");

    private final Optional<Path> executable;
    private final Duration timeout;

    private Gpu(Optional<Path> executable, Duration timeout) {
        this.executable = executable;
        this.timeout = timeout;
    }

    /** Looks for {@code nvidia-smi} on {@code path} (a PATH value: folders separated by ':'). */
    public static Gpu fromPath(String path) {
        if (path != null) {
            for (String dir : path.split(File.pathSeparator)) {
                if (dir.isEmpty()) {
                    continue;
                }
                Path p = Path.of(dir, "nvidia-smi");
                if (Files.isRegularFile(p) && Files.isExecutable(p)) {
                    return new Gpu(Optional.of(p), Duration.ofSeconds(5));
                }
            }
        }
        return new Gpu(Optional.empty(), Duration.ofSeconds(5));
    }

    /** {@code nvidia-smi} from this process's PATH. */
    public static Gpu fromSystemPath() {
        return fromPath(System.getenv("PATH"));
    }

    public Gpu withTimeout(Duration t) {
        return new Gpu(executable, t);
    }

    public Optional<Path> executable() {
        return executable;
    }

    /** Asks nvidia-smi now. Never throws: absence and failures are in the snapshot. */
    public GpuSnapshot read() {
        if (executable.isEmpty()) {
            return GpuSnapshot.absent();
        }
        List<String> gpuLines;
        List<String> appLines;
        try {
            gpuLines = run(QUERY_GPUS);
            appLines = run(QUERY_APPS);
        } catch (Failure f) {
            return GpuSnapshot.failed(f.getMessage());
        }
        List<GpuSnapshot.Device> devices = new ArrayList<>();
        for (String line : gpuLines) {
            String[] f = line.split(",\\s*");
            if (f.length < 5) {
                continue;
            }
            try {
                devices.add(new GpuSnapshot.Device(
                        Integer.parseInt(f[0].trim()), f[1].trim(), mib(f[2]), mib(f[3]), mib(f[4])));
            } catch (NumberFormatException e) {
                // a line nvidia-smi could not fill ([N/A]): skip the device
            }
        }
        if (devices.isEmpty()) {
            return GpuSnapshot.failed("nvidia-smi listed no GPU" + (gpuLines.isEmpty() ? "" : ": " + gpuLines.get(0)));
        }
        Map<Long, Long> byPid = new LinkedHashMap<>();
        for (String line : appLines) {
            String[] f = line.split(",\\s*");
            if (f.length < 2) {
                continue;
            }
            try {
                byPid.merge(Long.parseLong(f[0].trim()), mib(f[1]), Long::sum);
            } catch (NumberFormatException e) {
                // "[N/A]" memory, or no processes line
            }
        }
        List<GpuSnapshot.ProcessUsage> procs = new ArrayList<>();
        byPid.forEach((pid, used) -> procs.add(new GpuSnapshot.ProcessUsage(pid, used)));
        return new GpuSnapshot(true, devices, procs, Optional.empty());
    }

    private static long mib(String s) {
        return Math.round(Double.parseDouble(s.trim()));
    }

    private static final class Failure extends Exception {
        Failure(String message) {
            super(message);
        }
    }

    private List<String> run(List<String> args) throws Failure {
        Path exe = executable.orElseThrow();
        List<String> argv = new ArrayList<>();
        argv.add(exe.toString());
        argv.addAll(args);
        try {
            Exec.Result r = Exec.of(argv).timeout(timeout).run();
            if (r.timedOut()) {
                throw new Failure(exe + " did not answer within " + timeout.toMillis() + " ms (GPU driver hung?)");
            }
            List<String> lines = r.lines();
            if (r.exitCode() != 0) {
                String first = lines.isEmpty() ? "" : ": " + lines.get(0).strip();
                throw new Failure(exe + " " + args.get(0) + " exited with " + r.exitCode() + first);
            }
            return lines.stream().map(String::strip).filter(l -> !l.isEmpty()).toList();
        } catch (IOException e) {
            throw new Failure("cannot run " + exe + ": " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new Failure("interrupted while waiting for " + exe);
        }
    }
}
