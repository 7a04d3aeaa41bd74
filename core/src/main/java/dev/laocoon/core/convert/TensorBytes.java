package dev.laocoon.core.convert;

import dev.laocoon.core.source.ByteSource;
import java.io.IOException;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;

/**
 * Produces the bytes a safetensors file holds for a tensor: its elements in C order,
 * little-endian, with no gaps. Contiguous little-endian tensors are copied as they are (file to
 * file when possible); views are gathered and big-endian data is byte-swapped on the way.
 * Memory use is bounded by the buffer whatever the tensor's size.
 */
final class TensorBytes {
    /** Strided tensors whose storage span is at most this are gathered from memory. */
    static final long IN_MEMORY_SPAN = 64L << 20;
    private static final long WINDOW = 1L << 30;

    /** Where the bytes go: an output file, or a comparison with one. */
    interface Sink {
        void write(byte[] b, int off, int len) throws IOException;

        /** Copies {@code len} bytes of {@code src} from {@code pos}; may go file to file. */
        default void copy(ByteSource src, long pos, long len, byte[] buf) throws IOException {
            while (len > 0) {
                int n = (int) Math.min(buf.length, len);
                if (src.readFully(pos, buf, 0, n) != n) {
                    throw new IOException("source ended early");
                }
                write(buf, 0, n);
                pos += n;
                len -= n;
            }
        }
    }

    private TensorBytes() {
    }

    static void emit(TensorRef t, Sink sink, byte[] buf) throws IOException, ConvertException {
        long n = t.nbytes();
        if (n == 0) {
            return;
        }
        Storage s = t.storage();
        int es = t.dtype().size();
        boolean swap = s.bigEndian() && es > 1;
        if (t.contiguous()) {
            long pos = t.byteOffset();
            if (!swap) {
                sink.copy(s.bytes(), pos, n, buf);
                return;
            }
            int chunk = buf.length / es * es;
            for (long done = 0; done < n; ) {
                int k = (int) Math.min(chunk, n - done);
                if (s.bytes().readFully(pos + done, buf, 0, k) != k) {
                    throw new IOException("storage '" + s.key() + "' ended early");
                }
                swap(buf, k, es);
                sink.write(buf, 0, k);
                done += k;
            }
            return;
        }
        long from = t.byteOffset();
        long span = t.byteEnd() - from;
        Reader r;
        if (span <= IN_MEMORY_SPAN) {
            byte[] all = new byte[(int) span];
            if (s.bytes().readFully(from, all, 0, all.length) != all.length) {
                throw new IOException("storage '" + s.key() + "' ended early");
            }
            r = (pos, dst, off, len) -> System.arraycopy(all, (int) (pos - from), dst, off, len);
        } else {
            ByteSource.FileRegion region = s.bytes().region();
            if (region == null) {
                throw new ConvertException("tensor view over " + span + " bytes of a storage that is not a plain file region");
            }
            r = new Mapped(region.channel(), region.offset() + from, span, from);
        }
        gather(t, r, sink, buf, swap);
    }

    private interface Reader {
        void get(long pos, byte[] dst, int off, int len) throws IOException;
    }

    /** Read-only memory maps of a large span, one window per gigabyte (pages, not heap). */
    private static final class Mapped implements Reader {
        private final MappedByteBuffer[] windows;
        private final long base;

        Mapped(FileChannel ch, long fileOffset, long span, long base) throws IOException {
            this.base = base;
            int count = (int) ((span + WINDOW - 1) / WINDOW);
            windows = new MappedByteBuffer[count];
            for (int i = 0; i < count; i++) {
                long off = i * WINDOW;
                windows[i] = ch.map(FileChannel.MapMode.READ_ONLY, fileOffset + off, Math.min(WINDOW, span - off));
            }
        }

        @Override
        public void get(long pos, byte[] dst, int off, int len) {
            long rel = pos - base;
            while (len > 0) {
                MappedByteBuffer w = windows[(int) (rel / WINDOW)];
                int at = (int) (rel % WINDOW);
                int k = Math.min(len, w.capacity() - at);
                w.get(at, dst, off, k);
                rel += k;
                off += k;
                len -= k;
            }
        }
    }

    /** Walks the elements in C order; runs along a unit-stride last dimension are copied whole. */
    private static void gather(TensorRef t, Reader r, Sink sink, byte[] buf, boolean swap) throws IOException {
        int es = t.dtype().size();
        int rank = t.rank();
        long lastDim = t.dim(rank - 1);
        long lastStride = t.strideOf(rank - 1);
        long[] index = new long[rank - 1];
        long outer = t.numel() / lastDim;
        int fill = 0;
        int cap = buf.length / es * es;
        for (long o = 0; o < outer; o++) {
            long base = t.offset();
            for (int i = 0; i < rank - 1; i++) {
                base += index[i] * t.strideOf(i);
            }
            if (lastStride == 1) {
                long bytes = lastDim * es;
                long pos = base * es;
                while (bytes > 0) {
                    if (fill == cap) {
                        flush(sink, buf, fill, es, swap);
                        fill = 0;
                    }
                    int k = (int) Math.min(bytes, cap - fill);
                    r.get(pos, buf, fill, k);
                    fill += k;
                    pos += k;
                    bytes -= k;
                }
            } else {
                for (long j = 0; j < lastDim; j++) {
                    if (fill == cap) {
                        flush(sink, buf, fill, es, swap);
                        fill = 0;
                    }
                    r.get((base + j * lastStride) * es, buf, fill, es);
                    fill += es;
                }
            }
            for (int i = rank - 2; i >= 0; i--) {
                if (++index[i] < t.dim(i)) {
                    break;
                }
                index[i] = 0;
            }
        }
        flush(sink, buf, fill, es, swap);
    }

    private static void flush(Sink sink, byte[] buf, int n, int es, boolean swap) throws IOException {
        if (n == 0) {
            return;
        }
        if (swap) {
            swap(buf, n, es);
        }
        sink.write(buf, 0, n);
    }

    /** Reverses the bytes of each {@code es}-byte element in the first {@code n} bytes. */
    static void swap(byte[] b, int n, int es) {
        for (int i = 0; i + es <= n; i += es) {
            for (int a = i, z = i + es - 1; a < z; a++, z--) {
                byte x = b[a];
                b[a] = b[z];
                b[z] = x;
            }
        }
    }
}
