package dev.lifeline.backup.s3;

import dev.lifeline.config.BackupSpec.S3Spec;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.ContentStreamProvider;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3ClientBuilder;
import software.amazon.awssdk.services.s3.model.CompletedMultipartUpload;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.DeleteObjectsResponse;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Request;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Response;
import software.amazon.awssdk.services.s3.model.ListPartsResponse;
import software.amazon.awssdk.services.s3.model.MultipartUpload;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.ObjectIdentifier;
import software.amazon.awssdk.services.s3.model.Part;
import software.amazon.awssdk.services.s3.model.S3Error;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * A bucket on any S3-compatible service, through the AWS SDK (the only place it is used).
 * Credentials come from the SDK's default chain: environment, system properties, profile files,
 * instance roles; they never appear in messages.
 *
 * <p>Defaults: multipart above 16 MiB in 8 MiB parts; the SDK's own retries stay on. Every
 * request body is read through the {@link Bucket.Throttle} it was opened with (at most 64 KiB at a
 * time), so a bandwidth cap holds for all uploads of this bucket together.
 */
public final class S3Bucket implements Bucket {
    static final long MULTIPART_THRESHOLD = 16L << 20;
    static final long PART_SIZE = 8L << 20;

    private final S3Client client;
    private final String bucket;
    private final long threshold;
    private final long partSize;
    private final String where;
    private final Throttle throttle;
    private volatile boolean multiDelete = true;

    private S3Bucket(S3Client client, String bucket, long threshold, long partSize, String where, Throttle throttle) {
        this.client = client;
        this.bucket = bucket;
        this.threshold = threshold;
        this.partSize = partSize;
        this.where = where;
        this.throttle = throttle;
    }

    public static S3Bucket open(S3Spec spec) {
        return open(spec, Throttle.NONE);
    }

    /** Uploads paced by {@code uploads}. */
    public static S3Bucket open(S3Spec spec, Throttle uploads) {
        return open(spec, MULTIPART_THRESHOLD, PART_SIZE, uploads);
    }

    /** With a custom multipart threshold and part size (at least 5 MiB, as S3 requires). */
    public static S3Bucket open(S3Spec spec, long multipartThreshold, long partSize) {
        return open(spec, multipartThreshold, partSize, Throttle.NONE);
    }

    public static S3Bucket open(S3Spec spec, long multipartThreshold, long partSize, Throttle uploads) {
        S3ClientBuilder b = S3Client.builder()
                .httpClient(UrlConnectionHttpClient.create())
                .region(Region.of(spec.region()))
                .forcePathStyle(spec.pathStyle());
        spec.endpoint().ifPresent(b::endpointOverride);
        String where = "s3://" + spec.bucket() + "/" + spec.prefix()
                + spec.endpoint()
                        .map(u -> " at " + u.getScheme() + "://" + u.getHost()
                                + (u.getPort() > 0 ? ":" + u.getPort() : ""))
                        .orElse("");
        return new S3Bucket(b.build(), spec.bucket(), multipartThreshold, partSize, where, uploads);
    }

    @Override
    public String describe() {
        return where;
    }

    private IOException wrap(String what, SdkException e) {
        String detail = e instanceof S3Exception s3
                ? s3.statusCode() + " "
                        + (s3.awsErrorDetails() == null
                                ? ""
                                : s3.awsErrorDetails().errorCode())
                : e.getClass().getSimpleName() + ": " + e.getMessage();
        return new IOException(what + " on " + where + " failed: " + detail, e);
    }

    @Override
    public Map<String, Entry> listing(String prefix) throws IOException {
        Map<String, Entry> keys = new HashMap<>();
        String token = null;
        try {
            do {
                ListObjectsV2Response r = client.listObjectsV2(ListObjectsV2Request.builder()
                        .bucket(bucket)
                        .prefix(prefix)
                        .continuationToken(token)
                        .build());
                for (S3Object o : r.contents()) {
                    // some services leave LastModified out: null, which callers treat as "recent"
                    keys.put(o.key(), new Entry(o.size() == null ? 0 : o.size(), o.lastModified()));
                }
                token = Boolean.TRUE.equals(r.isTruncated()) ? r.nextContinuationToken() : null;
            } while (token != null);
        } catch (SdkException e) {
            throw wrap("listing " + prefix, e);
        }
        return keys;
    }

    @Override
    public InputStream open(String key) throws IOException {
        try {
            return client.getObject(r -> r.bucket(bucket).key(key));
        } catch (NoSuchKeyException e) {
            throw new NoSuchFileException(key, null, "not in " + where);
        } catch (SdkException e) {
            throw wrap("download of " + key, e);
        }
    }

