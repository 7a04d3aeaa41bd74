package dev.laocoon.core.internal.detect;

import dev.laocoon.core.internal.container.ZipArchive;
import dev.laocoon.core.source.ByteSource;
import java.io.IOException;

/**
 * What detectors look at: the source, its first 16 bytes and, read once on demand, its zip
 * central directory (which every detector after the zip one may need: a pickle in front of a zip
 * ends where the zip begins).
 */
public final class Head {
    /** Archive members read from one central directory at most. */
    private final int maxMembers;
    private final ByteSource src;
    private final byte[] bytes = new byte[16];
    private final int length;
    private ZipArchive zip;
    private boolean zipRead;

    public Head(ByteSource src, int maxMembers) throws IOException {
        this.src = src;
        this.maxMembers = maxMembers;
        this.length = src.readFully(0, bytes, 0, bytes.length);
    }

    public ByteSource source() {
        return src;
    }

    /** Bytes available in the head (at most 16). */
    public int length() {
        return length;
    }

    /** The byte at {@code i} (0-255), or -1 past the head's end. */
    public int at(int i) {
        return i < length ? bytes[i] & 0xff : -1;
    }

    /** The head's bytes (a copy of at most 16). */
    public byte[] bytes() {
        return java.util.Arrays.copyOf(bytes, length);
    }

    /** True when the head starts with {@code magic}. */
    public boolean startsWith(int... magic) {
        if (length < magic.length) {
            return false;
        }
        for (int i = 0; i < magic.length; i++) {
            if ((bytes[i] & 0xff) != magic[i]) {
                return false;
            }
        }
        return true;
    }

    /** The zip archive the source ends with, when it has at least one member; null otherwise. */
    public ZipArchive zip() throws IOException {
        if (!zipRead) {
            zipRead = true;
            ZipArchive z = length >= 4 ? ZipArchive.read(src, maxMembers) : null;
            zip = z != null && !z.entries().isEmpty() ? z : null;
        }
        return zip;
    }
}
