package dev.laocoon.server;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The uploads' temporary folder (owner-only), with a bound on the bytes it may hold at once. An
 * upload is streamed to a private file while its SHA-256 is computed; nothing is held in memory
 * beyond one 64 KiB buffer. Every file is removed when its {@link Upload} is closed, and whatever
 * a crash left is removed at start-up.
 */
final class TempSpace {
    /** More than the body limit was sent. */
    static final class TooLarge extends IOException {
        TooLarge(String m) {
            super(m);
        }
    }

    /** The temporary folder's bound (or its disk) is full. */
    static final class Full extends IOException {
        Full(String m) {
            super(m);
        }
    }

    /** Progress of a body being read, for the slow-client watchdog. */
    static final class Progress {
        final long started = System.nanoTime();
        volatile long bytes;
        volatile long lastNanos = started;
    }

    private final Path dir;
    private final long maxBytes;
    private final AtomicLong used = new AtomicLong();
    private final Set<Path> live = ConcurrentHashMap.newKeySet();

    TempSpace(Path dir, long maxBytes) throws IOException {
        this.dir = dir.toAbsolutePath();
        this.maxBytes = maxBytes;
        Files.createDirectories(this.dir);
        try {
            Files.setPosixFilePermissions(this.dir, PosixFilePermissions.fromString("rwx------"));
        } catch (UnsupportedOperationException e) {
            // not a POSIX file system: its own permissions apply
        }
    }

    Path dir() {
        return dir;
    }

    private volatile java.nio.file.FileStore store;

    /** The temporary folder's file system (found once: finding it reads the mount table). */
    private java.nio.file.FileStore fileStore() throws IOException {
        java.nio.file.FileStore s = store;
        if (s == null) {
            s = Files.getFileStore(dir);
            store = s;
        }
        return s;
    }

