package dev.laocoon.core.internal.container;

import dev.laocoon.core.source.ArrayByteSource;
import dev.laocoon.core.source.ByteSource;
import dev.laocoon.core.source.FileByteSource;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Where decompressed bytes go: memory up to {@link #IN_MEMORY}, then a private temporary file,
 * so that memory does not grow with what a container inflates to. {@link #source()} gives the
 * bytes back; closing it removes the file.
 */
public final class Spill implements AutoCloseable {
    /** Bytes kept in memory before spilling to a file. */
    public static final int IN_MEMORY = 8 << 20;

    private ByteArrayOutputStream memory = new ByteArrayOutputStream();
    private Path file;
    private OutputStream out;
    private long size;

    public void write(byte[] b, int off, int len) throws IOException {
        if (out == null && memory.size() + len > IN_MEMORY) {
            file = Files.createTempFile("laocoon-inflate-", ".bin");
            out = Files.newOutputStream(file);
            memory.writeTo(out);
            memory = null;
        }
        if (out != null) {
            out.write(b, off, len);
        } else {
            memory.write(b, off, len);
        }
        size += len;
    }

    public long size() {
        return size;
    }

    /** The bytes written so far; the caller closes the source (which removes a temporary file). */
    public ByteSource source() throws IOException {
        if (out == null) {
            return new ArrayByteSource(memory.toByteArray());
        }
        out.close();
        Path f = file;
        file = null; // the source owns it now
        FileByteSource src = new FileByteSource(f);
        return new ByteSource() {
            @Override
            public long size() {
                return src.size();
            }

            @Override
            public int read(long position, byte[] dst, int off, int len) throws IOException {
                return src.read(position, dst, off, len);
            }

            @Override
            public void close() throws IOException {
                try {
                    src.close();
                } finally {
                    Files.deleteIfExists(f);
                }
            }
        };
    }

    /** Removes a temporary file that no source took over. */
    @Override
    public void close() throws IOException {
        if (out != null) {
            out.close();
        }
        if (file != null) {
            Files.deleteIfExists(file);
            file = null;
        }
    }
}
