package dev.lifeline.backup;

import java.util.HexFormat;

/**
 * An order-independent 128-bit fingerprint of a file list's (path, size, mtime, mode) tuples,
 * written in each manifest's head. A rescan whose walk gives the same fingerprint as the latest
 * snapshot has nothing to do, and never parses that snapshot's file list (on 100,000 files that
 * parse was a third of a no-change rescan). It detects accidental change only; nothing trusts it
 * for integrity (object hashes do that).
 *
 * <p>Each tuple is hashed twice with unrelated 64-bit functions; the fingerprint is the count and
 * the two sums, so it does not depend on the order in which the folders were walked.
 */
final class ListPrint {
    private long count;
    private long sumA;
    private long sumB;
    private boolean unsettled;

    void add(String path, long size, long mtimeNanos, int mode, boolean link) {
        if (mtimeNanos == 0) {
            unsettled = true; // "read again next time": such a list never matches
        }
        long fnv = 0xcbf29ce484222325L;
        long poly = 0;
        for (int i = 0, n = path.length(); i < n; i++) {
            char c = path.charAt(i);
            fnv = (fnv ^ c) * 0x100000001b3L;
            poly = poly * 0x9E3779B97F4A7C15L + c + 1;
        }
        long attrs = size * 0xC2B2AE3D27D4EB4FL ^ mtimeNanos ^ ((long) mode << 52) ^ (link ? 1L << 63 : 0);
        sumA += fmix(fnv ^ fmix(attrs + 0x165667B19E3779F9L));
        sumB += splitmix(poly + splitmix(attrs ^ mtimeNanos >>> 29));
        count++;
    }

    /** Adds another part of the same list (fingerprints of disjoint parts sum to the whole's). */
    void add(ListPrint part) {
        count += part.count;
        sumA += part.sumA;
        sumB += part.sumB;
        unsettled |= part.unsettled;
    }

    /** The fingerprint, or null when an entry is marked to be read again (mtime 0). */
    String value() {
        if (unsettled) {
            return null;
        }
        HexFormat hex = HexFormat.of();
        return count + ":" + hex.toHexDigits(sumA) + hex.toHexDigits(sumB);
    }

    static String of(Iterable<FileEntry> files) {
        ListPrint p = new ListPrint();
        for (FileEntry f : files) {
            p.add(f.path(), f.size(), f.mtimeNanos(), f.mode(), f.link() != null);
        }
        return p.value();
    }

    private static long fmix(long k) { // MurmurHash3's finalizer
        k ^= k >>> 33;
        k *= 0xff51afd7ed558ccdL;
        k ^= k >>> 33;
        k *= 0xc4ceb9fe1a85ec53L;
        return k ^ (k >>> 33);
    }

    private static long splitmix(long z) { // SplitMix64's finalizer
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }
}
