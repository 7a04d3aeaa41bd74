package dev.laocoon.core.source;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * Turns a stream into a random-access source (zip archives are read from their end): up to
 * {@link #IN_MEMORY} bytes in memory, beyond that in a private temporary file that is deleted when
 * the source is closed. At most {@code limit} bytes are taken; the SHA-256 of the content is
 * computed on the way.
 */
public final class Spool {
    /** Streams up to this size stay in memory. */
    public static final int IN_MEMORY = 8 << 20;

    private Spool() {
    }

    /** The spooled content, or {@link TooLarge} when the stream has more than {@code limit} bytes. */
    public static Spooled of(InputStream in, long limit) throws IOException {
        MessageDigest sha = sha256();
        byte[] buf = new byte[(int) Math.min(IN_MEMORY, Math.max(0, limit)) + 1];
        int n = in.readNBytes(buf, 0, buf.length);
        sha.update(buf, 0, Math.min(n, (int) Math.min(limit, n)));
        if (n <= limit && n < buf.length) {
            return new Spooled(new ArrayByteSource(Arrays.copyOf(buf, n)), HexFormat.of().formatHex(sha.digest()), null);
        }
        if (n > limit) {
            throw new TooLarge(limit);
        }
        Path tmp = Files.createTempFile("laocoon-spool-", ".bin");
        try {
            long total = n;
            try (OutputStream out = Files.newOutputStream(tmp, StandardOpenOption.WRITE)) {
                out.write(buf, 0, n);
                byte[] chunk = new byte[1 << 16];
                int r;
                while ((r = in.read(chunk)) > 0) {
                    total += r;
                    if (total > limit) {
                        throw new TooLarge(limit);
                    }
                    sha.update(chunk, 0, r);
                    out.write(chunk, 0, r);
                }
            }
            FileByteSource file = new FileByteSource(tmp);
            return new Spooled(new ByteSource() {
                @Override
                public long size() {
                    return file.size();
                }

                @Override
                public int read(long position, byte[] dst, int off, int len) throws IOException {
                    return file.read(position, dst, off, len);
                }

                @Override
                public void close() throws IOException {
                    try {
                        file.close();
                    } finally {
                        Files.deleteIfExists(tmp);
                    }
                }
            }, HexFormat.of().formatHex(sha.digest()), tmp);
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(tmp);
            throw e;
        }
    }

    /** Spooled bytes (close to release a temporary file) and their hex SHA-256. */
    public record Spooled(ByteSource source, String sha256, Path file) implements AutoCloseable {
        @Override
        public void close() throws IOException {
            source.close();
        }
    }

    /** The stream has more bytes than the limit. */
    public static final class TooLarge extends IOException {
        private static final long serialVersionUID = 1L;

        TooLarge(long limit) {
            super("the stream has more than " + limit + " bytes, the spool limit");
        }
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The hex SHA-256 of a whole source. */
    public static String sha256(ByteSource src) throws IOException {
        MessageDigest sha = sha256();
        byte[] chunk = new byte[1 << 16];
        for (long p = 0; p < src.size(); ) {
            int r = src.read(p, chunk, 0, (int) Math.min(chunk.length, src.size() - p));
            if (r <= 0) {
                break;
            }
            sha.update(chunk, 0, r);
            p += r;
        }
        return HexFormat.of().formatHex(sha.digest());
    }
}
