package dev.lifeline.backup;

import dev.lifeline.core.LifelineException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SecureDirectoryStream;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFileAttributes;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * What a restore will write, decided before it writes anything. {@link #check} takes the entries
 * the patterns choose and refuses the whole restore if one is unsafe (absolute, with an empty,
 * {@code .} or {@code ..} element, or under a link entry of the snapshot). {@link #survey} then
 * looks at the target: no folder on the way may be a link or a file, temp files a killed restore
 * left ({@code .lifeline-restore-*}) are removed, and {@link #alreadyRestored} tells which names
 * already there hold the snapshot's content bit for bit (same size and SHA-256, or a link to the
 * same target; their mode and time are set if they differ): those are kept, any other is a
 * conflict.
 *
 * @param chosen the entries to restore, in manifest order
 * @param byDir the same by folder ("" is the target itself), folders sorted
 */
record RestorePlan(String snapshotId, List<FileEntry> chosen, Map<String, List<FileEntry>> byDir) {
    /** What the target holds already: the entries whose name is there, and the leftovers removed. */
    record Survey(List<FileEntry> present, int leftovers) {}

    /** Entries matching any of {@code patterns}: a glob, or a path prefix; none means all. */
    static List<FileEntry> select(List<FileEntry> files, List<String> patterns) {
        return Glob.select(files, patterns); // the matcher backup.exclude uses, so a glob means the same
    }

    /** Null when {@code path} is a safe relative path, else why not. */
    static String unsafe(String path) {
        if (path.isEmpty() || path.indexOf('\0') >= 0) {
            return "empty or contains NUL";
        }
        if (path.startsWith("/") || path.startsWith("\\") || path.matches("^[A-Za-z]:.*")) {
            return "absolute path";
        }
        for (String seg : path.split("[/\\\\]", -1)) {
            if (seg.isEmpty() || seg.equals(".") || seg.equals("..")) {
                return "contains '" + (seg.isEmpty() ? "//" : seg) + "'";
            }
        }
        return null;
    }

    /** The entries of {@code m} that {@code patterns} choose, every path checked; nothing is touched. */
    static RestorePlan check(Manifest m, List<String> patterns) {
        String snapshotId = m.id();
        List<FileEntry> chosen = select(m.files(), patterns);
        if (chosen.isEmpty()) {
            throw new LifelineException(
                    "nothing in snapshot " + snapshotId + " matches " + String.join(" ", patterns),
                    "list what it holds with 'lifeline backup ls " + snapshotId + "'");
        }
        Set<String> links = new HashSet<>();
        for (FileEntry f : m.files()) {
            if (f.link() != null) {
                links.add(f.path());
            }
        }
        Map<String, List<FileEntry>> byDir = new TreeMap<>();
        for (FileEntry f : chosen) {
            String why = unsafe(f.path());
            if (why == null && !links.isEmpty()) {
                for (int slash = f.path().indexOf('/');
                        slash > 0;
                        slash = f.path().indexOf('/', slash + 1)) {
                    if (links.contains(f.path().substring(0, slash))) {
                        why = "lies under the symbolic link " + f.path().substring(0, slash);
                        break;
                    }
                }
            }
            if (why != null) {
                throw new LifelineException(
                        "refusing to restore snapshot " + snapshotId + ": entry '" + f.path() + "' " + why,
                        "the manifest was altered or is malicious; nothing was written. Run 'lifeline backup verify'");
            }
            byDir.computeIfAbsent(TargetTree.parent(f.path()), k -> new ArrayList<>())
                    .add(f);
        }
        return new RestorePlan(snapshotId, chosen, byDir);
    }

    /**
     * Looks at the folders of the target that exist (none may be a link), removes the leftovers of
     * a killed restore in them, and finds the names already there. Missing folders are not made
     * here: the restore makes each when its first file is written.
     */
    Survey survey(TargetTree tree) throws IOException {
        int leftovers = 0;
        if (!byDir.containsKey("")) {
            leftovers += FolderFiles.removeLeftovers(tree.rootDir(), FolderFiles.list(tree.rootDir()));
        }
        List<FileEntry> present = new ArrayList<>();
        for (Map.Entry<String, List<FileEntry>> e : byDir.entrySet()) {
            TargetTree.Lease dir;
            try {
                dir = tree.openExisting(e.getKey());
            } catch (TargetTree.Blocked b) {
                throw refusedFolder(e.getValue().get(0), b);
            }
            if (dir == null) {
                continue; // made when its first file is written
            }
            try (dir) {
                List<String> names = FolderFiles.list(dir.dir());
                leftovers += FolderFiles.removeLeftovers(dir.dir(), names);
                Set<String> there = new HashSet<>(names);
                for (FileEntry f : e.getValue()) {
                    if (there.contains(TargetTree.name(f.path()))) {
                        present.add(f);
                    }
                }
            }
        }
        return new Survey(present, leftovers);
    }

    private static LifelineException refusedFolder(FileEntry f, TargetTree.Blocked b) {
        return new LifelineException(
                "refusing to restore '" + f.path() + "': " + b.getMessage() + "; restore never writes through a link",
                "remove it, or restore into an empty folder; nothing was written");
    }

    /**
     * Of the entries whose name exists in the target, those that already hold the snapshot's
     * content: a regular file of the same size and SHA-256, or a link to the same target.
     */
    static Set<String> alreadyRestored(TargetTree tree, ExecutorService pool, List<FileEntry> present)
            throws IOException, InterruptedException {
        List<Future<Boolean>> checks = new ArrayList<>();
        for (FileEntry f : present) {
            checks.add(pool.submit(() -> holds(tree, f)));
        }
        Set<String> same = new HashSet<>();
        for (int i = 0; i < checks.size(); i++) {
            try {
                if (checks.get(i).get()) {
                    same.add(present.get(i).path());
                }
            } catch (ExecutionException e) {
                throw e.getCause() instanceof IOException io ? io : new IOException(e.getCause());
            }
        }
        return same;
    }

    private static boolean holds(TargetTree tree, FileEntry f) throws IOException {
        try (TargetTree.Lease folder = tree.dir(TargetTree.parent(f.path()))) {
            return holds(tree, folder.dir(), f);
        }
    }

    private static boolean holds(TargetTree tree, SecureDirectoryStream<Path> dir, FileEntry f) throws IOException {
        String name = TargetTree.name(f.path());
        BasicFileAttributes a = FolderFiles.stat(dir, name);
        if (a == null) {
            return false;
        }
        if (f.link() != null) {
            if (!a.isSymbolicLink()) {
                return false;
            }
            Path got = Files.readSymbolicLink(Names.resolve(tree.root(), f.path()));
            return Names.needsBytes(f.link())
                    ? got.equals(Names.target(f.link())) // a path compares by its bytes
                    : got.toString().equals(f.link());
        }
        if (!a.isRegularFile() || a.size() != f.size()) {
            return false;
        }
        MessageDigest md = ObjectStore.sha256();
        ByteBuffer buf = ObjectStore.BUFFERS.get();
        try (SeekableByteChannel in = FolderFiles.read(dir, name)) {
            while (true) {
                buf.clear();
                if (in.read(buf) < 0) {
                    break;
                }
                buf.flip();
                md.update(buf);
            }
        } catch (FileSystemException e) {
            return false; // unreadable or swapped for a link: not ours to keep
        }
        if (!ObjectStore.hex(md.digest()).equals(f.sha256())) {
            return false;
        }
        // the content is the snapshot's: only its mode and time may be left to set (a restore killed
        // midway named its files only once they had both, so this is for a file copied by hand)
        if (a instanceof PosixFileAttributes px && FolderFiles.mode(px.permissions()) != f.mode()) {
            FolderFiles.chmod(dir, name, f.mode());
        }
        if (a.lastModifiedTime().to(TimeUnit.NANOSECONDS) != f.mtimeNanos()) {
            tree.setMtime(TargetTree.parent(f.path()), name, f.mtimeNanos());
        }
        return true;
    }
}
