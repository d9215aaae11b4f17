package dev.lifeline.doctor;

import static dev.lifeline.testing.OpsTimeouts.SOON;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.lifeline.config.LifelineConfig;
import dev.lifeline.core.Home;
import dev.lifeline.doctor.Check.Status;
import dev.lifeline.gpu.Gpu;
import dev.lifeline.insight.LogInsight;
import dev.lifeline.process.LaunchSpec;
import dev.lifeline.process.Launcher;
import dev.lifeline.process.Ports;
import dev.lifeline.process.ProcessIdentity;
import dev.lifeline.process.Procfs;
import dev.lifeline.process.Signals;
import dev.lifeline.testing.NvidiaSmiStandIn;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DoctorTest {
    @TempDir
    Path tmp;

    private Home home;
    private final List<ProcessIdentity> started = new ArrayList<>();
    private final List<ServerSocket> sockets = new ArrayList<>();

    @BeforeEach
    void home() {
        home = new Home(tmp.resolve("home")).ensure();
    }

    @AfterEach
    void cleanUp() throws IOException {
        for (ProcessIdentity p : started) {
            if (p.isAlive()) {
                Signals.sendGroup(p.pid(), "KILL");
            }
        }
        for (ServerSocket s : sockets) {
            s.close();
        }
    }

    /** Starts {@code argv} detached, as the supervisor does, and writes its run files. */
    private ProcessIdentity startService(String name, List<String> argv, Map<String, Long> rlimits) throws IOException {
        Launcher.Started s =
                Launcher.start(new LaunchSpec(argv, tmp, Map.of(), home.serviceLog(name), rlimits, Optional.empty()));
        ProcessIdentity id = s.identity();
        started.add(id);
        // setsid and prlimit exec in place: wait until the program itself runs, its limits applied
        String command = String.join(" ", argv);
        await().atMost(SOON).until(() -> Procfs.cmdline(id.pid()).equals(command));
        writeRunFiles(name, id.pid(), id.startTicks());
        return id;
    }

    private void writeRunFiles(String name, long pid, long startTicks) throws IOException {
        Files.writeString(home.pidFile(name), pid + "\n");
        Files.writeString(
                home.stateFile(name),
                "{\"pid\":" + pid + ",\"startTicks\":" + startTicks + ",\"command\":\"x\",\"wantRunning\":true}\n");
    }

    private LifelineConfig config(String yaml) throws IOException {
        Path file = tmp.resolve("lifeline.yaml");
        Files.writeString(file, yaml);
        return LifelineConfig.load(file);
    }

    private List<Check> doctor(LifelineConfig c, String service) {
        return Doctor.builder(home)
                .config(c)
                .gpu(Gpu.fromPath(tmp.resolve("no-bin").toString()))
                .insight(new LogInsight(ZoneId.systemDefault(), Clock.systemDefaultZone()))
                .timeout(Duration.ofSeconds(2))
                .build()
                .run(Optional.ofNullable(service));
    }

    private static Check find(List<Check> checks, String name) {
        return checks.stream()
                .filter(c -> c.check().equals(name))
                .findFirst()
                .orElseThrow(() -> new AssertionError("no check " + name + " in " + checks));
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    @Test
    void aHealthyServiceIsOkFromPidToPort() throws IOException {
        int port = freePort();
        Files.createDirectories(tmp.resolve("outputs"));
        LifelineConfig c = config("""
                services:
                  web:
                    command: python3 -m http.server %d --bind 127.0.0.1
                    port: %d
                    ready: { http: / }
                    limits: { open-files: 4096 }
                    outputs: ./outputs
                """.formatted(port, port));
        startService(
                "web",
                List.of("/usr/bin/python3", "-m", "http.server", "" + port, "--bind", "127.0.0.1"),
                Map.of("nofile", 4096L));
        await().atMost(SOON).until(() -> Ports.isListening(port));

        List<Check> checks = doctor(c, "web");

        assertThat(find(checks, "pid").status()).isEqualTo(Status.OK);
        assertThat(find(checks, "pid").message()).contains("web's own process");
        assertThat(find(checks, "port").status()).isEqualTo(Status.OK);
        assertThat(find(checks, "port").message()).contains("answers HTTP 200 on /");
        assertThat(find(checks, "open-files").status()).isEqualTo(Status.OK);
        assertThat(find(checks, "open-files").message()).contains("Max open files 4096");
        assertThat(find(checks, "outputs").status()).isEqualTo(Status.OK);
        assertThat(find(checks, "gpu").message()).contains("no NVIDIA GPU");
        assertThat(find(checks, "config").status()).isEqualTo(Status.OK);
        assertThat(checks).filteredOn(ch -> "web".equals(ch.service())).noneMatch(ch -> ch.status() == Status.FAIL);
    }

    @Test
    void aStalePidFileFailsAndSaysWhatToDo() throws IOException {
        Process gone = new ProcessBuilder("true").start();
        await().atMost(SOON).until(() -> !gone.isAlive());
        writeRunFiles("web", gone.pid(), 1);
        Files.writeString(home.serviceLog("web"), "INFO: loading\nKilled\n");
        List<Check> checks = doctor(config("services:\n  web:\n    command: sleep 60\n"), "web");
        Check pid = find(checks, "pid");
        assertThat(pid.status()).isEqualTo(Status.FAIL);
        assertThat(pid.message()).contains("stale pid file").contains("lifeline up web");
        assertThat(pid.message()).contains("last error in the log: \"Killed\" — killed by the OOM killer (exit 137)");
        assertThat(Doctor.anyFailed(checks)).isTrue();
    }

    @Test
    void aRealAppThatCrashedOnAMissingModuleIsDiagnosedFromItsLog() throws IOException {
        Launcher.Started s = Launcher.start(new LaunchSpec(
                List.of("/usr/bin/python3", "-c", "import lifeline_no_such_module_xyz"),
                tmp,
                Map.of(),
                home.serviceLog("web"),
                Map.of(),
                Optional.empty()));
        writeRunFiles("web", s.identity().pid(), s.identity().startTicks());
        await().atMost(SOON).until(() -> !s.process().isAlive());

        List<Check> checks = doctor(config("services:\n  web:\n    command: python3 app.py\n"), "web");

        Check pid = find(checks, "pid");
        assertThat(pid.status()).isEqualTo(Status.FAIL);
        assertThat(pid.message())
                .contains("stale pid file")
                .contains("ModuleNotFoundError: No module named 'lifeline_no_such_module_xyz'")
                .contains("missing Python module");
        assertThat(find(checks, "known-problem").message()).contains("pip install lifeline_no_such_module_xyz");
    }

    @Test
    void aReusedPidIsNotMistakenForTheService() throws IOException {
        ProcessIdentity other = startService("web", List.of("sleep", "60"), Map.of());
        writeRunFiles("web", other.pid(), other.startTicks() + 1); // recorded for an earlier process
        Check pid = find(doctor(config("services:\n  web:\n    command: sleep 60\n"), "web"), "pid");
        assertThat(pid.status()).isEqualTo(Status.FAIL);
        assertThat(pid.message()).contains("now belongs to another program").contains("sleep 60");
    }

    @Test
    void aPortHeldByAnotherProgramFails() throws IOException {
        ServerSocket squatter = new ServerSocket(0, 5, InetAddress.getLoopbackAddress());
        sockets.add(squatter);
        int port = squatter.getLocalPort();
        startService("web", List.of("sleep", "60"), Map.of());
        Check check = find(
                doctor(config("services:\n  web:\n    command: sleep 60\n    port: " + port + "\n"), "web"), "port");
        assertThat(check.status()).isEqualTo(Status.FAIL);
        assertThat(check.message())
                .contains("held by pid " + ProcessHandle.current().pid())
                .contains("not by web");
    }

    @Test
    void nothingListeningOnTheServicePortFails() throws IOException {
        int port = freePort();
        startService("web", List.of("sleep", "60"), Map.of());
        Check check = find(
                doctor(config("services:\n  web:\n    command: sleep 60\n    port: " + port + "\n"), "web"), "port");
        assertThat(check.status()).isEqualTo(Status.FAIL);
        assertThat(check.message()).contains("nothing listens on port " + port).contains("still loading the model");
    }

    @Test
    void anOpenFilesLimitBelowTheConfigFails() throws IOException {
        startService("web", List.of("sleep", "60"), Map.of("nofile", 1024L));
        Check check = find(
                doctor(config("services:\n  web:\n    command: sleep 60\n    limits: { open-files: 65536 }\n"), "web"),
                "open-files");
        assertThat(check.status()).isEqualTo(Status.FAIL);
        assertThat(check.message()).contains("Max open files is 1024").contains("asks for 65536");
    }

    @Test
    void recentKnownProblemsInTheLogComeWithTheirFix() throws IOException {
        startService("web", List.of("sleep", "60"), Map.of());
        Files.writeString(
                home.serviceLog("web"),
                "Traceback (most recent call last):\n  File \"app.py\", line 1\n"
                        + "ModuleNotFoundError: No module named 'gradio'\n");
        List<Check> checks = doctor(config("services:\n  web:\n    command: sleep 60\n"), "web");
        assertThat(find(checks, "log").status()).isEqualTo(Status.WARN);
        Check known = find(checks, "known-problem");
        assertThat(known.status()).isEqualTo(Status.WARN);
        assertThat(known.message()).contains("missing Python module 'gradio'").contains("pip install gradio");
    }

    @Test
    void outputsThatCannotBeWrittenFail() throws IOException {
        Files.writeString(tmp.resolve("outputs"), "a file, not a folder");
        Check check = find(
                doctor(config("services:\n  web:\n    command: sleep 60\n    outputs: ./outputs\n"), "web"), "outputs");
        assertThat(check.status()).isEqualTo(Status.FAIL);
        assertThat(check.message()).contains("is not a folder");
    }

    @Test
    void checksThatConfiguredEndpointsAreReachableWithoutPrintingTheirTokens() throws IOException {
        ServerSocket hook = new ServerSocket(0, 5, InetAddress.getLoopbackAddress());
        sockets.add(hook);
        int closed = freePort();
        LifelineConfig c = config("""
                notify:
                  - webhook: http://127.0.0.1:%d/send?key=SECRET123
                  - webhook: http://127.0.0.1:%d/send?key=SECRET456
                """.formatted(hook.getLocalPort(), closed));
        List<Check> endpoints = doctor(c, null).stream()
                .filter(ch -> ch.check().equals("endpoint"))
                .toList();
        assertThat(endpoints).extracting(Check::status).containsExactly(Status.OK, Status.FAIL);
        assertThat(endpoints).allSatisfy(e -> assertThat(e.message()).doesNotContain("SECRET"));
        assertThat(endpoints.get(1).message()).contains("127.0.0.1:" + closed).contains("not reachable");
    }

    @Test
    void reportsTheServicesGpuMemoryWhereNvidiaSmiExists() throws IOException {
        ProcessIdentity web = startService("web", List.of("sleep", "60"), Map.of());
        Path bin = new NvidiaSmiStandIn()
                .gpu("Tesla T4", 15360, 15000)
                .process(web.pid(), 14000)
                .writeTo(tmp.resolve("bin"));
        List<Check> checks = Doctor.builder(home)
                .config(config("services:\n  web:\n    command: sleep 60\n"))
                .gpu(Gpu.fromPath(bin.toString()))
                .build()
                .run(Optional.of("web"));
        assertThat(checks).anySatisfy(c -> {
            assertThat(c.check()).isEqualTo("gpu");
            assertThat(c.service()).isEqualTo("web");
            assertThat(c.message()).contains("holds 14000 MiB");
        });
        assertThat(checks).anySatisfy(c -> {
            assertThat(c.check()).isEqualTo("gpu");
            assertThat(c.status()).isEqualTo(Status.WARN);
            assertThat(c.message()).contains("360 MiB free of 15360 MiB");
        });
    }

    @Test
    void worksWithoutConfigOrDaemonFromRunFilesAlone() {
        List<Check> checks =
                Doctor.builder(home).gpu(Gpu.fromPath(null)).build().run(Optional.of("web"));
        assertThat(find(checks, "config").status()).isEqualTo(Status.WARN);
        assertThat(find(checks, "daemon").status()).isEqualTo(Status.WARN);
        assertThat(find(checks, "pid").status()).isEqualTo(Status.FAIL);
        assertThat(find(checks, "pid").message()).contains("web is not running");
        assertThat(find(checks, "memory").status()).isNotNull();
        assertThat(find(checks, "disk").message()).contains("free of");
    }
}
