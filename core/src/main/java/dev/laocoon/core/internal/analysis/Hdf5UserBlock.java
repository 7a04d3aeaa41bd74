package dev.laocoon.core.internal.analysis;

import dev.laocoon.core.finding.Location;
import dev.laocoon.core.internal.detect.Magic;
import dev.laocoon.core.source.ByteSource;
import dev.laocoon.core.source.SliceByteSource;
import java.io.IOException;

/**
 * The user block of an HDF5 file: the bytes before a superblock at 512, 1024, 2048, ... (see
 * {@link Magic#hdf5Superblock}). libhdf5 skips them, so h5py and Keras open the file as HDF5, while
 * another loader (pickle.load, a legacy torch.load, numpy.load) reads the same file from its first
 * byte. A user block that is not all zeros is analysed (the file from its first byte, as such a
 * loader reads it) as content of its own, member {@code <hdf5-user-block>}.
 */
final class Hdf5UserBlock {
    private Hdf5UserBlock() {
    }

    static void analyze(AnalysisContext ctx, ByteSource src, Location where) throws IOException {
        long at = Magic.hdf5Superblock(src);
        if (at <= 0 || zeros(src, at)) {
            return;
        }
        byte[] header = new byte[512];
        int n = src.readFully(0, header, 0, 512);
        if (n == 512 && Magic.tarHeader(header)) {
            return; // a tar holding an .h5 file: the tar is read member by member (its members' user blocks too)
        }
        if (n >= 4 && header[0] == 'P' && header[1] == 'K' && header[2] == 3 && header[3] == 4
                && dev.laocoon.core.internal.container.ZipArchive.looksLikeZip(src)) {
            return; // a zip storing an .h5 member (a .keras archive): the zip is read member by member
        }
        // Other loaders read the file from its first byte, and what they read may run past the
        // superblock (a pickle whose bytes constant holds the HDF5 part): the whole file is analysed
        // again with the superblock signature masked, so that it is no longer HDF5 to the pipeline.
        ctx.recurse(masked(src, at), where.withMember("<hdf5-user-block>"));
    }

    /** {@code src} with the 8 signature bytes at {@code at} read as zeros. */
    private static ByteSource masked(ByteSource src, long at) {
        return new ByteSource() {
            @Override
            public long size() {
                return src.size();
            }

            @Override
            public int read(long position, byte[] dst, int off, int len) throws IOException {
                int n = src.read(position, dst, off, len);
                for (long p = Math.max(position, at); p < Math.min(position + Math.max(n, 0), at + 8); p++) {
                    dst[off + (int) (p - position)] = 0;
                }
                return n;
            }
        };
    }

    /**
     * jhdf opens a file whose superblock follows a user block only when the superblock's base
     * address names that offset (as h5py writes it); libhdf5 also opens one whose base address is
     * 0 (an HDF5 file appended to other bytes: H5Fsuper.c takes the superblock's offset as the base
     * then). For that case the HDF5 part is opened on its own; null when no rebasing is needed.
     */
    static io.jhdf.HdfFile rebased(ByteSource src) throws IOException {
        long at = Magic.hdf5Superblock(src);
        if (at <= 0) {
            return null;
        }
        byte[] sb = new byte[40];
        int n = src.readFully(at, sb, 0, sb.length);
        int version = n > 8 ? sb[8] & 0xff : -1;
        int baseAt = version == 0 ? 24 : version == 1 ? 28 : 12;
        int offsets = version <= 1 ? (n > 13 ? sb[13] & 0xff : 8) : (n > 9 ? sb[9] & 0xff : 8);
        long base = 0;
        for (int i = Math.min(offsets, 8) - 1; i >= 0 && baseAt + i < n; i--) {
            base = base << 8 | (sb[baseAt + i] & 0xff);
        }
        if (base == at) {
            return null;
        }
        return new io.jhdf.HdfFile(new dev.laocoon.core.source.ByteSourceChannel(new SliceByteSource(src, at,
                src.size() - at)), java.net.URI.create("file:///laocoon/hdf5-after-user-block") /* jhdf wants a path */);
    }

    private static boolean zeros(ByteSource src, long n) throws IOException {
        byte[] b = new byte[(int) Math.min(n, 65536)];
        for (long p = 0; p < n; p += b.length) {
            int k = src.readFully(p, b, 0, (int) Math.min(b.length, n - p));
            for (int i = 0; i < k; i++) {
                if (b[i] != 0) {
                    return false;
                }
            }
        }
        return true;
    }
}
