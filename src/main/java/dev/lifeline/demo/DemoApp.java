package dev.lifeline.demo;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.lifeline.process.Children;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.LocalDate;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.zip.CRC32;
import java.util.zip.Deflater;

/**
 * The demo model app bundled in the jar. It behaves like a Gradio app: loads a "model" for a few
 * seconds printing progress, prints "Running on local URL", then serves HTTP:
 *
 * <ul>
 *   <li>{@code GET /} a page; {@code GET /healthz} "ok"
 *   <li>{@code GET /generate?prompt=…&seed=N} writes a small PNG with an A1111-style {@code
 *       parameters} text chunk into the outputs folder
 *   <li>{@code GET /crash} exits with code 3; {@code GET /hang} stops answering (a hung app)
 *   <li>{@code GET /spawn?n=2} starts worker processes that outlive it unless the tree is ended
 * </ul>
 *
 * Options: {@code --port 7860 --load-seconds 5 --outputs DIR --workers 0 --generate-every 0}.
 */
public final class DemoApp {
    private final int port;
    private final double loadSeconds;
    private final Path outputs;
    private final AtomicInteger counter = new AtomicInteger();
    private volatile boolean hung;
    private final CountDownLatch forever = new CountDownLatch(1);

    private DemoApp(int port, double loadSeconds, Path outputs) {
        this.port = port;
        this.loadSeconds = loadSeconds;
        this.outputs = outputs;
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> o = new HashMap<>();
        for (int i = 0; i + 1 < args.length; i += 2) {
            o.put(args[i].replaceFirst("^--", ""), args[i + 1]);
        }
        DemoApp app = new DemoApp(
                Integer.parseInt(o.getOrDefault("port", "7860")),
                Double.parseDouble(o.getOrDefault("load-seconds", "5")),
                Path.of(o.getOrDefault("outputs", "outputs")));
        app.run(
                Integer.parseInt(o.getOrDefault("workers", "0")),
                Double.parseDouble(o.getOrDefault("generate-every", "0")));
    }

