package dev.lifeline.backup;

import dev.lifeline.core.EventListener;
import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;

/**
 * Verify for the S3 mirror: every object a manifest in the bucket names must be listed in the
 * bucket with the right size (one listing, nothing downloaded); with a sample or --read-data the
 * objects are downloaded, decrypted when the mirror is encrypted, and hashed again.
 */
final class RemoteVerifier {
    private final Remote remote;
    private final EventListener events;
    private final ExecutorService pool;

    RemoteVerifier(Remote remote, EventListener events, ExecutorService pool) {
        this.remote = remote;
        this.events = events;
        this.pool = pool;
    }

    VerifyResult run(double samplePercent) throws IOException, InterruptedException {
        long t0 = System.nanoTime();
        Map<String, String> keys = remote.manifestKeys();
        Map<String, Future<Manifest>> reads = new LinkedHashMap<>();
        for (String id : keys.keySet()) {
            reads.put(id, pool.submit(() -> remote.manifest(id)));
        }
        List<Manifest> manifests = new ArrayList<>();
        List<String> unreadable = new ArrayList<>();
        for (Map.Entry<String, Future<Manifest>> r : reads.entrySet()) {
            try {
                manifests.add(r.getValue().get());
            } catch (ExecutionException e) {
                unreadable.add(r.getKey() + ": " + e.getCause().getMessage());
            }
        }
        manifests.sort(java.util.Comparator.comparing(Manifest::time).thenComparing(Manifest::id));
        Map<String, Verifier.Need> needs = new LinkedHashMap<>();
        for (Manifest m : manifests) {
            for (FileEntry f : m.files()) {
                Verifier.Need.add(needs, f, m.id() + ":" + f.path());
            }
        }
        Map<String, Long> present = remote.bucket().sizes(remote.objectsPrefix());
        List<VerifyResult.Problem> problems = new ArrayList<>();
        Map<String, Future<String>> checks = new LinkedHashMap<>();
        long[] read = new long[2];
        for (Map.Entry<String, Verifier.Need> e : needs.entrySet()) {
            String sha = e.getKey();
            String key = remote.objectKey(sha);
            Long size = present.get(key);
            long expected = remote.storedSize(e.getValue().size());
            if (size == null) {
                problems.add(new VerifyResult.Problem(
                        "missing",
                        sha,
                        key + " is missing from the bucket",
                        e.getValue().users()));
                continue;
            }
            if (size != expected) {
                problems.add(new VerifyResult.Problem(
                        "wrong-size",
                        sha,
                        key + " is " + size + " bytes, expected " + expected,
                        e.getValue().users()));
                continue;
            }
            if (Verifier.sampled(samplePercent)) {
                read[0]++;
                read[1] += size;
                checks.put(sha, pool.submit(() -> hash(sha)));
            }
        }
        Verifier.collect(checks, sha -> needs.get(sha).users(), problems, events, "remote object", 100);
        return new VerifyResult(
                manifests.size(),
                needs.size(),
                read[0],
                read[1],
                problems,
                unreadable,
                java.time.Duration.ofNanos(System.nanoTime() - t0));
    }

    private String hash(String sha) throws IOException {
        MessageDigest md;
        try {
            md = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        try (InputStream in = remote.openObject(sha)) {
            byte[] buf = new byte[1 << 16];
            int n;
            while ((n = in.read(buf)) > 0) {
                md.update(buf, 0, n);
            }
        }
        return HexFormat.of().formatHex(md.digest());
    }
}
