package dev.laocoon.core.internal.sign;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Hashes files or byte ranges of files, each read once, on a fixed number of threads. Memory is
 * bounded by one 1 MiB buffer per thread whatever the model's size.
 */
public final class Hashing {
    private static final int BUFFER = 1 << 20;

    /** A byte range [start, end) of a file; end &lt; 0 means "to the end of the file". */
    public record Range(Path path, long start, long end) {
    }

    /** The digest of one range and the number of bytes read. */
    public record Digest(byte[] value, long bytes) {
    }

    private Hashing() {
    }

    /** The digest length in bytes, or -1 for an algorithm Laocoon does not implement. */
    public static int length(String algorithm) {
        return switch (algorithm) {
            case "sha256" -> 32;
            case "blake2b" -> 64;
            default -> -1;
        };
    }

    public static List<Digest> hash(List<Range> ranges, String algorithm, int threads) throws IOException {
        if (length(algorithm) < 0) {
            throw new IllegalArgumentException("unsupported hash algorithm '" + algorithm + "'");
        }
        int n = Math.max(1, Math.min(threads, ranges.size()));
        if (n == 1) {
            List<Digest> out = new ArrayList<>();
            byte[] buf = new byte[BUFFER];
            for (Range r : ranges) {
                out.add(one(r, algorithm, buf));
            }
            return out;
        }
        ExecutorService pool = Executors.newFixedThreadPool(n, r -> {
            Thread t = new Thread(r, "laocoon-hash");
            t.setDaemon(true);
            return t;
        });
        ThreadLocal<byte[]> buffers = ThreadLocal.withInitial(() -> new byte[BUFFER]);
        try {
            List<Future<Digest>> fs = new ArrayList<>();
            for (Range r : ranges) {
                fs.add(pool.submit(() -> one(r, algorithm, buffers.get())));
            }
            List<Digest> out = new ArrayList<>();
            for (Future<Digest> f : fs) {
                out.add(f.get());
            }
            return out;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while hashing");
        } catch (ExecutionException e) {
            if (e.getCause() instanceof IOException io) {
                throw io;
            }
            throw new IllegalStateException(e.getCause());
        } finally {
            pool.shutdownNow();
        }
    }

    /**
     * An incremental SHA-256 or BLAKE2b-512 digest; {@link #digest} finishes the current value and
     * starts the next (shard after shard with one instance).
     */
    public static final class Hasher {
        private final MessageDigest sha;
        private final Blake2b b2;

        public Hasher(String algorithm) {
            if (length(algorithm) < 0) {
                throw new IllegalArgumentException("unsupported hash algorithm '" + algorithm + "'");
            }
            if (algorithm.equals("sha256")) {
                try {
                    sha = MessageDigest.getInstance("SHA-256");
                } catch (NoSuchAlgorithmException e) {
                    throw new IllegalStateException(e);
                }
                b2 = null;
            } else {
                sha = null;
                b2 = new Blake2b();
            }
        }

        public void update(byte[] b, int off, int n) {
            if (sha != null) {
                sha.update(b, off, n);
            } else {
                b2.update(b, off, n);
            }
        }

        public byte[] digest() {
            if (sha != null) {
                return sha.digest();
            }
            byte[] d = b2.digest();
            b2.reset();
            return d;
        }
    }

    private static Digest one(Range r, String algorithm, byte[] buf) throws IOException {
        Hasher h = new Hasher(algorithm);
        long total = 0;
        try (FileChannel ch = FileChannel.open(r.path(), StandardOpenOption.READ)) {
            long pos = r.start();
            long end = r.end() < 0 ? Long.MAX_VALUE : r.end();
            ByteBuffer bb = ByteBuffer.wrap(buf);
            while (pos < end) {
                bb.clear();
                if (end - pos < buf.length) {
                    bb.limit((int) (end - pos));
                }
                int got = ch.read(bb, pos);
                if (got < 0) {
                    break;
                }
                h.update(buf, 0, got);
                pos += got;
                total += got;
            }
        }
        return new Digest(h.digest(), total);
    }
}