    private void run(int workers, double generateEvery) throws Exception {
        say("Loading model lifeline/demo-diffusion-tiny (pid "
                + ProcessHandle.current().pid() + ")");
        int steps = Math.max(1, (int) Math.round(loadSeconds * 2));
        for (int i = 1; i <= steps; i++) {
            Thread.sleep((long) (loadSeconds * 1000 / steps));
            say(String.format(Locale.ROOT, "Loading checkpoint shards: %3d%% (%d/%d)", 100 * i / steps, i, steps));
        }
        spawn(workers);
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 64);
        server.setExecutor(Executors.newFixedThreadPool(4));
        server.createContext("/", this::handle);
        server.start();
        say("Running on local URL:  http://127.0.0.1:" + port);
        if (generateEvery > 0) {
            Thread t = new Thread(
                    () -> {
                        while (true) {
                            try {
                                Thread.sleep((long) (generateEvery * 1000));
                                generate("a lighthouse at dusk, oil painting", counter.get() + 1000L);
                            } catch (InterruptedException e) {
                                return;
                            } catch (IOException e) {
                                say("ERROR cannot write output: " + e.getMessage());
                            }
                        }
                    },
                    "generator");
            t.setDaemon(true);
            t.start();
        }
        forever.await();
    }

    private void handle(HttpExchange ex) throws IOException {
        if (hung) {
            try {
                forever.await(); // a hung app: the connection is accepted but never answered
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return;
        }
        String path = ex.getRequestURI().getPath();
        Map<String, String> q = query(ex.getRequestURI().getRawQuery());
        switch (path) {
            case "/" -> send(ex, 200, "text/html; charset=utf-8", page());
            case "/healthz" -> send(ex, 200, "text/plain", "ok\n");
            case "/generate" -> {
                long seed = Long.parseLong(q.getOrDefault("seed", Long.toString(System.nanoTime() % 100000)));
                Path file = generate(q.getOrDefault("prompt", "a cat in a spacesuit"), seed);
                send(
                        ex,
                        200,
                        "application/json",
                        "{\"file\":\"" + file.toString().replace("\\", "/") + "\"}\n");
            }
            case "/crash" -> {
                send(ex, 200, "text/plain", "crashing\n");
                say(
                        "Traceback (most recent call last):\n  File \"app.py\", line 42, in generate\nRuntimeError: demo crash requested");
                System.exit(3);
            }
            case "/hang" -> {
                hung = true;
                say("WARNING: the app is now hung (it will never answer again)");
                send(ex, 200, "text/plain", "hanging\n");
            }
            case "/spawn" -> {
                int n = spawn(Integer.parseInt(q.getOrDefault("n", "1")));
                send(ex, 200, "text/plain", "spawned " + n + "\n");
            }
            default -> send(ex, 404, "text/plain", "not found\n");
        }
    }

    private int spawn(int n) throws IOException {
        for (int i = 0; i < n; i++) {
            // Workers that ignore their parent's death, as data-loader workers often do.
            Process p = Children.startDiscarding(List.of("sleep", "100000"));
            say("worker started, pid " + p.pid());
        }
        return n;
    }

    private Path generate(String prompt, long seed) throws IOException {
        int n = counter.incrementAndGet();
        Path dir = outputs.resolve(LocalDate.now().toString());
        Files.createDirectories(dir);
        String params = prompt + "\nNegative prompt: blurry\nSteps: 8, Sampler: Euler a, CFG scale: 1.5, Seed: " + seed
                + ", Size: 64x64, Model: demo-diffusion-tiny";
        byte[] png = png(64, 64, seed, params);
        Path file = dir.resolve(String.format(Locale.ROOT, "%05d-%d.png", n, seed));
        Path tmp = dir.resolve("." + file.getFileName() + ".tmp");
        Files.write(tmp, png);
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
        say("Generated " + file + " (seed " + seed + ")");
        return file;
    }

    /** A truecolor PNG with a tEXt "parameters" chunk, written by hand (no AWT needed). */
    static byte[] png(int w, int h, long seed, String parameters) throws IOException {
        ByteArrayOutputStream raw = new ByteArrayOutputStream();
        java.util.Random r = new java.util.Random(seed);
        int r0 = r.nextInt(256), g0 = r.nextInt(256), b0 = r.nextInt(256);
        for (int y = 0; y < h; y++) {
            raw.write(0);
            for (int x = 0; x < w; x++) {
                raw.write((r0 + x * 3) & 0xff);
                raw.write((g0 + y * 3) & 0xff);
                raw.write((b0 + (x ^ y)) & 0xff);
            }
        }
        Deflater d = new Deflater();
        d.setInput(raw.toByteArray());
        d.finish();
        ByteArrayOutputStream z = new ByteArrayOutputStream();
        byte[] buf = new byte[8192];
        while (!d.finished()) {
            z.write(buf, 0, d.deflate(buf));
        }
        d.end();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'});
        ByteArrayOutputStream ihdr = new ByteArrayOutputStream();
        DataOutputStream ih = new DataOutputStream(ihdr);
        ih.writeInt(w);
        ih.writeInt(h);
        ih.write(new byte[] {8, 2, 0, 0, 0});
        chunk(out, "IHDR", ihdr.toByteArray());
        ByteArrayOutputStream text = new ByteArrayOutputStream();
        text.write("parameters".getBytes(StandardCharsets.ISO_8859_1));
        text.write(0);
        text.write(parameters.getBytes(StandardCharsets.ISO_8859_1));
        chunk(out, "tEXt", text.toByteArray());
        chunk(out, "IDAT", z.toByteArray());
        chunk(out, "IEND", new byte[0]);
        return out.toByteArray();
    }

    private static void chunk(OutputStream out, String type, byte[] data) throws IOException {
        DataOutputStream o = new DataOutputStream(out);
        o.writeInt(data.length);
        byte[] t = type.getBytes(StandardCharsets.US_ASCII);
        o.write(t);
        o.write(data);
        CRC32 crc = new CRC32();
        crc.update(t);
        crc.update(data);
        o.writeInt((int) crc.getValue());
    }

    private String page() {
        return "<!doctype html><html><head><title>Lifeline demo model</title></head><body>"
                + "<h1>demo-diffusion-tiny</h1><p>A stand-in for a Gradio app, supervised by Lifeline.</p>"
                + "<p><a href=\"/generate\">generate an image</a> · <a href=\"/crash\">crash</a> · <a href=\"/hang\">hang</a>"
                + " · <a href=\"/spawn?n=2\">spawn 2 workers</a></p><p>images so far: " + counter.get()
                + "</p></body></html>\n";
    }

    private static void send(HttpExchange ex, int code, String type, String body) throws IOException {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", type);
        ex.sendResponseHeaders(code, b.length);
        try (OutputStream os = ex.getResponseBody()) {
            os.write(b);
        }
    }

    private static Map<String, String> query(String raw) {
        Map<String, String> q = new HashMap<>();
        if (raw != null) {
            for (String kv : raw.split("&")) {
                int eq = kv.indexOf('=');
                if (eq > 0) {
                    q.put(
                            URLDecoder.decode(kv.substring(0, eq), StandardCharsets.UTF_8),
                            URLDecoder.decode(kv.substring(eq + 1), StandardCharsets.UTF_8));
                }
            }
        }
        return q;
    }

    private static void say(String s) {
        System.out.println(s);
        System.out.flush();
    }
}