    @Override
    public void put(String key, byte[] data) throws IOException {
        try {
            client.putObject(
                    r -> r.bucket(bucket).key(key), body(() -> new java.io.ByteArrayInputStream(data), data.length));
        } catch (SdkException e) {
            throw wrap("upload of " + key, e);
        }
    }

    @Override
    public void put(String key, Path file) throws IOException {
        long size = java.nio.file.Files.size(file);
        if (size <= threshold) {
            try {
                client.putObject(r -> r.bucket(bucket).key(key), body(() -> open(file), size));
            } catch (SdkException e) {
                throw wrap("upload of " + key, e);
            }
            return;
        }
        // resume an upload an earlier attempt left (S3 keeps its parts); else start one
        String found = unfinishedUpload(key);
        String uploadId;
        try {
            uploadId = found != null
                    ? found
                    : client.createMultipartUpload(r -> r.bucket(bucket).key(key))
                            .uploadId();
        } catch (SdkException e) {
            throw wrap("starting multipart upload of " + key, e);
        }
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            Map<Integer, String> done = found == null ? Map.of() : uploadedParts(key, uploadId);
            List<CompletedPart> parts = new ArrayList<>();
            int number = 1;
            for (long off = 0; off < size; off += partSize, number++) {
                int len = (int) Math.min(partSize, size - off);
                java.nio.ByteBuffer buf = java.nio.ByteBuffer.allocate(len);
                while (buf.hasRemaining() && ch.read(buf, off + buf.position()) > 0) {
                    // fill the part
                }
                int n = number;
                String etag = done.get(n);
                if (etag == null || !etag.equals(md5(buf.array(), len))) {
                    etag = client.uploadPart(
                                    r -> r.bucket(bucket)
                                            .key(key)
                                            .uploadId(uploadId)
                                            .partNumber(n),
                                    body(() -> new java.io.ByteArrayInputStream(buf.array(), 0, len), len))
                            .eTag();
                }
                parts.add(CompletedPart.builder().partNumber(n).eTag(etag).build());
            }
            client.completeMultipartUpload(r -> r.bucket(bucket)
                    .key(key)
                    .uploadId(uploadId)
                    .multipartUpload(
                            CompletedMultipartUpload.builder().parts(parts).build()));
        } catch (SdkException e) {
            // the parts stay for the next attempt to resume
            throw wrap("multipart upload of " + key, e);
        }
    }

    @Override
    public int abortUploads(String prefix, java.time.Instant before) throws IOException {
        List<MultipartUpload> old = new ArrayList<>();
        try {
            client.listMultipartUploadsPaginator(r -> r.bucket(bucket).prefix(prefix))
                    .uploads()
                    .forEach(u -> {
                        if (u.initiated() != null && u.initiated().isBefore(before)) {
                            old.add(u);
                        }
                    });
        } catch (S3Exception e) {
            if (e.statusCode() == 501) {
                return 0; // the service keeps no unfinished uploads to list
            }
            throw wrap("listing unfinished uploads", e);
        } catch (SdkException e) {
            throw wrap("listing unfinished uploads", e);
        }
        for (MultipartUpload u : old) {
            try {
                client.abortMultipartUpload(r -> r.bucket(bucket).key(u.key()).uploadId(u.uploadId()));
            } catch (software.amazon.awssdk.services.s3.model.NoSuchUploadException gone) {
                // finished or aborted meanwhile
            } catch (SdkException e) {
                throw wrap("aborting the unfinished upload of " + u.key(), e);
            }
        }
        return old.size();
    }

    /** The newest unfinished multipart upload of {@code key}, or null (also when the service cannot list them). */
    private String unfinishedUpload(String key) {
        try {
            return client.listMultipartUploads(r -> r.bucket(bucket).prefix(key)).uploads().stream()
                    .filter(u -> key.equals(u.key()))
                    .max(java.util.Comparator.comparing(
                            u -> u.initiated() == null ? java.time.Instant.EPOCH : u.initiated()))
                    .map(MultipartUpload::uploadId)
                    .orElse(null);
        } catch (SdkException e) {
            return null;
        }
    }

    /** Part number to ETag (unquoted, lowercase) of the parts an unfinished upload already has. */
    private Map<Integer, String> uploadedParts(String key, String uploadId) {
        Map<Integer, String> out = new HashMap<>();
        try {
            Integer marker = null;
            while (true) {
                Integer from = marker;
                ListPartsResponse r = client.listParts(
                        b -> b.bucket(bucket).key(key).uploadId(uploadId).partNumberMarker(from));
                for (Part p : r.parts()) {
                    out.put(p.partNumber(), unquote(p.eTag()));
                }
                if (!Boolean.TRUE.equals(r.isTruncated()) || r.nextPartNumberMarker() == null) {
                    return out;
                }
                marker = r.nextPartNumberMarker();
            }
        } catch (SdkException e) {
            return out; // upload those parts again
        }
    }

    private static String unquote(String etag) {
        return etag == null ? null : etag.replace("\"", "").toLowerCase(java.util.Locale.ROOT);
    }

    private static byte[] digest(byte[] data, int len) throws java.security.NoSuchAlgorithmException {
        java.security.MessageDigest md = java.security.MessageDigest.getInstance("MD5");
        md.update(data, 0, len);
        return md.digest();
    }

    /** A part's ETag is the MD5 of its bytes (for unencrypted or SSE-S3 buckets): so a part is reused only when it holds these very bytes. */
    private static String md5(byte[] data, int len) {
        try {
            return java.util.HexFormat.of().formatHex(digest(data, len));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void delete(String key) throws IOException {
        try {
            client.deleteObject(r -> r.bucket(bucket).key(key));
        } catch (NoSuchKeyException gone) {
            // already deleted
        } catch (SdkException e) {
            throw wrap("deleting " + key, e);
        }
    }

    /**
     * One DeleteObjects request per 1,000 keys; a service that
     * does not implement it gets one DeleteObject per key from then on.
     */
    @Override
    public void deleteAll(java.util.Collection<String> keys) throws IOException {
        List<String> all = new ArrayList<>(keys);
        for (int from = 0; from < all.size(); from += DELETE_BATCH) {
            List<String> batch = all.subList(from, Math.min(all.size(), from + DELETE_BATCH));
            if (!multiDelete || !deleteBatch(batch)) {
                for (String key : batch) {
                    delete(key);
                }
            }
        }
    }

    /** One DeleteObjects request; false when the service does not implement it (nothing deleted). */
    private boolean deleteBatch(List<String> batch) throws IOException {
        List<ObjectIdentifier> ids = new ArrayList<>(batch.size());
        batch.forEach(k -> ids.add(ObjectIdentifier.builder().key(k).build()));
        DeleteObjectsResponse r;
        try {
            r = client.deleteObjects(
                    b -> b.bucket(bucket).delete(d -> d.objects(ids).quiet(true)));
        } catch (S3Exception e) {
            if (e.statusCode() == 501
                    || (e.awsErrorDetails() != null
                            && "NotImplemented".equals(e.awsErrorDetails().errorCode()))) {
                multiDelete = false;
                return false;
            }
            throw wrap("deleting " + batch.size() + " objects", e);
        } catch (SdkException e) {
            throw wrap("deleting " + batch.size() + " objects", e);
        }
        List<S3Error> failed = new ArrayList<>();
        for (S3Error err : r.errors()) {
            if (!"NoSuchKey".equals(err.code())) {
                failed.add(err);
            }
        }
        if (!failed.isEmpty()) {
            S3Error first = failed.get(0);
            throw new IOException("deleting " + failed.size() + " of " + batch.size() + " objects on " + where
                    + " failed, such as " + first.key() + ": " + first.code());
        }
        return true;
    }

    private interface Opener {
        InputStream open() throws IOException;
    }

    private static InputStream open(Path file) throws IOException {
        return Files.newInputStream(file);
    }

    /** A request body read through the throttle; re-readable, so the SDK can retry it. */
    private RequestBody body(Opener opener, long length) {
        ContentStreamProvider provider = () -> {
            try {
                return new Throttled(opener.open(), throttle);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        };
        return RequestBody.fromContentProvider(provider, length, "application/octet-stream");
    }

    /** Calls the throttle for every chunk read, at most 64 KiB at a time. */
    private static final class Throttled extends FilterInputStream {
        private static final int CHUNK = 64 << 10;
        private final Throttle throttle;

        Throttled(InputStream in, Throttle throttle) {
            super(in);
            this.throttle = throttle;
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            if (b >= 0) {
                pace(1);
            }
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = super.read(b, off, Math.min(len, CHUNK));
            if (n > 0) {
                pace(n);
            }
            return n;
        }

        private void pace(int n) throws InterruptedIOException {
            try {
                throttle.acquire(n);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("upload interrupted");
            }
        }
    }

    @Override
    public void close() {
        client.close();
    }
}
