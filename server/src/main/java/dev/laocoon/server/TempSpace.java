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

    /**
     * Streams {@code in} into a new upload, at most {@code limit} bytes (one more is a
     * {@link TooLarge}); the upload is closed (file removed) when anything fails.
     */
    Upload receive(InputStream in, long limit, Progress progress) throws IOException {
        Upload u = create();
        boolean ok = false;
        try {
            MessageDigest d = Hashes.sha256();
            byte[] buf = new byte[64 * 1024];
            long total = 0;
            long checkedSpaceAt = -1;
            try (OutputStream out = Files.newOutputStream(u.file, StandardOpenOption.WRITE)) {
                while (true) {
                    int n = in.read(buf);
                    if (n < 0) {
                        break;
                    }
                    if (n == 0) {
                        continue;
                    }
                    total += n;
                    if (total > limit) {
                        throw new TooLarge("the body is larger than the limit of " + limit + " bytes");
                    }
                    u.reserve(n);
                    if (checkedSpaceAt < 0 || total - checkedSpaceAt >= (8 << 20)) {
                        checkedSpaceAt = total;
                        if (Files.getFileStore(dir).getUsableSpace() < (16L << 20)) {
                            throw new Full("the disk of the temporary folder is full");
                        }
                    }
                    try {
                        out.write(buf, 0, n);
                    } catch (IOException e) {
                        String m = String.valueOf(e.getMessage());
                        if (m.contains("No space left") || m.contains("Disk quota")) {
                            throw new Full("the disk of the temporary folder is full");
                        }
                        throw e;
                    }
                    d.update(buf, 0, n);
                    if (progress != null) {
                        progress.bytes = total;
                        progress.lastNanos = System.nanoTime();
                    }
                }
            }
            u.size = total;
            u.sha256 = HexFormat.of().formatHex(d.digest());
            ok = true;
            return u;
        } finally {
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
