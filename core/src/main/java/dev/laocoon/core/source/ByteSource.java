package dev.laocoon.core.source;

import java.io.Closeable;
import java.io.IOException;

/**
 * Random-access bytes to scan: a file, an in-memory buffer, an archive member.
 * Positional reads never move shared state, so one source may be read by several analysers.
 */
public interface ByteSource extends Closeable {

    /** Total length in bytes. */
    long size();

    /**
     * Reads up to {@code len} bytes starting at {@code position} into {@code dst}.
     * Returns the number of bytes read, 0 when {@code position} is at or past the end.
     */
    int read(long position, byte[] dst, int off, int len) throws IOException;

    /** Reads exactly {@code len} bytes or fewer at the end of the source; returns the count. */
    default int readFully(long position, byte[] dst, int off, int len) throws IOException {
        int total = 0;
        while (total < len) {
            int n = read(position + total, dst, off + total, len - total);
            if (n <= 0) {
                break;
            }
            total += n;
        }
        return total;
    }

    /**
     * The file channel and the offset in it where this source's bytes are, when they are a plain
     * region of a file (then bulk copies can go file to file); null otherwise.
     */
    default FileRegion region() {
        return null;
    }

    /** The regular file whose whole content this source is (for libraries that need a path), or null. */
    default java.nio.file.Path path() {
        return null;
    }

    /**
     * A hint that reads of about {@code length} bytes at each of {@code positions} follow; a remote
     * source fetches them ahead, several at a time. Local sources ignore it.
     */
    default void prefetch(long[] positions, int length) {
    }

    /** Bytes that are a region of an open file: {@code channel} from {@code offset}. */
    record FileRegion(java.nio.channels.FileChannel channel, long offset) {
    }

    @Override
    default void close() throws IOException {
    }
}
