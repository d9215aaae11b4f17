package dev.lifeline.process;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** Reads process facts from Linux's {@code /proc}. The only place that parses it. */
public final class Procfs {
    private static final Path PROC = Path.of("/proc");
    private static final long PAGE = pageSize(PROC.resolve("self/auxv"));
    /** {@code AT_PAGESZ} in the ELF auxiliary vector. */
    private static final long AT_PAGESZ = 6;

    private Procfs() {}

    public static boolean available() {
        return Files.isReadable(PROC.resolve("self/stat"));
    }

    /** The process, if it exists (zombies included: check {@link ProcessInfo#isZombie()}). */
    public static Optional<ProcessInfo> read(long pid) {
        return read(pid, true);
    }

    private static Optional<ProcessInfo> read(long pid, boolean withCommand) {
        try {
            String stat = Files.readString(PROC.resolve(pid + "/stat"), StandardCharsets.UTF_8);
            // comm is in parentheses and may itself contain spaces or ')': split after the last ')'.
            int close = stat.lastIndexOf(')');
            String[] f = stat.substring(close + 2).split(" ");
            // f[0] is field 3 (state); field N is f[N-3].
            char state = f[0].charAt(0);
            long ppid = Long.parseLong(f[1]);
            long pgid = Long.parseLong(f[2]);
            long sid = Long.parseLong(f[3]);
            long utime = Long.parseLong(f[11]);
            long stime = Long.parseLong(f[12]);
            long cutime = Long.parseLong(f[13]);
            long cstime = Long.parseLong(f[14]);
            long start = Long.parseLong(f[19]);
            long rss = Long.parseLong(f[21]) * PAGE;
            return Optional.of(new ProcessInfo(
                    pid,
                    ppid,
                    pgid,
                    sid,
                    start,
                    state,
                    rss,
                    utime + stime,
                    cutime + cstime,
                    withCommand ? cmdline(pid) : ""));
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    /** The command line with arguments joined by spaces; empty for kernel threads or a gone process. */
    public static String cmdline(long pid) {
        try {
            byte[] b = Files.readAllBytes(PROC.resolve(pid + "/cmdline"));
            int n = b.length;
            while (n > 0 && b[n - 1] == 0) {
                n--;
            }
            for (int i = 0; i < n; i++) {
                if (b[i] == 0) {
                    b[i] = ' ';
                }
            }
            return new String(b, 0, n, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }

    /** Every process on the machine (without command lines: read those with {@link #cmdline}). */
    public static List<ProcessInfo> all() {
        List<ProcessInfo> out = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(PROC)) {
            for (Path p : ds) {
                String name = p.getFileName().toString();
                if (!name.isEmpty() && Character.isDigit(name.charAt(0))) {
                    read(Long.parseLong(name), false).ifPresent(out::add);
                }
            }
        } catch (IOException e) {
            // /proc always lists; an error here leaves the list partial, which callers tolerate.
        }
        return out;
    }

    /** Live (non-zombie) members of session {@code sid}: a service's whole tree, orphans included. */
    public static List<ProcessInfo> session(long sid) {
        List<ProcessInfo> out = new ArrayList<>();
        for (ProcessInfo p : all()) {
            if (p.sid() == sid && !p.isZombie()) {
                out.add(p);
            }
        }
        return out;
    }

    /**
     * The machine's page size, from the kernel's auxiliary vector (arm64 kernels use 16 or 64
     * KiB pages, so RSS in pages times 4096 would be wrong there); 4096 where it cannot be read.
     */
    static long pageSize(Path auxv) {
        try {
            java.nio.ByteBuffer b =
                    java.nio.ByteBuffer.wrap(Files.readAllBytes(auxv)).order(java.nio.ByteOrder.nativeOrder());
            while (b.remaining() >= 16) {
                long type = b.getLong();
                long value = b.getLong();
                if (type == AT_PAGESZ && value > 0) {
                    return value;
                }
                if (type == 0) {
                    break;
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux: fall through
        }
        return 4096;
    }

    /** The page size {@link ProcessInfo#rssBytes()} is counted in. */
    public static long pageSize() {
        return PAGE;
    }

    /**
     * True when {@code pid}'s initial environment holds exactly the entry {@code entry} ("NAME=value").
     * False when it does not, is gone, or its environment is not ours to read (another user's).
     */
    public static boolean environHas(long pid, String entry) {
        byte[] want = entry.getBytes(StandardCharsets.UTF_8);
        byte[] env;
        try {
            env = Files.readAllBytes(PROC.resolve(pid + "/environ"));
        } catch (IOException | SecurityException e) {
            return false;
        }
        int n = env.length;
        for (int start = 0; start + want.length <= n; ) {
            int end = start;
            while (end < n && env[end] != 0) {
                end++;
            }
            if (end - start == want.length && java.util.Arrays.equals(env, start, end, want, 0, want.length)) {
                return true;
            }
            start = end + 1;
        }
        return false;
    }

    /** Clock ticks per second (USER_HZ); 100 on every Linux we know of. */
    public static long ticksPerSecond() {
        return 100;
    }

    /** Seconds since boot, from {@code /proc/uptime}. */
    public static double uptimeSeconds() {
        try {
            return Double.parseDouble(Files.readString(PROC.resolve("uptime")).split(" ")[0]);
        } catch (IOException | RuntimeException e) {
            return 0;
        }
    }

    /**
     * Bytes {@code pid} has read so far through read()/recv() on any descriptor ({@code rchar} in
     * {@code /proc/PID/io}); -1 where unknown (not Linux, or not our process). A cheap "is data
     * flowing" signal for a network client.
     */
    public static long bytesRead(long pid) {
        try {
            for (String line : Files.readAllLines(PROC.resolve(pid + "/io"))) {
                if (line.startsWith("rchar:")) {
                    return Long.parseLong(line.substring(6).trim());
                }
            }
        } catch (IOException | RuntimeException e) {
            // fall through
        }
        return -1;
    }

    /** Open file descriptors of this JVM (for leak checks). */
    public static long openFds(long pid) {
        try (var s = Files.list(PROC.resolve(pid + "/fd"))) {
            return s.count();
        } catch (IOException e) {
            return -1;
        }
    }

    /**
     * A hard resource limit of {@code pid} as {@code /proc/PID/limits} shows it ({@code row} is the
     * row's name, e.g. "Max open files"); {@link Long#MAX_VALUE} for unlimited, -1 if unknown.
     */
    public static long hardLimit(long pid, String row) {
        return limit(pid, row, 1);
    }

    /** A soft resource limit, as {@link #hardLimit}. */
    public static long softLimit(long pid, String row) {
        return limit(pid, row, 0);
    }

    private static long limit(long pid, String row, int column) {
        try {
            for (String line : Files.readAllLines(PROC.resolve(pid + "/limits"))) {
                if (line.startsWith(row)) {
                    String[] f = line.substring(25).trim().split("\\s+");
                    return f[column].equals("unlimited") ? Long.MAX_VALUE : Long.parseLong(f[column]);
                }
            }
        } catch (IOException | RuntimeException e) {
            // fall through
        }
        return -1;
    }

    /** The soft "Max open files" limit of {@code pid}, as {@code /proc/PID/limits} shows it; -1 if unknown. */
    public static long maxOpenFiles(long pid) {
        try {
            for (String line : Files.readAllLines(PROC.resolve(pid + "/limits"))) {
                if (line.startsWith("Max open files")) {
                    String[] f = line.substring(25).trim().split("\\s+");
                    return f[0].equals("unlimited") ? Long.MAX_VALUE : Long.parseLong(f[0]);
                }
            }
        } catch (IOException | RuntimeException e) {
            // fall through
        }
        return -1;
    }
}