    /** Removes files a previous run left (a crash, a kill); returns how many. */
    int sweep() throws IOException {
        int n = 0;
        try (var s = Files.list(dir)) {
            for (Path p : (Iterable<Path>) s::iterator) {
                if (p.getFileName().toString().startsWith("upload-") && Files.isRegularFile(p)) {
                    Files.deleteIfExists(p);
                    n++;
                } else if (p.getFileName().toString().startsWith("repo-") && Files.isDirectory(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                    removeFolder(p);
                    n++;
                }
            }
        }
        return n;
    }

    long used() {
        return used.get();
    }

    int liveFiles() {
        return live.size();
    }

    /** A received body: its file, size and SHA-256. Closing removes the file and frees its bytes. */
    final class Upload implements AutoCloseable {
        final Path file;
        long size;
        String sha256;
        private long reserved;
        private boolean closed;

        private Upload(Path file) {
            this.file = file;
        }

        @Override
        public synchronized void close() {
            if (closed) {
                return;
            }
            closed = true;
            try {
                Files.deleteIfExists(file);
            } catch (IOException e) {
                // removed at the next start-up's sweep
            }
            live.remove(file);
            used.addAndGet(-reserved);
        }

        private void reserve(long n) throws Full {
            if (used.addAndGet(n) > maxBytes) {
                used.addAndGet(-n);
                throw new Full("the temporary space for uploads is full (" + maxBytes + " bytes)");
            }
            reserved += n;
        }
    }

    Upload create() throws IOException {
        Path f;
        try {
            f = Files.createTempFile(dir, "upload-", ".part",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        } catch (UnsupportedOperationException e) {
            f = Files.createTempFile(dir, "upload-", ".part");
        }
        live.add(f);
        return new Upload(f);
    }

    /** The first buffer of every body: most uploads to a scan service are small, and all of them fit in it. */
    private static final int FIRST = 16 * 1024;
    /** The buffers of a larger body (a few per upload, reused): fewer writes, and one hand-over per chunk. */
    private static final int CHUNK = 256 * 1024;
    /** Chunks of one upload being hashed or waiting to be, beside the one being filled. */
    private static final int IN_FLIGHT = 3;

    /**
     * Hashes the chunks of larger bodies beside the thread that receives and writes them: SHA-256
     * costs about as much as reading the socket and writing the file together, so in turn they would
     * take twice as long as the transfer itself. Threads made on demand, idle ones end after 30 s.
     */
    private static final java.util.concurrent.ExecutorService HASHERS = new java.util.concurrent.ThreadPoolExecutor(0,
            Integer.MAX_VALUE, 30, java.util.concurrent.TimeUnit.SECONDS, new java.util.concurrent.SynchronousQueue<>(), r -> {
                Thread t = new Thread(r, "laocoon-hash");
                t.setDaemon(true);
                return t;
            });

    /** SHA-256 of chunks in order on a hasher thread; buffers come back for reuse. */
    private static final class Hasher implements Runnable {
        private record Chunk(byte[] b, int n) {
        }

        private static final Chunk END = new Chunk(new byte[0], -1);
        private final MessageDigest d;
        private final java.util.concurrent.ArrayBlockingQueue<Chunk> full = new java.util.concurrent.ArrayBlockingQueue<>(IN_FLIGHT + 1);
        private final java.util.concurrent.ArrayBlockingQueue<byte[]> free = new java.util.concurrent.ArrayBlockingQueue<>(IN_FLIGHT + 1);
        private final java.util.concurrent.CompletableFuture<byte[]> digest = new java.util.concurrent.CompletableFuture<>();
        private int made;

        Hasher(MessageDigest d) {
            this.d = d;
        }

        /** A buffer to fill: a returned one, or a new one while fewer than IN_FLIGHT + 1 exist. */
        byte[] buffer() throws IOException {
            byte[] b = free.poll();
            if (b != null) {
                return b;
            }
            if (made <= IN_FLIGHT) {
                made++;
                return new byte[CHUNK];
            }
            try {
                return free.take();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new java.io.InterruptedIOException("interrupted while receiving");
            }
        }

        void hash(byte[] b, int n) throws IOException {
            try {
                full.put(new Chunk(b, n));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new java.io.InterruptedIOException("interrupted while receiving");
            }
        }

        /** Ends the hashing: the digest of all chunks (when {@code complete}), else the thread just stops. */
        byte[] finish(boolean complete) throws IOException {
            if (!complete) {
                full.clear();
                full.offer(END);
                return null;
            }
            try {
                full.put(END);
                return digest.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new java.io.InterruptedIOException("interrupted while hashing");
            } catch (java.util.concurrent.ExecutionException e) {
                throw new IOException("hashing failed: " + e.getCause(), e.getCause());
            }
        }

        @Override
        public void run() {
            try {
                while (true) {
                    Chunk c = full.take();
                    if (c == END) {
                        digest.complete(d.digest());
                        return;
                    }
                    d.update(c.b(), 0, c.n());
                    free.offer(c.b());
                }
            } catch (InterruptedException | RuntimeException e) {
                digest.completeExceptionally(e);
            }
        }
    }

    /**
     * Streams {@code in} into a new upload, at most {@code limit} bytes (one more is a
     * {@link TooLarge}); the upload is closed (file removed) when anything fails. A body larger than
     * the first 16 KiB buffer is written in 256 KiB chunks, hashed on a second thread meanwhile.
     */
    Upload receive(InputStream in, long limit, Progress progress) throws IOException {
        Upload u = create();
        boolean ok = false;
        Hasher hasher = null;
        try {
            MessageDigest d = Hashes.sha256();
            byte[] buf = new byte[FIRST];
            long total = 0;
            long checkedSpaceAt = -1;
            try (OutputStream out = Files.newOutputStream(u.file, StandardOpenOption.WRITE)) {
                boolean eof = false;
                while (!eof) {
                    int filled = 0;
                    while (filled < buf.length) {
                        int n = in.read(buf, filled, buf.length - filled);
                        if (n < 0) {
                            eof = true;
                            break;
                        }
                        if (n == 0) {
                            continue;
                        }
                        total += n;
                        if (total > limit) {
                            throw new TooLarge("the body is larger than the limit of " + limit + " bytes");
                        }
                        filled += n;
                        if (progress != null) {
                            progress.bytes = total;
                            progress.lastNanos = System.nanoTime();
                        }
                    }
                    if (filled == 0) {
                        break;
                    }
                    u.reserve(filled);
                    if (checkedSpaceAt < 0 || total - checkedSpaceAt >= (8 << 20)) {
                        checkedSpaceAt = total;
                        if (fileStore().getUsableSpace() < (16L << 20)) {
                            throw new Full("the disk of the temporary folder is full");
                        }
                    }
                    try {
                        out.write(buf, 0, filled);
                    } catch (IOException e) {
                        String m = String.valueOf(e.getMessage());
                        if (m.contains("No space left") || m.contains("Disk quota")) {
                            throw new Full("the disk of the temporary folder is full");
                        }
                        throw e;
                    }
                    if (hasher != null) {
                        hasher.hash(buf, filled);
                        buf = hasher.buffer();
                    } else {
                        d.update(buf, 0, filled);
                        if (!eof) {
                            // more than the first buffer: the rest is hashed beside the receiving
                            hasher = new Hasher(d);
                            HASHERS.execute(hasher);
                            buf = hasher.buffer();
                        }
                    }
                }
            }
            u.size = total;
            u.sha256 = HexFormat.of().formatHex(hasher != null ? hasher.finish(true) : d.digest());
            hasher = null;
            ok = true;
            return u;
        } finally {
            if (hasher != null) {
                hasher.finish(false);
            }
            if (!ok) {
                u.close();
            }
        }
    }

    /** A request body counted against the body limit (one byte more is a {@link TooLarge}). */
    static InputStream limited(InputStream in, long limit, Progress progress) {
        return new java.io.FilterInputStream(in) {
            private long n;

            @Override
            public int read() throws IOException {
                byte[] b = new byte[1];
                int r = read(b, 0, 1);
                return r < 0 ? -1 : b[0] & 0xff;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                int r = super.read(b, off, len);
                if (r > 0) {
                    n += r;
                    if (n > limit) {
                        throw new TooLarge("the body is larger than the limit of " + limit + " bytes");
                    }
                    if (progress != null) {
                        progress.bytes = n;
                        progress.lastNanos = System.nanoTime();
                    }
                }
                return r;
            }
        };
    }

    /** A private folder for an unpacked repository. */
    Path createFolder() throws IOException {
        Path d;
        try {
            d = Files.createTempDirectory(dir, "repo-", PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        } catch (UnsupportedOperationException e) {
            d = Files.createTempDirectory(dir, "repo-");
        }
        live.add(d);
        return d;
    }

    /** Removes a folder made by {@link #createFolder()} with everything in it (links are removed, never followed). */
    void removeFolder(Path d) {
        try (var w = Files.walk(d)) {
            for (Path p : (Iterable<Path>) w.sorted(java.util.Comparator.reverseOrder())::iterator) {
                Files.deleteIfExists(p);
            }
        } catch (IOException | java.io.UncheckedIOException e) {
            // removed at the next start-up's sweep
        }
        live.remove(d);
    }

    /** Bytes taken from the bound for a while (an unpacked repository); closing gives them back. */
    final class Reservation implements AutoCloseable {
        private long held;

        void reserve(long n) throws Full {
            if (used.addAndGet(n) > maxBytes) {
                used.addAndGet(-n);
                throw new Full("the temporary space for uploads is full (" + maxBytes + " bytes)");
            }
            held += n;
        }

        @Override
        public void close() {
            used.addAndGet(-held);
            held = 0;
        }
    }

    Reservation reservation() {
        return new Reservation();
    }
}
