package dev.lifeline.process;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A hard memory cap for one service through a cgroup of its own, created below the daemon's own
 * cgroup: cgroup v1's memory controller ({@code memory.limit_in_bytes}) or cgroup v2
 * ({@code memory.max}) where the hierarchy is delegated to us. The service joins it before its
 * program runs (see {@link #joinPrefix()}), so every child is inside too and the kernel's OOM
 * killer acts on the service alone. Where no writable memory cgroup exists (a container without
 * delegation, a non-root user under cgroup v1), {@link #create} says why instead.
 */
public final class MemoryCgroup {
    private static final Path ROOT = Path.of("/sys/fs/cgroup");

    private final Path dir;
    private final boolean v2;

    private MemoryCgroup(Path dir, boolean v2) {
        this.dir = dir;
        this.v2 = v2;
    }

    /** The result of trying: the cgroup, or the reason there is none. */
    public record Attempt(Optional<MemoryCgroup> cgroup, String whyNot) {}

    public static Attempt create(String name, long limitBytes) {
        try {
            Optional<Path> parent = ownMemoryCgroup();
            if (parent.isEmpty()) {
                return new Attempt(Optional.empty(), "this machine has no memory cgroup controller mounted");
            }
            boolean v2 = Files.exists(ROOT.resolve("cgroup.controllers"));
            Path dir = parent.get().resolve("lifeline-" + name);
            Files.createDirectories(dir);
            Files.writeString(dir.resolve(v2 ? "memory.max" : "memory.limit_in_bytes"), Long.toString(limitBytes));
            return new Attempt(Optional.of(new MemoryCgroup(dir, v2)), "");
        } catch (IOException | RuntimeException e) {
            return new Attempt(
                    Optional.empty(),
                    "cannot create a memory cgroup here (" + e.getMessage()
                            + "); run the daemon as root, or under systemd with Delegate=yes");
        }
    }

    /** Where this process's memory cgroup is, when it is one we could create children in. */
    private static Optional<Path> ownMemoryCgroup() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/cgroup"))) {
            String[] f = line.split(":", 3);
            if (f.length < 3) {
                continue;
            }
            if (f[1].equals("memory") || f[1].contains(",memory")) {
                Path mount = ROOT.resolve("memory");
                return Files.isDirectory(mount) ? Optional.of(mount.resolve(f[2].substring(1))) : Optional.empty();
            }
        }
        if (Files.exists(ROOT.resolve("cgroup.controllers"))) {
            for (String line : Files.readAllLines(Path.of("/proc/self/cgroup"))) {
                if (line.startsWith("0::")) {
                    Path own = ROOT.resolve(line.substring(4));
                    String enabled = Files.readString(own.resolve("cgroup.subtree_control"));
                    if (!enabled.contains("memory")) {
                        throw new IOException("the memory controller is not delegated to " + own);
                    }
                    return Optional.of(own);
                }
            }
        }
        return Optional.empty();
    }

    /**
     * The words to put before a command so that it joins this cgroup and then becomes the
     * command (the shell execs: the pid stays the same).
     */
    public List<String> joinPrefix() {
        return List.of("/bin/sh", "-c", "echo $$ > \"$0/cgroup.procs\" && exec \"$@\"", dir.toString());
    }

    public Path path() {
        return dir;
    }

    public long limitBytes() {
        return readLong(v2 ? "memory.max" : "memory.limit_in_bytes");
    }

    public long usageBytes() {
        return readLong(v2 ? "memory.current" : "memory.usage_in_bytes");
    }

    /** Pids in the cgroup: the whole service, even processes that left its session. */
    public List<Long> pids() {
        List<Long> out = new ArrayList<>();
        try {
            for (String l : Files.readAllLines(dir.resolve("cgroup.procs"))) {
                if (!l.isBlank()) {
                    out.add(Long.parseLong(l.trim()));
                }
            }
        } catch (IOException | NumberFormatException e) {
            // gone
        }
        return out;
    }

    /** Removes the (empty) cgroup; harmless when it is already gone or still busy. */
    public void remove() {
        try {
            Files.deleteIfExists(dir);
        } catch (IOException e) {
            // still has members or already gone: the next start reuses it
        }
    }

    private long readLong(String file) {
        try {
            String s = Files.readString(dir.resolve(file)).trim();
            return s.equals("max") ? Long.MAX_VALUE : Long.parseLong(s);
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
    }
}
