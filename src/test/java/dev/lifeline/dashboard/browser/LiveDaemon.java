package dev.lifeline.dashboard.browser;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lifeline.process.ProcessTree;
import dev.lifeline.testing.TestTimes;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real background daemon with its own LIFELINE_HOME, driven by the real {@code lifeline} CLI
 * (this build's classes, a fresh JVM per command) from a project folder, as a user would. {@link
 * #close} takes down everything it started.
 */
final class LiveDaemon implements AutoCloseable {
    record Result(int exit, String out, String err) {
        @Override
        public String toString() {
            return "exit " + exit + "\n--- stdout\n" + out + "--- stderr\n" + err;
        }
    }

    final Path home;
    final Path project;
    private final Path tmp;
    private final List<Long> pids = new ArrayList<>();
    private final java.util.Map<String, String> env = new java.util.HashMap<>();
    private int runs;

    LiveDaemon(Path tmp, String yaml) throws IOException {
        this(tmp, "project", yaml);
    }

    /** A daemon for the project folder {@code folder} (its name shows on the page) with this lifeline.yaml. */
    LiveDaemon(Path tmp, String folder, String yaml) throws IOException {
        this.tmp = tmp;
        this.home = tmp.resolve("home");
        this.project = Files.createDirectories(tmp.resolve(folder));
        Files.writeString(project.resolve("lifeline.yaml"), yaml);
    }

    /** An environment variable for every command from now on (and so for the daemon the first starts). */
    LiveDaemon env(String name, String value) {
        env.put(name, value);
        return this;
    }

    Result run(String... args) throws IOException, InterruptedException {
        List<String> argv = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:TieredStopAtLevel=1",
                "-XX:+UseSerialGC",
                "-Xshare:auto",
                "-cp",
                System.getProperty("java.class.path"),
                "dev.lifeline.cli.Main"));
        argv.addAll(List.of(args));
        int n = ++runs;
        Path out = tmp.resolve("out-" + n + ".txt");
        Path err = tmp.resolve("err-" + n + ".txt");
        ProcessBuilder pb = new ProcessBuilder(argv).directory(project.toFile());
        pb.environment().put("LIFELINE_HOME", home.toString());
        pb.environment().remove("LIFELINE_LAUNCHER");
        pb.environment().putAll(env);
        pb.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectOutput(out.toFile())
                .redirectError(err.toFile());
        Process p = pb.start();
        if (!p.waitFor(TestTimes.APP.multipliedBy(2).toMillis(), TimeUnit.MILLISECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("lifeline " + String.join(" ", args) + " did not finish\n" + Files.readString(out)
                    + Files.readString(err));
        }
        return new Result(
                p.exitValue(),
                Files.readString(out, StandardCharsets.UTF_8),
                Files.readString(err, StandardCharsets.UTF_8));
    }

    Result ok(String... args) throws IOException, InterruptedException {
        Result r = run(args);
        if (r.exit() != 0) {
            throw new AssertionError("lifeline " + String.join(" ", args) + " failed: " + r);
        }
        return r;
    }

    /** The status record of one service, as {@code status --json} prints it. */
    JsonNode service(String name) throws IOException, InterruptedException {
        for (JsonNode s : new ObjectMapper().readTree(ok("status", "--json").out())) {
            long pid = s.path("pid").asLong();
            if (pid > 0 && !pids.contains(pid)) {
                pids.add(pid);
            }
            if (s.path("name").asText().equals(name)) {
                return s;
            }
        }
        throw new AssertionError("no service " + name + " in status --json");
    }

    long pid(String name) throws IOException, InterruptedException {
        return service(name).path("pid").asLong();
    }

    /** The dashboard's URL with its token, as {@code lifeline dashboard --url} prints it. */
    String dashboardUrl() throws IOException, InterruptedException {
        return ok("dashboard", "--url").out().trim();
    }

    @Override
    public void close() throws IOException {
        try {
            run("down", "--all");
        } catch (IOException | AssertionError e) {
            // killed below
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            long daemon =
                    Long.parseLong(Files.readString(home.resolve("daemon.pid")).trim());
            ProcessHandle.of(daemon).ifPresent(ProcessHandle::destroyForcibly);
        } catch (IOException | NumberFormatException e) {
            // no daemon left
        }
        for (long pid : pids) {
            ProcessTree.terminate(pid, "KILL", Duration.ofSeconds(1), p -> {});
        }
    }
}
