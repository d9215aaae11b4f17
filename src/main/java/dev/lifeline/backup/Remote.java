package dev.lifeline.backup;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lifeline.backup.s3.Bucket;
import dev.lifeline.backup.s3.S3Bucket;
import dev.lifeline.config.BackupSpec;
import dev.lifeline.config.BackupSpec.S3Spec;
import dev.lifeline.core.Event;
import dev.lifeline.core.EventListener;
import dev.lifeline.core.LifelineException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;

/**
 * The S3 mirror: {@code <prefix>vault.json}, {@code <prefix>objects/ab/<name>},
 * {@code <prefix>snapshots/<id>.json}. Objects go first (skipped when present), a manifest only
 * once all its objects are there, so a bucket never names what it lacks; an interrupted push is
 * resumed by the next one. Upload failures are retried with exponential backoff.
 *
 * <p>Defaults: 4 attempts per object, backoff 250 ms doubling.
 */
final class Remote implements SnapshotSource, AutoCloseable {
    static final int ATTEMPTS = 4;
    static final Duration FIRST_BACKOFF = Duration.ofMillis(250);
    private static final ObjectMapper JSON = new ObjectMapper();

    interface Factory {
        /** Opens the bucket, pacing every upload through {@code uploads}. */
        Bucket open(S3Spec spec, Bucket.Throttle uploads);

        // a lambda, not a method reference: the SDK loads only when used
        Factory S3 = (spec, uploads) -> S3Bucket.open(spec, uploads);
    }

    /** A test seam: runs once a push has uploaded its objects, before it uploads any manifest. */
    @FunctionalInterface
    interface PushHook {
        PushHook NONE = () -> {};

        void objectsUploaded() throws InterruptedException;
    }

    private final Bucket bucket;
    private final String prefix;
    private final Crypto crypto; // null: plain

    private Remote(Bucket bucket, String prefix, Crypto crypto) {
        this.bucket = bucket;
        this.prefix = prefix;
        this.crypto = crypto;
    }

    /** Connects, reading (or, when {@code create}, writing) the bucket's vault.json. */
    static Remote connect(BackupSpec spec, Factory factory, Map<String, String> env, boolean create) {
        return connect(spec, factory, env, create, false);
    }

    /** Like {@link #connect}, but null when the bucket holds no vault yet (nothing was pushed). */
    static Remote connectIfPresent(BackupSpec spec, Factory factory, Map<String, String> env) {
        return connect(spec, factory, env, false, true);
    }

    private static Remote connect(
            BackupSpec spec, Factory factory, Map<String, String> env, boolean create, boolean missingOk) {
        S3Spec s3 = spec.s3()
                .orElseThrow(() -> new LifelineException(
                        "no remote is configured", "add backup.remote.s3 (endpoint, bucket, prefix) to lifeline.yaml"));
        // one limiter for the whole connection: the cap holds for all concurrent uploads together
        Bucket b = factory.open(s3, new RateLimiter(spec.bandwidth()));
        try {
            JsonNode marker = null;
            try (InputStream in = b.open(s3.prefix() + "vault.json")) {
                marker = JSON.readTree(in);
            } catch (NoSuchFileException e) {
                if (missingOk) {
                    b.close();
                    return null;
                }
                if (!create) {
                    throw new LifelineException(
                            "no Lifeline vault at " + b.describe(),
                            "check backup.remote.s3 (bucket, prefix); a push creates it");
                }
            }
            JsonNode enc = marker == null ? null : marker.get("encryption");
            boolean remoteEncrypted = enc != null && !enc.isNull();
            if (marker != null && remoteEncrypted != spec.encryption().isPresent()) {
                throw new LifelineException(
                        "the remote vault at " + b.describe() + " is " + (remoteEncrypted ? "" : "not ")
                                + "encrypted, but lifeline.yaml says "
                                + (spec.encryption().isPresent() ? "encryption is on" : "nothing about encryption"),
                        remoteEncrypted
                                ? "add backup.encryption with the passphrase source"
                                : "use another prefix for an encrypted mirror");
            }
            Crypto crypto = null;
            if (spec.encryption().isPresent()) {
                char[] pass = Crypto.passphrase(spec.encryption().get(), env);
                if (marker == null) {
                    ObjectNode e = JSON.createObjectNode().put("cipher", Crypto.CIPHER);
                    crypto = Crypto.create(pass, e); // records the KDF and its parameters in e
                    e.put("check", crypto.check());
                    marker = JSON.createObjectNode()
                            .put("format", "lifeline-vault/1")
                            .set("encryption", e);
                } else {
                    crypto = Crypto.open(pass, enc, b.describe()); // with the KDF that enc records
                    if (!crypto.check().equals(enc.path("check").asText())) {
                        throw new LifelineException(
                                "the passphrase does not open the remote vault at " + b.describe(),
                                "use the passphrase the mirror was created with");
                    }
                }
            } else if (marker == null) {
                marker = JSON.createObjectNode()
                        .put("format", "lifeline-vault/1")
                        .putNull("encryption");
            }
            if (create) {
                b.put(s3.prefix() + "vault.json", JSON.writeValueAsBytes(marker));
            }
            return new Remote(b, s3.prefix(), crypto);
        } catch (IOException e) {
            b.close();
            throw new LifelineException(
                    e.getMessage(),
                    "check the endpoint, bucket and credentials (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or the AWS credential chain)",
                    e);
        } catch (RuntimeException e) {
            b.close();
            throw e;
        }
    }

