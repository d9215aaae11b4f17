package dev.lifeline.dashboard;

import dev.lifeline.core.PrivateFiles;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Iterator;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import javax.imageio.ImageReadParam;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;

/**
 * Thumbnails of stored outputs: made once per object (longest side {@link #SIDE} px, JPEG) on one
 * background thread, never on a request's, and kept in a private folder of the home named by the
 * object's SHA-256. A bounded queue; an image whose header says more than {@link #MAX_PIXELS}
 * pixels, or a file over {@link #MAX_FILE_BYTES}, is refused before it is decoded, and big ones
 * are decoded subsampled, so a hostile image cannot exhaust the daemon's memory.
 */
public final class Thumbnails implements AutoCloseable {
    static final int SIDE = 320;
    static final long MAX_PIXELS = 40_000_000L;
    static final long MAX_FILE_BYTES = 256L << 20;
    private static final int QUEUE = 64;
    private static final Pattern SHA = Pattern.compile("[0-9a-f]{64}");

    /** What {@link #get} knows about an object's thumbnail. */
    public sealed interface Result {}

    public record Ready(byte[] jpeg) implements Result {}

    /** Not made yet: ask again later. */
    public record Pending() implements Result {}

    /** There is none and will be none (not an image, too big, no such object). */
    public record None(String why) implements Result {}

    private final Path dir;
    private final Function<String, Optional<Path>> objects;
    private final ThreadPoolExecutor worker;
    private final Set<String> queued = ConcurrentHashMap.newKeySet();
    private final java.util.Map<String, String> refused = new ConcurrentHashMap<>();

    public Thumbnails(Path dir, Function<String, Optional<Path>> objects) {
        this.dir = dir;
        this.objects = objects;
        this.worker = new ThreadPoolExecutor(1, 1, 30, TimeUnit.SECONDS, new LinkedBlockingQueue<>(QUEUE), r -> {
            Thread t = new Thread(r, "lifeline-thumbnails");
            t.setDaemon(true);
            t.setPriority(Thread.MIN_PRIORITY);
            return t;
        });
        worker.allowCoreThreadTimeOut(true);
    }

    /** The thumbnail of {@code sha256}, queueing its making when it is not there yet. */
    public Result get(String sha256) {
        if (!SHA.matcher(sha256).matches()) {
            return new None("not a SHA-256");
        }
        String why = refused.get(sha256);
        if (why != null) {
            return new None(why);
        }
        Path file = dir.resolve(sha256 + ".jpg");
        try {
            PrivateFiles.requireRegular(file);
            return new Ready(Files.readAllBytes(file));
        } catch (NoSuchFileException e) {
            // not made yet
        } catch (IOException e) {
            return new None("the cached thumbnail cannot be read: " + e.getMessage());
        }
        if (objects.apply(sha256).isEmpty()) {
            return new None("no such object");
        }
        if (queued.add(sha256)) {
            try {
                worker.execute(() -> make(sha256, file));
            } catch (java.util.concurrent.RejectedExecutionException e) {
                queued.remove(sha256); // full: asked again later
            }
        }
        return new Pending();
    }

    private void make(String sha256, Path target) {
        try {
            Optional<Path> src = objects.apply(sha256);
            if (src.isEmpty()) {
                return;
            }
            byte[] jpeg = render(src.get());
            ensureDir();
            PrivateFiles.write(target, jpeg, PrivateFiles.OWNER_ONLY);
        } catch (Refused e) {
            if (refused.size() < 10_000) {
                refused.put(sha256, e.getMessage());
            }
        } catch (IOException | RuntimeException | OutOfMemoryError e) {
            if (refused.size() < 10_000) {
                refused.put(sha256, "cannot make a thumbnail: " + e);
            }
        } finally {
            queued.remove(sha256);
        }
    }

    private void ensureDir() throws IOException {
        if (Files.isSymbolicLink(dir)) {
            throw new IOException(dir + " is a link; Lifeline does not write through it");
        }
        if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
            try {
                Files.createDirectory(
                        dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            } catch (java.nio.file.FileAlreadyExistsException e) {
                // made meanwhile
            } catch (UnsupportedOperationException e) {
                Files.createDirectories(dir);
            }
        }
    }

    static final class Refused extends IOException {
        Refused(String why) {
            super(why);
        }
    }

    /** A JPEG of at most {@link #SIDE} px on its longest side; refuses before decoding what is too big. */
    static byte[] render(Path file) throws IOException {
        if (Files.size(file) > MAX_FILE_BYTES) {
            throw new Refused("over " + (MAX_FILE_BYTES >> 20) + " MiB");
        }
        try (ImageInputStream in = ImageIO.createImageInputStream(file.toFile())) {
            if (in == null) {
                throw new Refused("cannot be read");
            }
            Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
            if (!readers.hasNext()) {
                throw new Refused("not an image this server can read");
            }
            ImageReader r = readers.next();
            try {
                r.setInput(in, true, true);
                long w = r.getWidth(0);
                long h = r.getHeight(0);
                if (w <= 0 || h <= 0 || w * h > MAX_PIXELS) {
                    throw new Refused(w + "×" + h + " is over " + MAX_PIXELS / 1_000_000 + " megapixels");
                }
                ImageReadParam p = r.getDefaultReadParam();
                int step = (int) Math.max(1, Math.max(w, h) / (SIDE * 2L));
                p.setSourceSubsampling(step, step, 0, 0);
                BufferedImage img = r.read(0, p);
                return jpeg(scale(img));
            } finally {
                r.dispose();
            }
        }
    }

    private static BufferedImage scale(BufferedImage img) {
        int w = img.getWidth();
        int h = img.getHeight();
        double f = Math.min(1.0, (double) SIDE / Math.max(w, h));
        int tw = Math.max(1, (int) Math.round(w * f));
        int th = Math.max(1, (int) Math.round(h * f));
        BufferedImage out = new BufferedImage(tw, th, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = out.createGraphics();
        try {
            g.setColor(java.awt.Color.WHITE);
            g.fillRect(0, 0, tw, th);
            g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
            g.drawImage(img, 0, 0, tw, th, null);
        } finally {
            g.dispose();
        }
        return out;
    }

    private static byte[] jpeg(BufferedImage img) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        if (!ImageIO.write(img, "jpg", b)) {
            throw new IOException("no JPEG writer");
        }
        return b.toByteArray();
    }

    @Override
    public void close() {
        worker.shutdownNow();
    }
}
