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
        long h = hash(name);
        if (h == 0) {
            h = 1; // 0 marks an empty slot
        }
        if (count * 2 >= table.length) {
            grow();
        }
        int mask = table.length - 1;
        for (int i = (int) (h ^ (h >>> 32)) & mask; ; i = (i + 1) & mask) {
            if (table[i] == 0) {
                table[i] = h;
                count++;
                return true;
            }
            if (table[i] == h) {
                return false;
            }
        }
    }

    boolean contains(String name) {
        long h = hash(name);
        if (h == 0) {
            h = 1;
        }
        int mask = table.length - 1;
        for (int i = (int) (h ^ (h >>> 32)) & mask; ; i = (i + 1) & mask) {
            if (table[i] == 0) {
                return false;
            }
            if (table[i] == h) {
                return true;
            }
        }
    }

    private void grow() {
        long[] old = table;
        table = new long[old.length * 2];
        int mask = table.length - 1;
        for (long h : old) {
            if (h != 0) {
                int i = (int) (h ^ (h >>> 32)) & mask;
                while (table[i] != 0) {
                    i = (i + 1) & mask;
                }
                table[i] = h;
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
