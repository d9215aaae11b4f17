import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The dashboard benchmark's client (run as a single-file program: java bench/DashLoad.java MODE …).
 *
 * <pre>
 *   api  BASE TOKEN CLIENTS SECONDS [PACE_MS]   (after 3 s of warm-up, not counted) CLIENTS threads, each its own connection, GET /api/services back
 *                                     to back (or one every PACE_MS each): requests, errors, p50/p90/p99/max in ms
 *   page BASE TOKEN SECONDS           what an open page does: /api/events open, GET /api/services every 1 s
 *   sse  BASE TOKEN COUNT SECONDS     reads /api/events for up to SECONDS or COUNT events; for each event the
 *                                     delay from its own "time" (stamped in the daemon) to its arrival: p50/p99/max
 * </pre>
 */
public class DashLoad {
    public static void main(String[] a) throws Exception {
        switch (a[0]) {
            case "api" -> api(a[1], a[2], Integer.parseInt(a[3]), Integer.parseInt(a[4]), a.length > 5 ? Integer.parseInt(a[5]) : 0);
            case "page" -> page(a[1], a[2], Integer.parseInt(a[3]));
            case "sse" -> sse(a[1], a[2], Integer.parseInt(a[3]), Integer.parseInt(a[4]));
            default -> throw new IllegalArgumentException(a[0]);
        }
    }

    static void api(String base, String token, int clients, int seconds, int paceMillis) throws Exception {
        List<Long> all = Collections.synchronizedList(new ArrayList<>());
        AtomicInteger errors = new AtomicInteger();
        // the first 3 s warm this JVM's HTTP clients and JIT up (and the server's): not counted
        long from = System.nanoTime() + 3_000_000_000L;
        long end = from + seconds * 1_000_000_000L;
        CountDownLatch done = new CountDownLatch(clients);
        for (int i = 0; i < clients; i++) {
            Thread t = new Thread(() -> {
                HttpClient c = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
                HttpRequest r = HttpRequest.newBuilder(URI.create(base + "api/services"))
                        .header("Authorization", "Bearer " + token)
                        .timeout(Duration.ofSeconds(10))
                        .build();
                List<Long> mine = new ArrayList<>();
                while (System.nanoTime() < end) {
                    long t0 = System.nanoTime();
                    try {
                        HttpResponse<byte[]> resp = c.send(r, HttpResponse.BodyHandlers.ofByteArray());
                        if (resp.statusCode() != 200) {
                            errors.incrementAndGet();
                        }
                    } catch (Exception e) {
                        errors.incrementAndGet();
                    }
                    long took = System.nanoTime() - t0;
                    if (t0 >= from) {
                        mine.add(took);
                    }
                    long left = paceMillis * 1_000_000L - took;
                    if (left > 0) {
                        try {
                            Thread.sleep(left / 1_000_000, (int) (left % 1_000_000));
                        } catch (InterruptedException e) {
                            break;
                        }
                    }
                }
                all.addAll(mine);
                done.countDown();
            });
            t.start();
        }
        done.await(seconds + 33L, TimeUnit.SECONDS);
        List<Long> s = new ArrayList<>(all);
        Collections.sort(s);
        System.out.printf(
                "api: %d clients %d s" + (paceMillis > 0 ? ", one request every " + paceMillis + " ms each" : ", back to back")
                        + ": %d requests (%.0f/s), %d errors, p50 %.2f ms, p90 %.2f ms, p99 %.2f ms, max %.2f ms%n",
                clients, seconds, s.size(), s.size() / (double) seconds, errors.get(), pct(s, 50), pct(s, 90), pct(s, 99),
                s.isEmpty() ? 0 : s.get(s.size() - 1) / 1e6);
    }

    static void page(String base, String token, int seconds) throws Exception {
        HttpClient c = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        var stream = c.sendAsync(
                HttpRequest.newBuilder(URI.create(base + "api/events"))
                        .header("Authorization", "Bearer " + token)
                        .build(),
                HttpResponse.BodyHandlers.ofLines());
        HttpRequest r = HttpRequest.newBuilder(URI.create(base + "api/services"))
                .header("Authorization", "Bearer " + token)
                .timeout(Duration.ofSeconds(10))
                .build();
        int n = 0;
        for (int i = 0; i < seconds; i++) {
            long t0 = System.nanoTime();
            c.send(r, HttpResponse.BodyHandlers.discarding());
            n++;
            long left = 1_000_000_000L - (System.nanoTime() - t0);
            if (left > 0) {
                Thread.sleep(left / 1_000_000);
            }
        }
        stream.cancel(true);
        System.out.println("page: " + n + " polls of /api/services with /api/events open");
    }

    static void sse(String base, String token, int count, int seconds) throws Exception {
        HttpClient c = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        List<Double> lat = Collections.synchronizedList(new ArrayList<>());
        Pattern time = Pattern.compile("\"time\":\"([^\"]+)\"");
        CountDownLatch enough = new CountDownLatch(1);
        AtomicBoolean ready = new AtomicBoolean();
        var f = c.sendAsync(
                HttpRequest.newBuilder(URI.create(base + "api/events"))
                        .header("Authorization", "Bearer " + token)
                        .build(),
                HttpResponse.BodyHandlers.fromLineSubscriber(new Flow.Subscriber<String>() {
                    @Override
                    public void onSubscribe(Flow.Subscription s) {
                        s.request(Long.MAX_VALUE);
                    }

                    @Override
                    public void onNext(String line) {
                        Instant now = Instant.now();
                        if (line.startsWith(": connected")) {
                            ready.set(true);
                            System.out.println("sse: connected");
                        }
                        if (line.startsWith("data: ")) {
                            Matcher m = time.matcher(line);
                            if (m.find()) {
                                Instant t = Instant.parse(m.group(1));
                                lat.add(Duration.between(t, now).toNanos() / 1e6);
                                if (lat.size() >= count) {
                                    enough.countDown();
                                }
                            }
                        }
                    }

                    @Override
                    public void onError(Throwable t) {
                        enough.countDown();
                    }

                    @Override
                    public void onComplete() {
                        enough.countDown();
                    }
                }));
        enough.await(seconds, TimeUnit.SECONDS);
        f.cancel(true);
        List<Double> s = new ArrayList<>(lat);
        Collections.sort(s);
        System.out.printf(
                "sse: %d events, delay from the event's time to arrival: p50 %.2f ms, p99 %.2f ms, max %.2f ms%n",
                s.size(),
                s.isEmpty() ? 0 : s.get((int) (s.size() * 0.5)),
                s.isEmpty() ? 0 : s.get(Math.min(s.size() - 1, (int) Math.ceil(s.size() * 0.99) - 1)),
                s.isEmpty() ? 0 : s.get(s.size() - 1));
    }

    static double pct(List<Long> sorted, int p) {
        if (sorted.isEmpty()) {
            return 0;
        }
        int i = Math.min(sorted.size() - 1, (int) Math.ceil(sorted.size() * p / 100.0) - 1);
        return sorted.get(Math.max(0, i)) / 1e6;
    }
}