    String objectKey(String sha256) {
        String name = crypto == null ? sha256 : crypto.name(sha256);
        return prefix + "objects/" + name.substring(0, 2) + "/" + name;
    }

    String snapshotKey(String id) {
        return prefix + "snapshots/" + id + ".json";
    }

    String objectsPrefix() {
        return prefix + "objects/";
    }

    String snapshotsPrefix() {
        return prefix + "snapshots/";
    }

    Bucket bucket() {
        return bucket;
    }

    /** Snapshot id to manifest key, for every {@code snapshots/<id>.json} in the bucket. */
    Map<String, String> manifestKeys() throws IOException {
        Map<String, String> out = new java.util.TreeMap<>();
        for (String key : bucket.list(snapshotsPrefix())) {
            String name = key.substring(key.lastIndexOf('/') + 1);
            if (name.endsWith(".json") && key.equals(snapshotsPrefix() + name)) {
                out.put(name.substring(0, name.length() - 5), key);
            }
        }
        return out;
    }

    /** Whether a key under objects/ has the form this mirror writes ({@code objects/ab/<64 hex>}). */
    boolean isObjectKey(String key) {
        if (!key.startsWith(objectsPrefix())) {
            return false;
        }
        String rest = key.substring(objectsPrefix().length());
        return rest.length() == 67
                && rest.charAt(2) == '/'
                && Layout.HASH.matcher(rest.substring(3)).matches()
                && rest.startsWith(rest.substring(3, 5));
    }

    /** The size an object of {@code plainSize} bytes has in the bucket: encryption adds magic, nonce and tag. */
    long storedSize(long plainSize) {
        return crypto == null ? plainSize : plainSize + 4 + 12 + 16;
    }

    PushResult push(Repository repo, EventListener events, ExecutorService pool)
            throws IOException, InterruptedException {
        return push(repo, events, pool, PushHook.NONE);
    }

    /**
     * Uploads every snapshot the bucket lacks, objects first. Just before the manifests go up, the
     * objects they name are listed again and any that vanished meanwhile (a prune on another
     * machine sharing the prefix, which cannot see them in use before their manifest is there) are
     * uploaded again, so a manifest never lands naming an object the push found or put earlier.
     */
    PushResult push(Repository repo, EventListener events, ExecutorService pool, PushHook hook)
            throws IOException, InterruptedException {
        long t0 = System.nanoTime();
        Set<String> remoteObjects = bucket.list(prefix + "objects/");
        Set<String> remoteSnaps = bucket.list(prefix + "snapshots/");
        Map<String, Manifest> missing = new LinkedHashMap<>();
        for (Snapshot s : repo.snapshots()) {
            if (!remoteSnaps.contains(snapshotKey(s.id()))) {
                missing.put(s.id(), repo.manifest(s.id()));
            }
        }
        Set<String> needed = new LinkedHashSet<>();
        long present = 0;
        for (Manifest m : missing.values()) {
            for (FileEntry f : m.files()) {
                if (remoteObjects.contains(objectKey(f.sha256()))) {
                    present++;
                } else {
                    needed.add(f.sha256());
                }
            }
        }
        Map<String, Future<Long>> uploads = new LinkedHashMap<>();
        for (String sha : needed) {
            uploads.put(sha, pool.submit(() -> uploadWithRetry(repo, sha, events)));
        }
        Set<String> failed = Collections.synchronizedSet(new LinkedHashSet<>());
        List<String> failures = new ArrayList<>();
        long bytes = 0;
        long done = 0;
        for (Map.Entry<String, Future<Long>> u : uploads.entrySet()) {
            try {
                bytes += u.getValue().get();
                done++;
            } catch (ExecutionException e) {
                failed.add(u.getKey());
                failures.add("object " + u.getKey() + ": " + e.getCause().getMessage());
            }
            if ((done + failed.size()) % 100 == 0) {
                events.onEvent(Event.of(
                        "backup",
                        "progress",
                        Event.Level.INFO,
                        "uploaded " + done + "/" + uploads.size() + " objects",
                        Map.of("done", done, "total", uploads.size(), "bytes", bytes)));
            }
        }
        hook.objectsUploaded();
        if (!missing.isEmpty()) {
            Set<String> now = bucket.list(objectsPrefix());
            Set<String> gone = new LinkedHashSet<>();
            for (Manifest m : missing.values()) {
                for (FileEntry f : m.files()) {
                    if (!failed.contains(f.sha256()) && !now.contains(objectKey(f.sha256()))) {
                        gone.add(f.sha256());
                    }
                }
            }
            if (!gone.isEmpty()) {
                events.onEvent(Event.of(
                        "backup",
                        "objects-vanished",
                        Event.Level.WARN,
                        gone.size() + " object(s) left " + bucket.describe()
                                + " while this push ran (a prune on another machine?); uploading them again",
                        Map.of("objects", gone.size())));
                for (String sha : gone) {
                    try {
                        bytes += uploadWithRetry(repo, sha, events);
                        done++;
                    } catch (IOException e) {
                        failed.add(sha);
                        failures.add("object " + sha + ": " + e.getMessage());
                    }
                }
            }
        }
        int snaps = 0;
        for (Manifest m : missing.values()) {
            if (m.files().stream().anyMatch(f -> failed.contains(f.sha256()))) {
                failures.add("snapshot " + m.id() + ": not uploaded, some of its objects failed");
                continue;
            }
            byte[] body = Files.readAllBytes(repo.layout().snapshot(m.id()));
            byte[] sealed = crypto == null ? body : crypto.encrypt(body);
            try {
                withRetry("snapshot " + m.id(), events, () -> bucket.put(snapshotKey(m.id()), sealed));
                snaps++;
            } catch (IOException e) {
                failures.add("snapshot " + m.id() + ": " + e.getMessage());
            }
        }
        events.onEvent(Event.of(
                "backup",
                "pushed",
                failures.isEmpty() ? Event.Level.INFO : Event.Level.WARN,
                "mirrored " + snaps + " snapshot(s), " + done + " object(s) to " + bucket.describe()
                        + (failures.isEmpty() ? "" : "; " + failures.size() + " failure(s), the next push resumes"),
                Map.of("objects", done, "bytes", bytes, "snapshots", snaps)));
        return new PushResult(done, bytes, present, snaps, failures, Duration.ofNanos(System.nanoTime() - t0));
    }

