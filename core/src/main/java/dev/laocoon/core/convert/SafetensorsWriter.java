package dev.laocoon.core.convert;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * Writes safetensors files byte for byte as the reference implementation does: tensors sorted by
 * dtype (the reference enum's order, largest alignment first) then by name, a compact JSON header
 * with {@code __metadata__} first, padded with spaces to a multiple of 8, then the data in header
 * order with no gaps.
 */
public final class SafetensorsWriter {
    /** A tensor to write under {@code name}. */
    public record Entry(String name, TensorRef tensor) {
    }

    private SafetensorsWriter() {
    }

    /** The reference writer's order: dtype descending, then name (by UTF-8 bytes). */
    public static List<Entry> order(List<Entry> entries) {
        List<Entry> sorted = new ArrayList<>(entries);
        sorted.sort(Comparator.comparing((Entry e) -> e.tensor().dtype()).reversed()
                .thenComparing((a, b) -> Arrays.compareUnsigned(utf8(a.name()), utf8(b.name()))));
        return sorted;
    }

    /** The 8-byte little-endian header length followed by the padded JSON header, for entries already in order. */
    public static byte[] header(List<Entry> ordered, Map<String, String> metadata) {
        StringBuilder j = new StringBuilder("{");
        if (metadata != null && !metadata.isEmpty()) {
            string(j, "__metadata__");
            j.append(":{");
            boolean first = true;
            for (var m : metadata.entrySet()) {
                if (!first) {
                    j.append(',');
                }
                first = false;
                string(j, m.getKey());
                j.append(':');
                string(j, m.getValue());
            }
            j.append('}');
            if (!ordered.isEmpty()) {
                j.append(',');
            }
        }
        long offset = 0;
        for (int i = 0; i < ordered.size(); i++) {
            Entry e = ordered.get(i);
            if (i > 0) {
                j.append(',');
            }
            string(j, e.name());
            j.append(":{\"dtype\":\"").append(e.tensor().dtype().name()).append("\",\"shape\":[");
            long[] shape = e.tensor().shape();
            for (int d = 0; d < shape.length; d++) {
                if (d > 0) {
                    j.append(',');
                }
                j.append(shape[d]);
            }
            long end = offset + e.tensor().nbytes();
            j.append("],\"data_offsets\":[").append(offset).append(',').append(end).append("]}");
            offset = end;
        }
        j.append('}');
        byte[] json = j.toString().getBytes(StandardCharsets.UTF_8);
        int padded = (json.length + 7) / 8 * 8;
        ByteBuffer out = ByteBuffer.allocate(8 + padded).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        out.putLong(padded).put(json);
        while (out.hasRemaining()) {
            out.put((byte) ' ');
        }
        return out.array();
    }

    /** Contiguous tensors larger than this are copied in pieces of this size, by several threads. */
    static final long PIECE = 64L << 20;

    /** One unit of copying: a whole tensor, or a piece of a large contiguous one. */
    private record Work(TensorRef tensor, long outAt, long from, long length, boolean whole) {
    }

    /**
     * Writes {@code ordered} (see {@link #order}) with {@code metadata} to {@code file}, which must
     * not exist. Tensors (and pieces of large ones) are copied by up to {@code threads} threads,
     * each writing its own positions of the file, file to file where the source is a file region.
     */
    public static void write(Path file, List<Entry> ordered, Map<String, String> metadata, int threads)
            throws IOException, ConvertException {
        byte[] header = header(ordered, metadata);
        List<Work> work = new ArrayList<>();
        long at = header.length;
        for (Entry e : ordered) {
            TensorRef t = e.tensor();
            long n = t.nbytes();
            boolean plain = t.contiguous() && !(t.storage().bigEndian() && t.dtype().size() > 1);
            if (plain && n > PIECE) {
                for (long k = 0; k < n; k += PIECE) {
                    work.add(new Work(t, at + k, t.byteOffset() + k, Math.min(PIECE, n - k), false));
                }
            } else if (n > 0) {
                work.add(new Work(t, at, 0, n, true));
            }
            at += n;
        }
        try (FileChannel out = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            ByteBuffer h = ByteBuffer.wrap(header);
            while (h.hasRemaining()) {
                out.write(h, h.position());
            }
        }
        int workers = Math.max(1, Math.min(threads, work.size()));
        java.util.concurrent.atomic.AtomicInteger next = new java.util.concurrent.atomic.AtomicInteger();
        Exception[] failure = new Exception[1];
        Runnable worker = () -> {
            byte[] buf = new byte[Converter.BUFFER];
            try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
                for (int i = next.getAndIncrement(); i < work.size(); i = next.getAndIncrement()) {
                    synchronized (failure) {
                        if (failure[0] != null) {
                            return;
                        }
                    }
                    Work w = work.get(i);
                    Positioned sink = new Positioned(ch, w.outAt());
                    if (w.whole()) {
                        TensorBytes.emit(w.tensor(), sink, buf);
                    } else {
                        sink.copy(w.tensor().storage().bytes(), w.from(), w.length(), buf);
                    }
                    if (sink.pos != w.outAt() + w.length()) {
                        throw new IOException("wrote " + (sink.pos - w.outAt()) + " bytes instead of " + w.length());
                    }
                }
            } catch (IOException | ConvertException | RuntimeException e) {
                synchronized (failure) {
                    if (failure[0] == null) {
                        failure[0] = e;
                    }
                }
            }
        };
        List<Thread> running = new ArrayList<>();
        for (int i = 1; i < workers; i++) {
            Thread t = new Thread(worker, "laocoon-convert-" + i);
            t.start();
            running.add(t);
        }
        worker.run();
        for (Thread t : running) {
            try {
                t.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while writing " + file);
            }
        }
        if (failure[0] instanceof IOException e) {
            throw e;
        }
        if (failure[0] instanceof ConvertException e) {
            throw e;
        }
        if (failure[0] instanceof RuntimeException e) {
            throw e;
        }
    }

    /** Writes at explicit positions of a channel that only this thread uses. */
    private static final class Positioned implements TensorBytes.Sink {
        private final FileChannel ch;
        long pos;

        Positioned(FileChannel ch, long pos) {
            this.ch = ch;
            this.pos = pos;
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            ByteBuffer bb = ByteBuffer.wrap(b, off, len);
            while (bb.hasRemaining()) {
                pos += ch.write(bb, pos);
            }
        }

        @Override
        public void copy(dev.laocoon.core.source.ByteSource src, long from, long len, byte[] buffer) throws IOException {
            var region = src.region();
            if (region == null || from + len > src.size()) {
                TensorBytes.Sink.super.copy(src, from, len, buffer);
                return;
            }
            long at = region.offset() + from;
            long end = at + len;
            ch.position(pos);
            while (at < end) {
                long n = region.channel().transferTo(at, end - at, ch);
                if (n <= 0) {
                    // transferTo may stop early on some file systems; finish with plain reads
                    TensorBytes.Sink.super.copy(src, at - region.offset(), end - at, buffer);
                    return;
                }
                at += n;
                pos += n;
            }
        }
    }

    /** A JSON string as serde_json writes it (UTF-8 as is); see {@link #jsonString}. */
    static void string(StringBuilder j, String s) {
        jsonString(j, s, false);
    }

    /**
     * A JSON string with the escapes serde_json and Python's json module share: backslash escapes
     * for quote, backslash, newline, return, tab, backspace and form feed; a lower-case
     * backslash-u escape for other control characters and, when {@code ascii} (Python's
     * {@code ensure_ascii}), for everything outside printable ASCII.
     */
    static void jsonString(StringBuilder j, String s, boolean ascii) {
        j.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> j.append("\\\"");
                case '\\' -> j.append("\\\\");
                case '\n' -> j.append("\\n");
                case '\r' -> j.append("\\r");
                case '\t' -> j.append("\\t");
                case '\b' -> j.append("\\b");
                case '\f' -> j.append("\\f");
                default -> {
                    if (c < 0x20 || ascii && c > 0x7e) {
                        j.append(String.format("\\u%04x", (int) c));
                    } else {
                        j.append(c);
                    }
                }
            }
        }
        j.append('"');
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** The JSON text of a header made by {@link #header}, without its length and padding. */
    static String headerJson(byte[] header) {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        o.write(header, 8, header.length - 8);
        return o.toString(StandardCharsets.UTF_8).stripTrailing();
    }
}
