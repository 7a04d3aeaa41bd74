package dev.laocoon.core.sign;

import dev.laocoon.core.internal.sign.Hashing;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Digests of files that the caller wrote itself, computed from the very bytes it wrote, so that
 * verification need not read them a second time ({@link VerifyRequest#withKnownDigests}). The
 * usual way to fill it is {@link #copy}, which copies a file and hashes what it writes in one pass
 * (the gate's staging copy). A digest is used only for the same file, the same byte range and
 * the same algorithm as the verified statement asks for, and only while the file has the size it
 * had when it was written; anything else is hashed as usual.
 *
 * <p>The caller vouches that nobody else wrote to those files after they were hashed (a private,
 * owner-only staging folder): a known digest is taken as the digest of the file's content.
 * Thread-safe.
 */
public final class KnownDigests {
    private static final int BUFFER = 1 << 20;

    private record Key(Path file, long start, long end, String algorithm) {
    }

    private final Map<Key, byte[]> digests = new ConcurrentHashMap<>();

    private static Path key(Path p) {
        return p.toAbsolutePath().normalize();
    }

    /** Records the digest of bytes [start, end) of {@code file}. */
    public void put(Path file, long start, long end, String algorithm, byte[] digest) {
        if (start < 0 || end < start) {
            throw new IllegalArgumentException("bad range [" + start + ", " + end + ")");
        }
        digests.put(new Key(key(file), start, end, algorithm), digest.clone());
    }

    /** The digest of bytes [start, end) of {@code file} by {@code algorithm}, or null when not known. */
    public byte[] get(Path file, long start, long end, String algorithm) {
        byte[] d = digests.get(new Key(key(file), start, end, algorithm));
        return d == null ? null : d.clone();
    }

    public int size() {
        return digests.size();
    }

    /**
     * Copies {@code from} to the new file {@code to} (which must not exist) and records the digests
     * {@code plan} asks for of the bytes written: the whole file, or each shard
     * [k * shardSize, min(size, (k + 1) * shardSize)). Exactly {@code expectedSize} bytes are copied:
     * a source that turns out shorter or longer (it changed since its size was read) is an
     * IOException, so that a bound checked on the size holds for what is copied.
     *
     * @return the number of bytes copied
     */
    public long copy(Path from, Path to, HashPlan plan, long expectedSize) throws IOException {
        Hashing.Hasher h = new Hashing.Hasher(plan.algorithm());
        long shard = plan.shardSize() == 0 ? Long.MAX_VALUE : plan.shardSize();
        byte[] buf = new byte[BUFFER];
        ByteBuffer bb = ByteBuffer.wrap(buf);
        long pos = 0;
        long shardStart = 0;
        try (FileChannel in = FileChannel.open(from, StandardOpenOption.READ);
             FileChannel out = FileChannel.open(to, StandardOpenOption.WRITE, StandardOpenOption.CREATE_NEW)) {
            while (true) {
                bb.clear();
                long toShardEnd = shardStart + shard - pos;
                if (toShardEnd < buf.length) {
                    bb.limit((int) toShardEnd);
                }
                int got = in.read(bb);
                if (got < 0) {
                    break;
                }
                if (pos + got > expectedSize) {
                    throw new IOException(from + " grew while it was copied (" + expectedSize + " bytes expected)");
                }
                bb.flip();
                while (bb.hasRemaining()) {
                    out.write(bb);
                }
                h.update(buf, 0, got);
                pos += got;
                if (pos - shardStart == shard) {
                    put(to, shardStart, pos, plan.algorithm(), h.digest());
                    shardStart = pos;
                }
            }
            if (pos != expectedSize) {
                throw new IOException(from + " shrank while it was copied (" + pos + " of " + expectedSize + " bytes)");
            }
        }
        if (plan.shardSize() == 0) {
            put(to, 0, pos, plan.algorithm(), h.digest());
        } else if (pos > shardStart) {
            put(to, shardStart, pos, plan.algorithm(), h.digest());
        }
        return pos;
    }

    /**
     * The digest of each range: known (to {@code known}, which may be null) for the same file,
     * range and algorithm while the file still has the size it had then, else read and hashed.
     */
    static List<byte[]> digests(KnownDigests known, List<Hashing.Range> ranges, String algorithm, int threads)
            throws IOException {
        List<byte[]> out = new ArrayList<>();
        List<Hashing.Range> read = new ArrayList<>();
        for (Hashing.Range g : ranges) {
            byte[] d = null;
            if (known != null) {
                long size = Files.size(g.path());
                // a whole file is known by its current size; a range only while the file still covers it
                if (g.end() < 0 || g.end() <= size) {
                    d = known.get(g.path(), g.start(), g.end() < 0 ? size : g.end(), algorithm);
                }
            }
            out.add(d);
            if (d == null) {
                read.add(g);
            }
        }
        List<Hashing.Digest> hashed = Hashing.hash(read, algorithm, threads);
        for (int i = 0, k = 0; i < out.size(); i++) {
            if (out.get(i) == null) {
                out.set(i, hashed.get(k++).value());
            }
        }
        return out;
    }
}
