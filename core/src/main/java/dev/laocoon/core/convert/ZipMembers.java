package dev.laocoon.core.convert;

import dev.laocoon.core.internal.container.ZipMember;
import dev.laocoon.core.source.ByteSource;
import dev.laocoon.core.source.SliceByteSource;
import java.io.IOException;
import java.io.InputStream;
import java.util.zip.Inflater;
import java.util.zip.InflaterInputStream;

/** The bytes of a zip member: a window of the archive when stored, inflated to a scratch file when deflated. */
final class ZipMembers {
    private ZipMembers() {
    }

    static ByteSource open(ByteSource zip, ZipMember e, TempFiles temps, long max) throws IOException, ConvertException {
        if (e.dataOffset() < 0) {
            throw new ConvertException("the local header of '" + e.name() + "' cannot be read");
        }
        if (e.stored()) {
            if (e.dataOffset() + e.compressedSize() > zip.size()) {
                throw new ConvertException("'" + e.name() + "' runs past the end of the archive");
            }
            return new SliceByteSource(zip, e.dataOffset(), e.compressedSize());
        }
        if (e.method() != 8) {
            throw new ConvertException("'" + e.name() + "' uses zip compression method " + e.method()
                    + ", which Laocoon does not read");
        }
        long limit = Math.min(max, e.size());
        InputStream raw = new InputStream() {
            private long pos;

            @Override
            public int read() throws IOException {
                byte[] one = new byte[1];
                return read(one, 0, 1) == 1 ? one[0] & 0xff : -1;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                int n = zip.read(e.dataOffset() + pos, b, off, (int) Math.min(len, Math.max(0, e.compressedSize() - pos)));
                if (n <= 0) {
                    return -1;
                }
                pos += n;
                return n;
            }
        };
        try (InputStream in = new InflaterInputStream(raw, new Inflater(true), 1 << 16)) {
            ByteSource s = temps.spool(in, limit, "'" + e.name() + "'");
            if (s.size() != e.size()) {
                throw new ConvertException("'" + e.name() + "' inflates to " + s.size() + " bytes, not the declared "
                        + e.size());
            }
            return s;
        } catch (java.util.zip.ZipException damaged) {
            throw new ConvertException("'" + e.name() + "' is damaged: " + damaged.getMessage());
        }
    }
}
