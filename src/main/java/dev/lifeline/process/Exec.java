package dev.lifeline.process;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The one way Lifeline runs a short external program ({@code ssh -G}, {@code nvidia-smi},
 * {@code systemctl}, {@code kill}, a passphrase command): configure, {@link #run()}, read the
 * {@link Result}. Services and tunnels are long-lived and go through {@link Launcher} instead.
 *
 * <p>The timeout is real: output is read on its own thread while the caller waits, so a program
 * that prints more than a pipe holds cannot block, and a program that never ends is killed when
 * the time is up — with its children, since each program gets its own session where the system
 * has {@code setsid} (the whole session is killed), and its descendants otherwise. A program that
 * exits while a child it left behind keeps the output open does not hold the caller either: after
 * the exit, the output is read for at most {@link #DRAIN} more. If Lifeline exits (Ctrl-C, TERM)
 * while it waits, the program and its children are killed.
 *
 * <p>Defaults: timeout 30 s; stdin {@code /dev/null}; stderr merged into the output; at most
 * {@link #DEFAULT_KEEP} bytes of output kept (half from its start, half from its end).
 * zt-exec would do the same with commons-io and slf4j in the jar, and kills only the direct child.
 */
public final class Exec {
    /** How long output is still read after the program has exited (a child may hold it open). */
    public static final Duration DRAIN = Duration.ofMillis(300);
    /** Output bytes kept by default: the first half and the last half of this many. */
    public static final int DEFAULT_KEEP = 1 << 20;

    private static final boolean WINDOWS =
            System.getProperty("os.name", "").toLowerCase(Locale.ROOT).startsWith("windows");

    private final List<String> command;
    private Duration timeout = Duration.ofSeconds(30);
    private Path directory;
    private final Map<String, String> env = new LinkedHashMap<>();
    private boolean discardStderr;
    private boolean discardOutput;
    private int keep = DEFAULT_KEEP;

    private Exec(List<String> command) {
        if (command.isEmpty()) {
            throw new IllegalArgumentException("no program to run");
        }
        this.command = List.copyOf(command);
    }

    public static Exec of(String... command) {
        return new Exec(List.of(command));
    }

    public static Exec of(List<String> command) {
        return new Exec(command);
    }

    /** The program is killed (with its children) when it has not finished after this long. */
    public Exec timeout(Duration t) {
        if (t.isNegative() || t.isZero()) {
            throw new IllegalArgumentException("timeout must be positive: " + t);
        }
        this.timeout = t;
        return this;
    }

    public Exec directory(Path dir) {
        this.directory = dir;
        return this;
    }

    /** Adds to (or overrides in) the environment the program inherits from Lifeline. */
    public Exec env(String name, String value) {
        env.put(name, value);
        return this;
    }

    /** Stderr goes nowhere (default: merged into the output). */
    public Exec discardStderr() {
        this.discardStderr = true;
        return this;
    }

    /** Neither stdout nor stderr is kept (no reader thread): for programs run for their exit code. */
    public Exec discardOutput() {
        this.discardOutput = true;
        return this;
    }

    /** Keeps at most {@code bytes} of output: the first half and the last half. */
    public Exec keep(int bytes) {
        if (bytes < 2) {
            throw new IllegalArgumentException("keep at least 2 bytes: " + bytes);
        }
        this.keep = bytes;
        return this;
    }

    /**
     * Runs the program and waits for it, at most the timeout (plus the time to kill it).
     *
     * @throws IOException when it cannot be started (not found, not executable, no such directory)
     * @throws InterruptedException when the calling thread is interrupted; the program is killed
     */
    public Result run() throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(argv());
        if (directory != null) {
            pb.directory(directory.toFile());
        }
        pb.environment().putAll(env);
        pb.redirectInput(ProcessBuilder.Redirect.from(new File(WINDOWS ? "NUL" : "/dev/null")));
        if (discardOutput) {
            pb.redirectOutput(ProcessBuilder.Redirect.DISCARD);
            pb.redirectError(ProcessBuilder.Redirect.DISCARD);
        } else if (discardStderr) {
            pb.redirectError(ProcessBuilder.Redirect.DISCARD);
        } else {
            pb.redirectErrorStream(true);
        }
        long started = System.nanoTime();
        Process p = pb.start();
        Running.add(p);
        Capture out = new Capture(keep);
        Thread reader = null;
        if (!discardOutput) {
            InputStream in = p.getInputStream();
            reader = new Thread(() -> out.pump(in), "lifeline-exec " + programName());
            reader.setDaemon(true);
            reader.start();
        }
        boolean timedOut;
        try {
            timedOut = !p.waitFor(timeout.toNanos(), TimeUnit.NANOSECONDS);
            if (timedOut) {
                killTree(p);
            }
            if (reader != null) {
                reader.join(DRAIN.toMillis());
            }
        } catch (InterruptedException e) {
            killTree(p);
            throw e;
        } finally {
            Running.remove(p);
            if (reader != null && reader.isAlive()) {
                // a child still holds the output open: stop waiting for it (the reader ends with it)
                try {
                    p.getInputStream().close();
                } catch (IOException ignored) {
                    // nothing more to read either way
                }
            }
        }
        int code = p.isAlive() ? -1 : p.exitValue();
        return out.result(command, code, timedOut, Duration.ofNanos(System.nanoTime() - started));
    }

    private List<String> argv() throws IOException {
        if (!Launcher.detaches()) {
            return command;
        }
        checkRunnable(command.get(0));
        List<String> argv = new ArrayList<>(command.size() + 1);
        argv.add("setsid"); // execs in place: same pid, its own session for killTree
        argv.addAll(command);
        return argv;
    }

    /**
     * Under {@code setsid} a missing program would only be exit status 127: look it up first (a
     * few stats), so callers still get the JDK's "cannot run" error and can say what to install.
     */
    private void checkRunnable(String program) throws IOException {
        if (program.contains("/")) {
            Path p = Path.of(program);
            if (!p.isAbsolute() && directory != null) {
                p = directory.resolve(p);
            }
            if (Files.isRegularFile(p) && Files.isExecutable(p)) {
                return;
            }
            throw new IOException("Cannot run program \"" + program + "\": not an executable file");
        }
        String path = env.getOrDefault("PATH", System.getenv("PATH"));
        for (String dir : (path == null ? "/usr/bin:/bin" : path).split(File.pathSeparator)) {
            Path p = Path.of(dir.isEmpty() ? "." : dir, program);
            if (Files.isRegularFile(p) && Files.isExecutable(p)) {
                return;
            }
        }
        throw new IOException("Cannot run program \"" + program + "\": not found on PATH");
    }

    private String programName() {
        String c = command.get(0);
        return c.substring(c.lastIndexOf('/') + 1);
    }

    /** Kills the program's whole session (or its descendants) and waits for the program itself. */
    private static void killTree(Process p) throws InterruptedException {
        if (Launcher.detaches() && Procfs.available()) {
            ProcessTree.terminate(p.pid(), "KILL", Duration.ofSeconds(2), pid -> {});
        }
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly();
        p.waitFor(5, TimeUnit.SECONDS);
    }

    /**
     * The programs running now, killed (with their children) if Lifeline itself is stopped while
     * it waits for one: each has a session of its own, so the terminal's Ctrl-C does not reach it.
     * The hook is installed on first use and only then.
     */
    private static final class Running {
        private static final java.util.Set<Process> NOW = java.util.concurrent.ConcurrentHashMap.newKeySet();

        static {
            Runtime.getRuntime().addShutdownHook(new Thread(Running::killAll, "lifeline-exec-cleanup"));
        }

        static void add(Process p) {
            NOW.add(p);
        }

        static void remove(Process p) {
            NOW.remove(p);
        }

        /** The same kill as a timeout's: the whole session, rescanned until none is left. */
        private static void killAll() {
            for (Process p : NOW) {
                try {
                    killTree(p);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    p.descendants().forEach(ProcessHandle::destroyForcibly);
                    p.destroyForcibly();
                }
            }
        }
    }

    /**
     * What a run came to: the command as asked for (without Lifeline's {@code setsid}), its exit
     * code ({@code -1} if it could not be reaped after a kill), whether it was killed for the
     * timeout, and its output: {@code head} holds all of it when it was short; otherwise
     * {@code head} is its start, {@code tail} its end and {@code omittedBytes} were left out between.
     */
    public record Result(
            List<String> command,
            int exitCode,
            boolean timedOut,
            Duration took,
            String head,
            String tail,
            long outputBytes,
            long omittedBytes) {

        public Result {
            command = List.copyOf(command);
        }

        /** Exited by itself with status 0. */
        public boolean ok() {
            return !timedOut && exitCode == 0;
        }

        /** True when bytes in the middle of the output were left out. */
        public boolean truncated() {
            return omittedBytes > 0;
        }

        /** The output as text; when the middle was left out, a line there says how much. */
        public String output() {
            return truncated() ? head + "\n[… " + omittedBytes + " bytes left out …]\n" + tail : head + tail;
        }

        /** The output's lines. */
        public List<String> lines() {
            return output().lines().toList();
        }

        /** The command as a person would type it. */
        public String commandLine() {
            return String.join(" ", command);
        }

        /**
         * One line for an error message: the command, how it ended, and the last line it printed,
         * e.g. {@code 'nvidia-smi -L' exited with 9: NVIDIA-SMI has failed ...}.
         */
        public String describe() {
            String how =
                    timedOut ? "did not finish within " + seconds(took) + " and was killed" : "exited with " + exitCode;
            List<String> ls = lines().stream().filter(l -> !l.isBlank()).toList();
            return "'" + commandLine() + "' " + how
                    + (ls.isEmpty() ? "" : ": " + ls.get(ls.size() - 1).strip());
        }

        private static String seconds(Duration d) {
            return String.format(Locale.ROOT, "%.1fs", d.toMillis() / 1000.0);
        }
    }

    /** The kept output: a head that fills first, then a ring holding the latest bytes. */
    private static final class Capture {
        private final int headMax;
        private final int ringMax;
        private byte[] head = new byte[0];
        private int headLen;
        private byte[] ring = new byte[0];
        private long ringWritten;
        private long total;

        Capture(int keep) {
            this.headMax = keep / 2;
            this.ringMax = keep - headMax;
        }

        void pump(InputStream in) {
            byte[] buf = new byte[8192];
            try (in) {
                int n;
                while ((n = in.read(buf)) > 0) {
                    add(buf, n);
                }
            } catch (IOException e) {
                // closed under us (the program exited and a child kept the pipe): keep what came
            }
        }

        synchronized void add(byte[] b, int n) {
            total += n;
            int off = 0;
            if (headLen < headMax) {
                int take = Math.min(n, headMax - headLen);
                if (headLen + take > head.length) {
                    head = Arrays.copyOf(head, Math.min(headMax, Math.max(headLen + take, 2 * head.length)));
                }
                System.arraycopy(b, 0, head, headLen, take);
                headLen += take;
                off = take;
            }
            if (off == n) {
                return;
            }
            if (ring.length == 0) {
                ring = new byte[ringMax];
            }
            while (off < n) {
                int at = (int) (ringWritten % ringMax);
                int take = Math.min(n - off, ringMax - at);
                System.arraycopy(b, off, ring, at, take);
                ringWritten += take;
                off += take;
            }
        }

        synchronized Result result(List<String> command, int code, boolean timedOut, Duration took) {
            int tailLen = (int) Math.min(ringWritten, ringMax);
            byte[] tail = new byte[tailLen];
            int start = (int) ((ringWritten - tailLen) % ringMax);
            int first = Math.min(tailLen, ringMax - start);
            if (tailLen > 0) {
                System.arraycopy(ring, start, tail, 0, first);
                System.arraycopy(ring, 0, tail, first, tailLen - first);
            }
            return new Result(
                    command,
                    code,
                    timedOut,
                    took,
                    new String(head, 0, headLen, StandardCharsets.UTF_8),
                    new String(tail, StandardCharsets.UTF_8),
                    total,
                    total - headLen - tailLen);
        }
    }
}
