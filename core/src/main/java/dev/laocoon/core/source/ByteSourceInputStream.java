package dev.laocoon.core.source;

import java.io.IOException;
import java.io.InputStream;

/** A stream over a source from its start (for decompressors and parsers that read streams). */
public final class ByteSourceInputStream extends InputStream {
    private final ByteSource src;
    private long pos;

    public ByteSourceInputStream(ByteSource src) {
        this.src = src;
    }

    @Override
    public int read() throws IOException {
        byte[] b = new byte[1];
        return read(b, 0, 1) <= 0 ? -1 : b[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        if (pos >= src.size()) {
            return -1;
        }
        int n = src.read(pos, b, off, len);
        if (n <= 0) {
            return -1;
        }
        pos += n;
        return n;
    }
}
