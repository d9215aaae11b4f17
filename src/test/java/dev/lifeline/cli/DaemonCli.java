package dev.lifeline.cli;

import static dev.lifeline.testing.Services.sh;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lifeline.core.Home;
import dev.lifeline.daemon.DaemonClient;
import dev.lifeline.process.ProcessTree;
import dev.lifeline.testing.TestTimes;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Runs the real {@code lifeline} CLI (this build's classes, a fresh JVM per command) with its own
 * LIFELINE_HOME, in a chosen project folder, as a user would; the background daemon it starts is
 * a real one. {@link #close} stops everything the commands started.
 *
 * <p>The one way tests get a home, a real daemon and CLI commands against it. Per test, as a JUnit
 * extension that closes it after each test:
 *
 * <pre>{@code
 * @TempDir Path tmp;
 * @RegisterExtension final DaemonCli cli = DaemonCli.in(() -> tmp);
 * }</pre>
 *
 * or by hand ({@code new DaemonCli(dir)}, then {@link #close}) where one daemon serves a whole class.
 */
public final class DaemonCli implements AutoCloseable, BeforeEachCallback, AfterEachCallback {
    public record Result(int exit, String out, String err, Duration took) {
        @Override
        public String toString() {
            return "exit " + exit + " in " + took.toMillis() + " ms\n--- stdout\n" + out + "--- stderr\n" + err;
        }
    }

    /** The LIFELINE_HOME of every command (set once, when the folder is known). */
    Path home;

    private final Supplier<Path> folder;
    private Path tmp;
    private final Map<String, String> env = new HashMap<>();
    private final List<Long> pids = new ArrayList<>();
    private int runs;

    /** Homes, projects and command output under {@code tmp}. */
    public DaemonCli(Path tmp) {
        this.folder = () -> tmp;
        dir();
    }

    private DaemonCli(Supplier<Path> folder) {
        this.folder = folder;
    }

    /**
     * For {@code @RegisterExtension}: everything under the folder {@code tmp} gives when the test
     * starts (the test's {@code @TempDir}), closed after each test.
     */
    public static DaemonCli in(Supplier<Path> tmp) {
        return new DaemonCli(tmp);
    }

    private Path dir() {
        if (tmp == null) {
            tmp = Objects.requireNonNull(folder.get(), "no folder for the daemon's home yet");
            home = tmp.resolve("home");
        }
        return tmp;
    }

    /** The LIFELINE_HOME of every command. */
    public Path home() {
        dir();
        return home;
    }

    @Override
    public void beforeEach(ExtensionContext context) {
        dir();
    }

    @Override
    public void afterEach(ExtensionContext context) throws IOException {
        close();
    }

    /** An environment variable for every command from now on (and so for the daemon the first starts). */
    public DaemonCli env(String name, String value) {
        env.put(name, value);
        return this;
    }

    /** A project folder with this lifeline.yaml. */
    public Path project(String name, String yaml) throws IOException {
        Path dir = Files.createDirectories(dir().resolve(name));
        Files.writeString(dir.resolve("lifeline.yaml"), yaml);
        return dir;
    }

    /** A {@code services:} entry: the service {@code name} running {@code script} through sh. */
    public static String service(String name, String script) {
        return "  " + name + ":\n    command: " + sh(script) + "\n";
    }

    /**
     * The project folder {@code app}: one service {@code web} that sleeps, its {@code outputs} backed
     * up to {@code repository}, with these further lines of the {@code backup:} section (each
     * starting with two spaces and ending with a newline).
     */
    Path backedUpApp(Path outputs, Path repository, String... backupLines) throws IOException {
        return project(
                "app",
                "services:\n  web:\n    command: " + sh("exec sleep 1000")
                        + "\n    outputs: " + outputs + "\nbackup:\n  repository: " + repository + "\n"
                        + String.join("", backupLines));
    }

    ProcessBuilder builder(Path cwd, String... args) {
        List<String> argv = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:TieredStopAtLevel=1",
                "-XX:+UseSerialGC",
                "-Xshare:auto",
                "-cp",
                System.getProperty("java.class.path"),
                "dev.lifeline.cli.Main"));
        argv.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(argv).directory(cwd.toFile());
        pb.environment().put("LIFELINE_HOME", home().toString());
        pb.environment().remove("LIFELINE_LAUNCHER");
        pb.environment().putAll(env);
        pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        return pb;
    }

    /** Starts a command without waiting for it; its output goes to the returned files. */
    public Running start(Path cwd, String... args) throws IOException {
        int n = ++runs;
        Path out = dir().resolve("out-" + n + ".txt");
        Path err = dir().resolve("err-" + n + ".txt");
        ProcessBuilder pb = builder(cwd, args);
        pb.redirectOutput(out.toFile()).redirectError(err.toFile());
        return new Running(pb.start(), out, err, System.nanoTime(), String.join(" ", args));
    }

    public record Running(Process process, Path out, Path err, long startedNanos, String command) {
        public Result await(Duration limit) throws IOException, InterruptedException {
            if (!process.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly();
                throw new AssertionError("lifeline " + command + " did not finish within " + limit + "\n--- stdout\n"
                        + Files.readString(out) + "--- stderr\n" + Files.readString(err));
            }
            return new Result(
                    process.exitValue(),
                    Files.readString(out, StandardCharsets.UTF_8),
                    Files.readString(err, StandardCharsets.UTF_8),
                    Duration.ofNanos(System.nanoTime() - startedNanos));
        }
    }

    public Result run(Path cwd, String... args) throws IOException, InterruptedException {
        return start(cwd, args).await(TestTimes.APP.multipliedBy(2));
    }

    /** {@link #run}, failing the test unless the command exits 0. */
    public Result ok(Path cwd, String... args) throws IOException, InterruptedException {
        Result r = run(cwd, args);
        assertThat(r.exit()).as("lifeline " + String.join(" ", args) + ": " + r).isZero();
        return r;
    }

    /**
     * The services {@code status --json} lists when run in {@code cwd}, by name, in its order; their
     * processes are ended by {@link #close} whatever happens to the daemon.
     */
    public Map<String, JsonNode> status(Path cwd) throws IOException, InterruptedException {
        Result r = ok(cwd, "status", "--json");
        Map<String, JsonNode> out = new LinkedHashMap<>();
        for (JsonNode s : new ObjectMapper().readTree(r.out())) {
            out.put(s.path("name").asText(), s);
            long pid = s.path("pid").asLong();
            if (pid > 0 && !pids.contains(pid)) {
                pids.add(pid);
            }
        }
        return out;
    }

    /** Every service of every project, by name: {@code status --json} where there is no config file. */
    public Map<String, JsonNode> services(Path cwd) throws IOException, InterruptedException {
        return status(Files.createDirectories(dir().resolve("no-project")));
    }

    public long pid(Path cwd, String service) throws IOException, InterruptedException {
        JsonNode s = services(cwd).get(service);
        assertThat(s).as("service " + service + " in status --all").isNotNull();
        return s.path("pid").asLong();
    }

    /** A client of this home's daemon's socket, as the dashboard's server and the CLI use it. */
    public DaemonClient client() {
        return DaemonClient.of(Home.fromEnvironment(Map.of("LIFELINE_HOME", home().toString())));
    }

    public Optional<Long> daemonPid() {
        try {
            long pid = Long.parseLong(
                    Files.readString(home().resolve("daemon.pid")).trim());
            return ProcessHandle.of(pid).filter(ProcessHandle::isAlive).map(ProcessHandle::pid);
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    /** Daemons of this home, found by their environment's LIFELINE_HOME, whatever their pid file says. */
    public List<Long> daemons() {
        List<Long> out = new ArrayList<>();
        Path h = home();
        ProcessHandle.allProcesses().forEach(p -> {
            try {
                Path proc = Path.of("/proc/" + p.pid());
                String cmd = Files.readString(proc.resolve("cmdline"), StandardCharsets.ISO_8859_1);
                String environ = Files.readString(proc.resolve("environ"), StandardCharsets.ISO_8859_1);
                if (cmd.contains("dev.lifeline.cli.Main\0daemon") && environ.contains("LIFELINE_HOME=" + h + "\0")) {
                    out.add(p.pid());
                }
            } catch (IOException e) {
                // gone, or not ours
            }
        });
        return out;
    }

    public void track(long pid) {
        pids.add(pid);
    }

    @Override
    public void close() throws IOException {
        if (tmp == null) {
            return; // nothing was ever run
        }
        for (Long d : daemons()) {
            ProcessHandle.of(d).ifPresent(h -> {
                // a stopped daemon would not answer 'down'
                try {
                    new ProcessBuilder("kill", "-CONT", Long.toString(d))
                            .start()
                            .waitFor(5, TimeUnit.SECONDS);
                } catch (IOException e) {
                    // gone
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
        }
        try {
            start(tmp, "down", "--all").await(TestTimes.APP);
        } catch (AssertionError | IOException e) {
            // killed below
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        for (Long d : daemons()) {
            ProcessHandle.of(d).ifPresent(ProcessHandle::destroyForcibly);
        }
        for (long pid : pids) {
            ProcessTree.terminate(pid, "KILL", Duration.ofSeconds(1), p -> {});
        }
    }
}
