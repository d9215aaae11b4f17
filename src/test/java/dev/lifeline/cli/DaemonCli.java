package dev.lifeline.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lifeline.process.ProcessTree;
import dev.lifeline.testing.TestTimes;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Runs the real {@code lifeline} CLI (this build's classes, a fresh JVM per command) with its own
 * LIFELINE_HOME, in a chosen project folder, as a user would; the background daemon it starts is
 * a real one. {@link #close} stops everything the commands started.
 */
final class DaemonCli implements AutoCloseable {
    record Result(int exit, String out, String err, Duration took) {
        @Override
        public String toString() {
            return "exit " + exit + " in " + took.toMillis() + " ms\n--- stdout\n" + out + "--- stderr\n" + err;
        }
    }

    final Path home;
    private final Path tmp;
    private final Map<String, String> env = new HashMap<>();
    private final List<Long> pids = new ArrayList<>();
    private int runs;

    DaemonCli(Path tmp) throws IOException {
        this.tmp = tmp;
        this.home = tmp.resolve("home");
    }

    DaemonCli env(String name, String value) {
        env.put(name, value);
        return this;
    }

    /** A project folder with this lifeline.yaml. */
    Path project(String name, String yaml) throws IOException {
        Path dir = Files.createDirectories(tmp.resolve(name));
        Files.writeString(dir.resolve("lifeline.yaml"), yaml);
        return dir;
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
        pb.environment().put("LIFELINE_HOME", home.toString());
        pb.environment().remove("LIFELINE_LAUNCHER");
        pb.environment().putAll(env);
        pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        return pb;
    }

    /** Starts a command without waiting for it; its output goes to the returned files. */
    Running start(Path cwd, String... args) throws IOException {
        int n = ++runs;
        Path out = tmp.resolve("out-" + n + ".txt");
        Path err = tmp.resolve("err-" + n + ".txt");
        ProcessBuilder pb = builder(cwd, args);
        pb.redirectOutput(out.toFile()).redirectError(err.toFile());
        return new Running(pb.start(), out, err, System.nanoTime());
    }

    record Running(Process process, Path out, Path err, long startedNanos) {
        Result await(Duration limit) throws Exception {
            if (!process.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly();
                throw new AssertionError("the command did not finish within " + limit + "\n--- stdout\n"
                        + Files.readString(out) + "--- stderr\n" + Files.readString(err));
            }
            return new Result(
                    process.exitValue(),
                    Files.readString(out, StandardCharsets.UTF_8),
                    Files.readString(err, StandardCharsets.UTF_8),
                    Duration.ofNanos(System.nanoTime() - startedNanos));
        }
    }

    Result run(Path cwd, String... args) throws Exception {
        return start(cwd, args).await(TestTimes.APP.multipliedBy(2));
    }

    /** Every service of every project, by name: {@code status --json} where there is no config file. */
    Map<String, JsonNode> services(Path cwd) throws Exception {
        Result r = run(Files.createDirectories(tmp.resolve("no-project")), "status", "--json");
        assertThat(r.exit()).as(r.toString()).isZero();
        Map<String, JsonNode> out = new HashMap<>();
        for (JsonNode s : new ObjectMapper().readTree(r.out())) {
            out.put(s.path("name").asText(), s);
            long pid = s.path("pid").asLong();
            if (pid > 0 && !pids.contains(pid)) {
                pids.add(pid);
            }
        }
        return out;
    }

    long pid(Path cwd, String service) throws Exception {
        JsonNode s = services(cwd).get(service);
        assertThat(s).as("service " + service + " in status --all").isNotNull();
        return s.path("pid").asLong();
    }

    Optional<Long> daemonPid() {
        try {
            long pid =
                    Long.parseLong(Files.readString(home.resolve("daemon.pid")).trim());
            return ProcessHandle.of(pid).filter(ProcessHandle::isAlive).map(ProcessHandle::pid);
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    /** Daemons of this home, found by their environment's LIFELINE_HOME, whatever their pid file says. */
    List<Long> daemons() {
        List<Long> out = new ArrayList<>();
        ProcessHandle.allProcesses().forEach(p -> {
            try {
                Path proc = Path.of("/proc/" + p.pid());
                String cmd = Files.readString(proc.resolve("cmdline"), StandardCharsets.ISO_8859_1);
                String environ = Files.readString(proc.resolve("environ"), StandardCharsets.ISO_8859_1);
                if (cmd.contains("dev.lifeline.cli.Main\0daemon") && environ.contains("LIFELINE_HOME=" + home + "\0")) {
                    out.add(p.pid());
                }
            } catch (IOException e) {
                // gone, or not ours
            }
        });
        return out;
    }

    void track(long pid) {
        pids.add(pid);
    }

    @Override
    public void close() throws IOException {
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
        } catch (AssertionError e) {
            // killed below
        } catch (Exception e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
        }
        for (Long d : daemons()) {
            ProcessHandle.of(d).ifPresent(ProcessHandle::destroyForcibly);
        }
        for (long pid : pids) {
            ProcessTree.terminate(pid, "KILL", Duration.ofSeconds(1), p -> {});
        }
    }
}
