package dev.laocoon.core.convert;

import dev.laocoon.core.source.ByteSource;
import dev.laocoon.core.source.FileByteSource;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Scratch files (inflated members) that live as long as one conversion and are always deleted. */
public final class TempFiles implements AutoCloseable {
    private final Path dir;
    private final long budget;
    private long used;
    private final List<Path> files = new ArrayList<>();
    private final List<ByteSource> open = new ArrayList<>();

    /** Scratch files go to {@code dir} (null: the system temporary directory), with no bound on their total size. */
    public TempFiles(Path dir) {
        this(dir, Long.MAX_VALUE);
    }

    /**
     * Scratch files go to {@code dir} (null: the system temporary directory) and hold at most
     * {@code budget} bytes together: a deflated member can inflate a thousandfold, and an archive
     * can have many.
     */
    public TempFiles(Path dir, long budget) {
        this.dir = dir;
        this.budget = budget;
    }

    /** Copies at most {@code max} bytes of {@code in} to a new scratch file; fails when there are more. */
    public ByteSource spool(InputStream in, long max, String what) throws IOException, ConvertException {
        Path f = dir == null ? Files.createTempFile("laocoon-", ".tmp") : Files.createTempFile(dir, ".laocoon-", ".tmp");
        files.add(f);
        try (var out = Files.newOutputStream(f)) {
            byte[] buf = new byte[1 << 16];
            long total = 0;
            int n;
            while ((n = in.read(buf)) > 0) {
                total += n;
                if (total > max) {
                    throw new ConvertException(what + " inflates to more than its declared " + max + " bytes");
                }
                used += n;
                if (used > budget) {
                    throw new ConvertException(what + " inflates past " + budget + " bytes of scratch space, more"
                            + " than any output converted from this file may hold");
                }
                out.write(buf, 0, n);
            }
        }
        ByteSource s = new FileByteSource(f);
        open.add(s);
        return s;
    }

    @Override
    public void close() {
        for (ByteSource s : open) {
            try {
                s.close();
            } catch (IOException ignored) {
                // deleting below is what matters
            }
        }
        for (Path f : files) {
            try {
                Files.deleteIfExists(f);
            } catch (IOException ignored) {
                f.toFile().deleteOnExit();
            }
        }
    }
}
