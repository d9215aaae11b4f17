package dev.lifeline.dashboard.browser;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lifeline.cli.DaemonCli;
import java.io.IOException;
import java.nio.file.Path;

/**
 * A real background daemon with its own LIFELINE_HOME, driven by the real {@code lifeline} CLI
 * (this build's classes, a fresh JVM per command) from one project folder, as a user would: {@link
 * DaemonCli} with the folder fixed. {@link #close} takes down everything it started.
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
    private final DaemonCli cli;

    LiveDaemon(Path tmp, String yaml) throws IOException {
        this(tmp, "project", yaml);
    }

    /** A daemon for the project folder {@code folder} (its name shows on the page) with this lifeline.yaml. */
    LiveDaemon(Path tmp, String folder, String yaml) throws IOException {
        this.cli = new DaemonCli(tmp);
        this.home = cli.home();
        this.project = cli.project(folder, yaml);
    }

    /** The fixture underneath: commands from other folders, other waits, {@code status} of every project. */
    DaemonCli cli() {
        return cli;
    }

    /** An environment variable for every command from now on (and so for the daemon the first starts). */
    LiveDaemon env(String name, String value) {
        cli.env(name, value);
        return this;
    }

    Result run(String... args) throws IOException, InterruptedException {
        DaemonCli.Result r = cli.run(project, args);
        return new Result(r.exit(), r.out(), r.err());
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
        JsonNode s = cli.status(project).get(name);
        if (s == null) {
            throw new AssertionError("no service " + name + " in status --json");
        }
        return s;
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
        cli.close();
    }
}
