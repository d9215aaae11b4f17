package dev.lifeline.catalog.meta;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

/**
 * Files per second of {@link MetaReader#read} over folders of images (bench/meta-read.sh runs
 * it): every file read once to warm up, then rounds over all of them on THREADS threads until
 * SECONDS have passed. Prints one line per folder: files, files/s, µs per file per thread, how
 * many had metadata.
 */
public final class MetaReadBench {
    private MetaReadBench() {}

    public static void main(String[] args) throws Exception {
        int threads = Integer.getInteger("threads", 2);
        double seconds = Double.parseDouble(System.getProperty("seconds", "5"));
        boolean stealth = Boolean.getBoolean("stealth");
        MetaOptions options = new MetaOptions(stealth, Map.of());
        for (String dir : args) {
            List<Path> files;
            try (Stream<Path> s = Files.walk(Path.of(dir))) {
                files = s.filter(Files::isRegularFile).sorted().toList();
            }
            long withMeta = files.stream()
                    .filter(f -> MetaReader.read(f, options).isPresent())
                    .count();
            for (int warm = 0; warm < 3; warm++) {
                files.forEach(f -> MetaReader.read(f, options));
            }
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            AtomicLong done = new AtomicLong();
            long start = System.nanoTime();
            long end = start + (long) (seconds * 1e9);
            List<Future<?>> jobs = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int offset = t;
                jobs.add(pool.submit(() -> {
                    int i = offset * files.size() / threads;
                    while (System.nanoTime() < end) {
                        MetaReader.read(files.get(i++ % files.size()), options);
                        done.incrementAndGet();
                    }
                }));
            }
            for (Future<?> j : jobs) {
                j.get();
            }
            pool.shutdown();
            double elapsed = (System.nanoTime() - start) / 1e9;
            double rate = done.get() / elapsed;
            System.out.printf(
                    "%s: %d files (%d with metadata), %d reads on %d threads in %.1f s: %.0f files/s, %.1f µs per file"
                            + " per thread%n",
                    dir, files.size(), withMeta, done.get(), threads, elapsed, rate, threads * 1e6 / rate);
        }
    }
}