    private long uploadWithRetry(Repository repo, String sha, EventListener events)
            throws IOException, InterruptedException {
        Path local = repo.store().path(sha);
        long size = Files.size(local);
        withRetry("object " + sha.substring(0, 12), events, () -> {
            if (crypto == null) {
                bucket.put(objectKey(sha), local);
                return;
            }
            Path tmp = Files.createTempFile(repo.layout().tmp(), "enc-", "");
            try {
                try (InputStream in = Files.newInputStream(local);
                        OutputStream out = Files.newOutputStream(tmp)) {
                    crypto.encrypt(in, out);
                }
                bucket.put(objectKey(sha), tmp);
            } finally {
                Files.deleteIfExists(tmp);
            }
        });
        return size;
    }

    /** One upload. */
    private interface Upload {
        void run() throws IOException;
    }

    /**
     * Runs {@code upload} up to {@link #ATTEMPTS} times, backing off from {@link #FIRST_BACKOFF}
     * and warning before each retry (the SDK's own quick retries happen inside each attempt; these
     * outlast a burst of dead pooled connections or a short outage). The last failure is thrown.
     */
    private static void withRetry(String what, EventListener events, Upload upload)
            throws IOException, InterruptedException {
        IOException last = null;
        for (int attempt = 1; attempt <= ATTEMPTS; attempt++) {
            try {
                upload.run();
                return;
            } catch (IOException e) {
                last = e;
                if (attempt < ATTEMPTS) {
                    long wait = FIRST_BACKOFF.toMillis() << (attempt - 1);
                    events.onEvent(Event.of(
                            "backup",
                            "upload-retry",
                            Event.Level.WARN,
                            "upload of " + what + " failed (" + e.getMessage() + "), retrying in " + wait + " ms",
                            Map.of("attempt", attempt)));
                    Thread.sleep(wait);
                }
            }
        }
        throw last;
    }

    // ------------------------------------------------------------------ reading back

    @Override
    public List<Snapshot> snapshots() throws IOException {
        List<Snapshot> out = new ArrayList<>();
        for (String key : bucket.list(prefix + "snapshots/")) {
            String name = key.substring(key.lastIndexOf('/') + 1);
            if (name.endsWith(".json")) {
                out.add(Manifest.decodeSummary(new ByteArrayInputStream(fetch(key)), name));
            }
        }
        out.sort(java.util.Comparator.comparing(Snapshot::time).thenComparing(Snapshot::id));
        return out;
    }

    @Override
    public Manifest manifest(String id) throws IOException {
        return Manifest.decode(new ByteArrayInputStream(fetch(snapshotKey(id))), "remote snapshot " + id);
    }

    private byte[] fetch(String key) throws IOException {
        try (InputStream in = bucket.open(key)) {
            byte[] raw = in.readAllBytes();
            return crypto == null ? raw : crypto.decrypt(raw, key);
        }
    }

    @Override
    public InputStream openObject(String sha256) throws IOException {
        if (crypto == null) {
            return bucket.open(objectKey(sha256));
        }
        return new ByteArrayInputStream(fetch(objectKey(sha256)));
    }

    @Override
    public String describe() {
        return bucket.describe();
    }

    @Override
    public void close() {
        bucket.close();
    }
}
