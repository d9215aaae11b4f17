package dev.lifeline.catalog;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * Where sqlite-jdbc unpacks its native library: a folder private to this user instead of the
 * shared {@code /tmp}, where another local user could swap the file between its write and its
 * load. Set once, before the first connection; an explicit {@code org.sqlite.tmpdir} wins.
 */
final class NativeLibrary {
    private static volatile boolean done;

    private NativeLibrary() {}

    static synchronized void prepare() {
        if (done || System.getProperty("org.sqlite.tmpdir") != null) {
            done = true;
            return;
        }
        done = true;
        Path dir = Path.of(
                System.getProperty("java.io.tmpdir"), "lifeline-sqlite-" + System.getProperty("user.name", "user"));
        try {
            if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
                Files.createDirectory(
                        dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            }
            PosixFileAttributes a = Files.readAttributes(dir, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            String me = System.getProperty("user.name");
            if (a.isDirectory()
                    && !a.isSymbolicLink()
                    && a.owner().getName().equals(me)
                    && a.permissions().equals(PosixFilePermissions.fromString("rwx------"))) {
                System.setProperty("org.sqlite.tmpdir", dir.toString());
            }
            // otherwise (someone else's folder, a link): sqlite-jdbc's own default, a random name
        } catch (IOException | UnsupportedOperationException e) {
            // not POSIX, or no tmp: sqlite-jdbc's own default
        }
    }
}
