package dev.lifeline.cli;

import static dev.lifeline.testing.OpsTimeouts.SOON;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lifeline.core.Json;
import dev.lifeline.daemon.Protocol;
import dev.lifeline.doctor.Check;
import dev.lifeline.testing.WebhookReceiver;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The operations commands run as a real `lifeline` process with its own LIFELINE_HOME. */
class OpsCommandsTest {
    record Result(int exit, String out, String err) {}

    @TempDir
    Path tmp;

    private Path home;

    @BeforeEach
    void dirs() throws IOException {
        home = Files.createDirectories(tmp.resolve("home"));
        Files.createDirectories(home.resolve("logs"));
    }

    private Result lifeline(String... args) throws Exception {
        List<String> argv = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:TieredStopAtLevel=1",
                "-XX:+UseSerialGC",
                "-cp",
                System.getProperty("java.class.path"),
                "dev.lifeline.cli.Main"));
        argv.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(argv).directory(tmp.toFile());
        pb.environment().put("LIFELINE_HOME", home.toString());
        pb.environment().remove("LIFELINE_LAUNCHER");
        Path out = tmp.resolve("out.txt");
        Path err = tmp.resolve("err.txt");
        pb.redirectOutput(out.toFile()).redirectError(err.toFile());
        Process p = pb.start();
        if (!p.waitFor(SOON.toMillis() * 3, TimeUnit.MILLISECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("lifeline " + String.join(" ", args) + " did not finish");
        }
        return new Result(
                p.exitValue(),
                Files.readString(out, StandardCharsets.UTF_8),
                Files.readString(err, StandardCharsets.UTF_8));
    }

    private void config(String yaml) throws IOException {
        Files.writeString(tmp.resolve("lifeline.yaml"), yaml);
    }

    @Test
    void doctorJsonListsEveryCheckAndExitsNonZeroWhenOneFails() throws Exception {
        config("services:\n  webui:\n    command: sleep 60\n    port: 1\n");
        Result r = lifeline("doctor", "webui", "--json");
        assertThat(r.exit()).as(r.err()).isEqualTo(1);
        JsonNode checks = new ObjectMapper().readTree(r.out());
        assertThat(checks.isArray()).isTrue();
        assertThat(checks).allSatisfy(c -> {
            assertThat(c.get("check").asText()).isNotBlank();
            assertThat(c.get("status").asText()).isIn("OK", "WARN", "FAIL");
            assertThat(c.get("message").asText()).isNotBlank();
        });
        assertThat(checks).anySatisfy(c -> {
            assertThat(c.get("check").asText()).isEqualTo("pid");
            assertThat(c.get("status").asText()).isEqualTo("FAIL");
            assertThat(c.get("message").asText()).contains("webui is not running");
        });

        // the output is the protocol's Check, field for field: it decodes into the records and
        // re-encodes to the same JSON (machine checks carry "service": null, not a missing field)
        List<Check> decoded = new ArrayList<>();
        for (JsonNode n : Json.parse(r.out())) {
            Check c = Protocol.check(n);
            assertThat(Json.write(Protocol.check(c))).isEqualTo(Json.write(n));
            decoded.add(c);
        }
        assertThat(decoded).hasSize(checks.size());
        assertThat(decoded)
                .contains(new Check(
                        "pid",
                        Check.Status.FAIL,
                        checks.findValues("message").stream()
                                .map(JsonNode::asText)
                                .filter(m -> m.contains("webui is not running"))
                                .findFirst()
                                .orElseThrow(),
                        "webui"));
        assertThat(decoded).anySatisfy(c -> {
            assertThat(c.check()).isEqualTo("memory");
            assertThat(c.service()).isNull();
        });
    }

    @Test
    void doctorExitsZeroWhenNothingFails() throws Exception {
        config("services: {}\n");
        Result r = lifeline("doctor");
        assertThat(r.out()).contains("OK    config").contains("0 failed");
        assertThat(r.exit()).as(r.out()).isZero();
    }

    @Test
    void doctorReportsABrokenConfigAsAFailAndStillChecksTheRest() throws Exception {
        config("services:\n  webui:\n    comand: x\n");
        Result r = lifeline("doctor", "--json");
        assertThat(r.exit()).isEqualTo(1);
        JsonNode first = new ObjectMapper().readTree(r.out()).get(0);
        assertThat(first.get("check").asText()).isEqualTo("config");
        assertThat(first.get("status").asText()).isEqualTo("FAIL");
        assertThat(first.get("message").asText()).contains("lifeline.yaml:3:").contains("comand");
        assertThat(r.out()).contains("\"memory\"");
    }

    @Test
    void errorsPrintsACountPerHourThenTheTopMessages() throws Exception {
        Files.writeString(home.resolve("logs/webui.log"), """
                2026-11-21 09:10:00,000 ERROR boom 1
                2026-11-21 09:20:00,000 INFO fine
                2026-11-21 10:05:00,000 ERROR failed to generate
                Traceback (most recent call last):
                  File "app.py", line 9, in gen
                OSError: [Errno 24] Too many open files
                2026-11-21 10:06:00,000 ERROR boom 2
                """);
        Result r = lifeline("errors", "webui");
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).containsPattern("2026-11-21 09:00\\s+1\n").containsPattern("2026-11-21 10:00\\s+2\n");
        assertThat(r.out()).contains("total: 3 errors");
        assertThat(r.out()).containsPattern("2×\\s+boom 2");
        assertThat(r.out()).contains("too many open files").contains("limits.open-files: 65536");

        Result json = lifeline("errors", "webui", "--json", "--since", "2026-11-21 10:00");
        JsonNode n = new ObjectMapper().readTree(json.out());
        assertThat(n.get("total").asInt()).isEqualTo(2);
    }

    @Test
    void errorsForAServiceWithoutALogSaysSo() throws Exception {
        Result r = lifeline("errors", "nope");
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err()).contains("no log for 'nope'");
    }

    @Test
    void notifyTestSendsOneEventToEveryWebhook() throws Exception {
        try (WebhookReceiver a = new WebhookReceiver();
                WebhookReceiver b = new WebhookReceiver()) {
            config("""
                    notify:
                      - webhook: %s
                      - webhook: %s
                        format: feishu
                    """.formatted(a.uri("/generic"), b.uri("/open-apis/bot/v2/hook/2b1d4c1e-8f6a-4e3b")));
            Result r = lifeline("notify", "test");
            assertThat(r.exit()).as(r.out() + r.err()).isZero();
            assertThat(a.bodies()).hasSize(1);
            assertThat(b.bodies()).hasSize(1);
            assertThat(new ObjectMapper()
                            .readTree(a.bodies().get(0))
                            .get("type")
                            .asText())
                    .isEqualTo("test");
            assertThat(new ObjectMapper()
                            .readTree(b.bodies().get(0))
                            .get("msg_type")
                            .asText())
                    .isEqualTo("text");
            assertThat(r.out()).contains("2 of 2 webhooks accepted").doesNotContain("2b1d4c1e-8f6a-4e3b");
        }
    }

    @Test
    void serviceInstallWritesTheUnitOnceAndSaysSo() throws Exception {
        Path units = tmp.resolve("units");
        Path calls = tmp.resolve("calls.txt");
        Path stub = tmp.resolve("systemctl");
        Files.writeString(stub, "#!/bin/sh\necho \"$*\" >> '" + calls + "'\n");
        Files.setPosixFilePermissions(stub, PosixFilePermissions.fromString("rwxr-xr-x"));
        String[] args = {
            "service",
            "install",
            "--assume-systemd",
            "--unit-dir",
            units.toString(),
            "--service-manager",
            stub.toString()
        };

        Result first = lifeline(args);
        assertThat(first.exit()).as(first.out() + first.err()).isZero();
        assertThat(first.out())
                .contains("wrote " + units.resolve("lifeline.service"))
                .contains("KillMode=process");
        assertThat(Files.readString(units.resolve("lifeline.service")))
                .contains("Environment=LIFELINE_HOME=" + home)
                .containsPattern("ExecStart=.*java.* daemon\n");

        Result second = lifeline(args);
        assertThat(second.out()).contains("already current (unchanged)");
        assertThat(Files.readAllLines(calls))
                .containsExactly("daemon-reload", "enable --now lifeline.service", "enable --now lifeline.service");
    }
}
