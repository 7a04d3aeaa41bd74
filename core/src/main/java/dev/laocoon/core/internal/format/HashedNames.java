package dev.laocoon.core.internal.format;

import java.nio.charset.StandardCharsets;

/**
 * A set of names kept as 64-bit hashes in one open-addressing table: a file with millions of
 * keys costs 16 bytes per key instead of a string and a map entry each (a GGUF with two million
 * metadata keys ran a 128 MiB heap out of memory). Two different names collide with a
 * probability of about n² / 2⁶⁵, negligible for any file that fits on a disk.
 */
final class HashedNames {
    private long[] table = new long[64];
    private int count;

    /** Adds the name; false when it (by its hash) was already there. */
    boolean add(String name) {
        if (count * 2 >= table.length) {
            grow();
        }
        long h = key(name);
        int i = slot(h);
        if (table[i] == h) {
            return false;
        }
        table[i] = h;
        count++;
        return true;
    }

    boolean contains(String name) {
        long h = key(name);
        return table[slot(h)] == h;
    }

    /** The slot holding {@code h}, or the empty slot where it would go. */
    private int slot(long h) {
        int mask = table.length - 1;
        int i = (int) (h ^ (h >>> 32)) & mask;
        while (table[i] != 0 && table[i] != h) {
            i = (i + 1) & mask;
        }
        return i;
    }

    /** The name's hash, never 0 (0 marks an empty slot). */
    private static long key(String name) {
        long h = hash(name);
        return h == 0 ? 1 : h;
    }

    private void grow() {
        long[] old = table;
        table = new long[old.length * 2];
        for (long h : old) {
            if (h != 0) {
                table[slot(h)] = h;
            }
        }
    }

    /** FNV-1a over the UTF-8 bytes, then a 64-bit finaliser (MurmurHash3's fmix64) to spread the bits. */
    static long hash(String s) {
        long h = 0xcbf29ce484222325L;
        for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
            h ^= b & 0xff;
            h *= 0x100000001b3L;
        }
        h ^= h >>> 33;
        h *= 0xff51afd7ed558ccdL;
        h ^= h >>> 33;
        h *= 0xc4ceb9fe1a85ec53L;
        h ^= h >>> 33;
        return h;
    }
}
