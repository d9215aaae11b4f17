package dev.lifeline.cli;

import static dev.lifeline.testing.Services.sh;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lifeline.process.Exec;
import dev.lifeline.testing.TestTimes;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The dashboard's server in a real daemon started by the real CLI, spoken to over real HTTP: the
 * token on every path, the cookie hand-off, the API's records, actions and their refusals, the
 * event stream, a client that stops reading, outputs and thumbnails.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DashboardServerTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int FILES = 1500;

    Path tmp;
    DaemonCli cli;
    Path project;
    Path outputs;
    URI base;
    String token;
    HttpClient http;

    @BeforeAll
    void upWithADashboard(@TempDir Path dir) throws Exception {
        tmp = dir;
        cli = new DaemonCli(tmp);
        outputs = Files.createDirectories(tmp.resolve("outputs"));
        project = cli.project(
                "app",
                "services:\n  alpha:\n    command: " + sh("echo started; exec sleep 1000")
                        + "\n    ready: { log: started }\n    outputs: " + outputs
                        + "\n    restart: { policy: always, backoff: 200ms..1s }"
                        + "\nbackup:\n  repository: " + tmp.resolve("repo")
                        + "\ndashboard: { listen: 127.0.0.1:0 }\n");
        DaemonCli.Result up = cli.run(project, "up");
        assertThat(up.exit()).as(up.toString()).isZero();
        DaemonCli.Result url = cli.run(project, "dashboard", "--url");
        assertThat(url.exit()).as(url.toString()).isZero();
        URI full = URI.create(url.out().strip());
        assertThat(full.getHost()).isEqualTo("127.0.0.1");
        assertThat(full.getQuery()).startsWith("token=");
        token = full.getQuery().substring("token=".length());
        base = URI.create("http://127.0.0.1:" + full.getPort());
        http = HttpClient.newBuilder()
                .connectTimeout(Duration.ofSeconds(5))
                .followRedirects(HttpClient.Redirect.NEVER)
                .build();
    }

    @AfterAll
    void down() throws Exception {
        cli.close();
    }

    private HttpRequest.Builder req(String path) {
        return HttpRequest.newBuilder(base.resolve(path)).timeout(TestTimes.SHORT);
    }

    private HttpRequest.Builder authed(String path) {
        return req(path).header("Authorization", "Bearer " + token);
    }

    private HttpResponse<String> send(HttpRequest.Builder r) throws Exception {
        return http.send(r.build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> post(String path) throws Exception {
        return send(authed(path).header("X-Lifeline", "1").POST(HttpRequest.BodyPublishers.ofString("{}")));
    }

    private long pid() throws Exception {
        return cli.pid(project, "alpha");
    }

    @Test
    void everyPathNeedsTheTokenAndTheTokenFileIsPrivate() throws Exception {
        for (String path : List.of(
                "/",
                "/index.html",
                "/assets/app.js",
                "/api/services",
                "/api/services/alpha/logs",
                "/api/events",
                "/api/objects/" + "0".repeat(64),
                "/metrics",
                "/no/such/route")) {
            HttpResponse<String> none = send(req(path));
            HttpResponse<String> wrong = send(req(path).header("Authorization", "Bearer " + "0".repeat(64)));
            HttpResponse<String> wrongCookie = send(req(path).header("Cookie", "lifeline_token=" + "1".repeat(64)));
            HttpResponse<String> wrongQuery = send(req(path + "?token=" + "2".repeat(64)));
            for (HttpResponse<String> r : List.of(none, wrong, wrongCookie, wrongQuery)) {
                assertThat(r.statusCode()).as(path).isEqualTo(401);
                assertThat(r.body()).as(path).isEqualTo("{\"error\":\"unauthorized\"}");
                assertThat(r.headers().firstValue("Set-Cookie")).isEmpty();
            }
        }
        long before = pid();
        HttpResponse<String> post = send(req("/api/services/alpha/restart")
                .header("X-Lifeline", "1")
                .POST(HttpRequest.BodyPublishers.ofString("{}")));
        assertThat(post.statusCode()).isEqualTo(401);
        assertThat(pid()).isEqualTo(before);
        assertThat(send(authed("/metrics")).statusCode()).isEqualTo(200);

        Path file = cli.home.resolve("dashboard.token");
        assertThat(Files.readString(file).strip()).isEqualTo(token).matches("[0-9a-f]{64}");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file)))
                .isEqualTo("rw-------");
        if (Exec.of("id", "-u").run().output().strip().equals("0")
                && Exec.of("id", "-u", "lifeline-test").run().ok()) {
            Exec.Result other = Exec.of("runuser", "-u", "lifeline-test", "--", "cat", file.toString())
                    .run();
            assertThat(other.ok())
                    .as("another local user reads the token: " + other.describe())
                    .isFalse();
            assertThat(other.output()).doesNotContain(token);
        }
    }

    @Test
    void theTokenInTheUrlBecomesAStrictHttpOnlyCookieAndTheBrowserGoesToTheCleanUrl() throws Exception {
        HttpResponse<String> r = send(req("/api/services?token=" + token + "&x=1"));

        assertThat(r.statusCode()).isEqualTo(303);
        assertThat(r.headers().firstValue("Location")).contains("/api/services?x=1");
        String cookie = r.headers().firstValue("Set-Cookie").orElseThrow();
        assertThat(cookie)
                .startsWith("lifeline_token=" + token + ";")
                .contains("HttpOnly")
                .contains("SameSite=Strict")
                .contains("Path=/");
        HttpResponse<String> withCookie = send(req("/api/services").header("Cookie", "lifeline_token=" + token));
        assertThat(withCookie.statusCode()).isEqualTo(200);
        HttpResponse<String> page = send(req("/").header("Cookie", "theme=dark; lifeline_token=" + token));
        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.headers().firstValue("Content-Type")).contains("text/html; charset=utf-8");
    }

    @Test
    void apiServicesIsWhatStatusJsonSays() throws Exception {
        HttpResponse<String> api = send(authed("/api/services"));
        DaemonCli.Result status = cli.run(project, "status", "--json");

        assertThat(api.statusCode()).isEqualTo(200);
        assertThat(api.headers().firstValue("Content-Type")).contains("application/json; charset=utf-8");
        JsonNode a = JSON.readTree(api.body());
        JsonNode s = JSON.readTree(status.out());
        assertThat(a.size()).isEqualTo(s.size()).isEqualTo(1);
        List<String> fieldsA = new ArrayList<>();
        a.get(0).fieldNames().forEachRemaining(fieldsA::add);
        List<String> fieldsS = new ArrayList<>();
        s.get(0).fieldNames().forEachRemaining(fieldsS::add);
        assertThat(fieldsA).isEqualTo(fieldsS);
        for (String stable : List.of("name", "pid", "state", "project", "restarts", "port", "log")) {
            assertThat(a.get(0).get(stable)).as(stable).isEqualTo(s.get(0).get(stable));
        }
    }

    @Test
    void restartFromTheApiRestartsTheServiceWithANewPid() throws Exception {
        long before = pid();

        HttpResponse<String> r = post("/api/services/alpha/restart");

        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(JSON.readTree(r.body()).path("name").asText()).isEqualTo("alpha");
        await().atMost(TestTimes.APP).until(() -> {
            JsonNode s = cli.services(project).get("alpha");
            return s.path("pid").asLong() != before && s.path("state").asText().equals("ready");
        });
    }

    @Test
    void badRequestsGetAClear4xxAndChangeNothing() throws Exception {
        long before = pid();
        HttpRequest.BodyPublisher empty = HttpRequest.BodyPublishers.ofString("{}");

        HttpResponse<String> noHeader = send(authed("/api/services/alpha/stop").POST(empty));
        assertThat(noHeader.statusCode()).isEqualTo(403);
        assertThat(JSON.readTree(noHeader.body()).path("error").asText()).contains("X-Lifeline");

        HttpResponse<String> foreign = send(authed("/api/services/alpha/stop")
                .header("X-Lifeline", "1")
                .header("Origin", "http://evil.example")
                .POST(empty));
        assertThat(foreign.statusCode()).isEqualTo(403);

        HttpResponse<String> unknown = post("/api/services/nosuch/restart");
        assertThat(unknown.statusCode()).isEqualTo(404);
        assertThat(JSON.readTree(unknown.body()).path("error").asText()).contains("nosuch");
        assertThat(send(authed("/api/services/nosuch/logs")).statusCode()).isEqualTo(404);
        assertThat(send(authed("/api/nothing")).statusCode()).isEqualTo(404);
        assertThat(send(authed("/api/objects/" + "a".repeat(64))).statusCode()).isEqualTo(404);

        HttpResponse<String> getAction = send(authed("/api/services/alpha/stop"));
        assertThat(getAction.statusCode()).isEqualTo(405);
        assertThat(getAction.headers().firstValue("Allow")).contains("POST");
        HttpResponse<String> postList =
                send(authed("/api/services").header("X-Lifeline", "1").POST(empty));
        assertThat(postList.statusCode()).isEqualTo(405);
        assertThat(postList.headers().firstValue("Allow")).contains("GET, HEAD");

        HttpResponse<String> big = send(authed("/api/services/alpha/stop")
                .header("X-Lifeline", "1")
                .POST(HttpRequest.BodyPublishers.ofString("{\"x\":\"" + "a".repeat(70 * 1024) + "\"}")));
        assertThat(big.statusCode()).isEqualTo(413);

        HttpResponse<String> badQuery = send(authed("/api/find?q=steps%3A%20ten"));
        assertThat(badQuery.statusCode()).as(badQuery.body()).isEqualTo(400);
        assertThat(JSON.readTree(badQuery.body()).path("error").asText()).contains("steps");
        assertThat(JSON.readTree(badQuery.body()).path("hint").asText()).contains("10-30");

        for (String path : List.of(
                "/assets/../../etc/passwd",
                "/assets/..%2f..%2fetc%2fpasswd",
                "/assets/%2e%2e/%2e%2e/etc/passwd",
                "/assets/../index.html",
                "/api/objects/../../dashboard.token",
                "/api/objects/" + "A".repeat(64),
                "/api/objects/xyz",
                "/api/objects/" + "a".repeat(63) + "/thumb")) {
            int status = raw("GET " + path + " HTTP/1.1\r\nHost: " + base.getAuthority() + "\r\nAuthorization: Bearer "
                    + token + "\r\nConnection: close\r\n\r\n");
            assertThat(status).as(path).isBetween(400, 404);
        }
        assertThat(pid()).as("nothing was stopped").isEqualTo(before);
        assertThat(cli.services(project).get("alpha").path("state").asText()).isEqualTo("ready");
    }

    @Test
    void headAnswersEveryGetRouteWithItsStatusAndHeadersAndNoBody() throws Exception {
        for (String path : List.of(
                "/",
                "/index.html",
                "/assets/app.js",
                "/assets/app.css",
                "/api/services",
                "/api/services/alpha",
                "/api/services/alpha/logs?n=5",
                "/api/services/alpha/errors",
                "/api/tunnels",
                "/api/backup",
                "/api/outputs",
                "/api/find?q=",
                "/api/dashboard",
                "/api/doctor?service=alpha",
                "/metrics",
                "/api/services/nosuch",
                "/api/objects/" + "a".repeat(64),
                "/no/such/route")) {
            HttpResponse<String> get = send(authed(path));
            Raw head = rawHead(path, "Authorization: Bearer " + token);

            assertThat(head.status()).as(path).isEqualTo(get.statusCode());
            assertThat(head.body()).as(path + ": no body after the headers").isEmpty();
            assertThat(head.header("content-type"))
                    .as(path)
                    .isEqualTo(get.headers().firstValue("Content-Type").orElse(null));
            assertThat(head.header("x-content-type-options")).as(path).isEqualTo("nosniff");
            assertThat(head.header("content-length")).as(path).matches("\\d+");
            if (path.equals("/") || path.startsWith("/assets/") || get.statusCode() == 404) {
                assertThat(Long.parseLong(head.header("content-length")))
                        .as(path)
                        .isEqualTo(get.body().getBytes(StandardCharsets.UTF_8).length);
            }
        }
        assertThat(rawHead("/index.html", "Authorization: Bearer " + token).header("content-security-policy"))
                .contains("default-src 'self'");
        // the streams: their headers at once, and no stream is opened (the request ends)
        for (String path : List.of("/api/events", "/api/services/alpha/logs/stream")) {
            Raw head = rawHead(path, "Authorization: Bearer " + token);
            assertThat(head.status()).as(path).isEqualTo(200);
            assertThat(head.header("content-type")).as(path).startsWith("text/event-stream");
            assertThat(head.body()).as(path).isEmpty();
        }
        // the same rules: no token, 401 and no detail; a POST route, 405 naming POST
        Raw none = rawHead("/api/services", "X-None: 1");
        assertThat(none.status()).isEqualTo(401);
        assertThat(none.body()).isEmpty();
        assertThat(rawHead("/metrics", "Cookie: lifeline_token=" + "1".repeat(64))
                        .status())
                .isEqualTo(401);
        long before = pid();
        Raw action = rawHead("/api/services/alpha/restart", "Authorization: Bearer " + token);
        assertThat(action.status()).isEqualTo(405);
        assertThat(action.header("allow")).isEqualTo("POST");
        assertThat(pid()).isEqualTo(before);
        HttpResponse<String> delete = send(authed("/api/services").DELETE());
        assertThat(delete.statusCode()).isEqualTo(405);
        assertThat(delete.headers().firstValue("Allow")).contains("GET, HEAD");
    }

    /** A raw response: status, headers by lower-case name, and whatever came after the blank line. */
    record Raw(int status, java.util.Map<String, String> headers, String body) {
        String header(String name) {
            return headers.get(name);
        }
    }

    /** HEAD as typed, on a connection the server closes after the answer: all it sent. */
    private Raw rawHead(String path, String header) throws IOException {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", base.getPort()), 5000);
            s.setSoTimeout(10_000);
            s.getOutputStream()
                    .write(("HEAD " + path + " HTTP/1.1\r\nHost: " + base.getAuthority() + "\r\n" + header
                                    + "\r\nConnection: close\r\n\r\n")
                            .getBytes(StandardCharsets.ISO_8859_1));
            String all = new String(s.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
            int end = all.indexOf("\r\n\r\n");
            assertThat(end).as(all).isPositive();
            java.util.Map<String, String> headers = new java.util.HashMap<>();
            String[] lines = all.substring(0, end).split("\r\n");
            for (int i = 1; i < lines.length; i++) {
                int colon = lines[i].indexOf(':');
                headers.put(
                        lines[i].substring(0, colon).trim().toLowerCase(java.util.Locale.ROOT),
                        lines[i].substring(colon + 1).trim());
            }
            return new Raw(Integer.parseInt(lines[0].substring(9, 12)), headers, all.substring(end + 4));
        }
    }

    /** Sends one request as typed, without a client normalising its path; the status code. */
    private int raw(String request) throws IOException {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", base.getPort()), 5000);
            s.setSoTimeout(10_000);
            s.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
            String line = new String(s.getInputStream().readNBytes(12), StandardCharsets.ISO_8859_1);
            return Integer.parseInt(line.substring(9, 12));
        }
    }

    @Test
    void theEventStreamShowsACrashWithoutPolling() throws Exception {
        BlockingQueue<String> lines = new LinkedBlockingQueue<>();
        CompletableFuture<HttpResponse<Void>> stream = http.sendAsync(
                authed("/api/events").timeout(TestTimes.APP.multipliedBy(2)).build(),
                HttpResponse.BodyHandlers.fromLineSubscriber(new LineCollector(lines)));
        try {
            await().atMost(TestTimes.SHORT).until(() -> lines.contains(": connected"));
            long before = pid();

            assertThat(new ProcessBuilder("kill", "-9", Long.toString(before))
                            .start()
                            .waitFor())
                    .isZero();

            await().atMost(TestTimes.SHORT).until(() -> lines.contains("event: crashed"));
            String data = lines.stream()
                    .filter(l -> l.startsWith("data: ") && l.contains("\"type\":\"crashed\""))
                    .findFirst()
                    .orElseThrow();
            JsonNode e = JSON.readTree(data.substring(6));
            assertThat(e.path("source").asText()).isEqualTo("service/alpha");
            assertThat(e.path("level").asText()).isIn("warn", "error");
            assertThat(e.has("time") && e.has("message") && e.has("fields")).isTrue();
        } finally {
            stream.cancel(true);
        }
        await().atMost(TestTimes.APP)
                .until(() -> cli.services(project)
                        .get("alpha")
                        .path("state")
                        .asText()
                        .equals("ready"));
    }

    @Test
    void aClientThatStopsReadingItsStreamDoesNotStallTheDaemon() throws Exception {
        List<Socket> stalled = new ArrayList<>();
        try {
            for (int i = 0; i < 3; i++) {
                Socket s = new Socket();
                s.setReceiveBufferSize(1024);
                s.connect(new InetSocketAddress("127.0.0.1", base.getPort()), 5000);
                s.getOutputStream()
                        .write(("GET /api/events HTTP/1.1\r\nHost: " + base.getAuthority()
                                        + "\r\nAuthorization: Bearer " + token + "\r\n\r\n")
                                .getBytes(StandardCharsets.ISO_8859_1));
                stalled.add(s); // and never read
            }
            // Many big events: one 'stored' per file the vault stores, each naming a path of some 3,800
            // characters (twice: message and fields), more than the stalled sockets' buffers can take.
            Path deep = outputs;
            for (int d = 0; d < 15; d++) {
                deep = deep.resolve(("d" + d + "-").repeat(80).substring(0, 240));
            }
            Files.createDirectories(deep);
            for (int i = 0; i < FILES; i++) {
                Files.writeString(deep.resolve("slow-" + i + ".txt"), "output " + i);
            }
            // every event went through the hub (it logs each before handing it to listeners such as
            // the streams): the vault's thread, which emits them, was never held up by the stalled clients
            Path daemonLog = cli.home.resolve("logs").resolve("daemon.log");
            await().atMost(TestTimes.APP).pollInterval(Duration.ofMillis(500)).until(() -> {
                try (var lines = Files.lines(daemonLog)) {
                    return lines.filter(l -> l.contains(" stored: stored ") && l.contains("/slow-"))
                                    .count()
                            == FILES;
                }
            });

            DaemonCli.Result status = cli.start(project, "status").await(TestTimes.SHORT);
            assertThat(status.exit()).as(status.toString()).isZero();
            assertThat(status.out()).contains("alpha");
            // a reader that keeps up still gets new events
            BlockingQueue<String> lines = new LinkedBlockingQueue<>();
            CompletableFuture<HttpResponse<Void>> fresh = http.sendAsync(
                    authed("/api/events").timeout(TestTimes.APP).build(),
                    HttpResponse.BodyHandlers.fromLineSubscriber(new LineCollector(lines)));
            try {
                await().atMost(TestTimes.SHORT).until(() -> lines.contains(": connected"));
                Files.writeString(outputs.resolve("after.txt"), "after");
                await().atMost(TestTimes.SHORT).until(() -> lines.stream().anyMatch(l -> l.contains("after.txt")));
            } finally {
                fresh.cancel(true);
            }
        } finally {
            for (Socket s : stalled) {
                s.close();
            }
        }
    }

    @Test
    void aStoredImageIsListedServedByItsHashAndGetsAThumbnail() throws Exception {
        BufferedImage img = new BufferedImage(1200, 800, BufferedImage.TYPE_INT_RGB);
        img.setRGB(10, 10, 0xff0000);
        ByteArrayOutputStream png = new ByteArrayOutputStream();
        ImageIO.write(img, "png", png);
        Path file = outputs.resolve("img-0001.png");
        Files.write(file, png.toByteArray());
        String sha =
                HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(png.toByteArray()));

        await().atMost(TestTimes.APP).until(() -> {
            JsonNode list = JSON.readTree(send(authed("/api/outputs?limit=50")).body());
            for (JsonNode o : list) {
                if (o.path("sha256").asText().equals(sha)) {
                    return o.path("path").asText().endsWith("/img-0001.png")
                            && o.path("size").asLong() == png.size()
                            && o.hasNonNull("storedAt");
                }
            }
            return false;
        });
        HttpResponse<byte[]> original =
                http.send(authed("/api/objects/" + sha).build(), HttpResponse.BodyHandlers.ofByteArray());
        assertThat(original.statusCode()).isEqualTo(200);
        assertThat(original.body()).isEqualTo(png.toByteArray());
        assertThat(original.headers().firstValue("Content-Type")).contains("image/png");

        HttpResponse<byte[]> first =
                http.send(authed("/api/objects/" + sha + "/thumb").build(), HttpResponse.BodyHandlers.ofByteArray());
        if (first.statusCode() == 404) {
            assertThat(first.headers().firstValue("Retry-After")).isPresent();
        }
        await().atMost(TestTimes.SHORT)
                .until(() -> http.send(
                                        authed("/api/objects/" + sha + "/thumb").build(),
                                        HttpResponse.BodyHandlers.ofByteArray())
                                .statusCode()
                        == 200);
        HttpResponse<byte[]> thumb =
                http.send(authed("/api/objects/" + sha + "/thumb").build(), HttpResponse.BodyHandlers.ofByteArray());
        assertThat(thumb.headers().firstValue("Content-Type")).contains("image/jpeg");
        BufferedImage t = ImageIO.read(new java.io.ByteArrayInputStream(thumb.body()));
        assertThat(Math.max(t.getWidth(), t.getHeight())).isEqualTo(320);
        Path cached = cli.home.resolve("thumbnails").resolve(sha + ".jpg");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(cached)))
                .isEqualTo("rw-------");
    }

    /** Collects the lines of a streamed body. */
    static final class LineCollector implements java.util.concurrent.Flow.Subscriber<String> {
        private final BlockingQueue<String> lines;

        LineCollector(BlockingQueue<String> lines) {
            this.lines = lines;
        }

        @Override
        public void onSubscribe(java.util.concurrent.Flow.Subscription s) {
            s.request(Long.MAX_VALUE);
        }

        @Override
        public void onNext(String item) {
            lines.add(item);
        }

        @Override
        public void onError(Throwable t) {}

        @Override
        public void onComplete() {}
    }
}
