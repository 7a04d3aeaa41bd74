package dev.laocoon.core.internal.container;

import dev.laocoon.core.source.ByteSource;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A zip archive read the lenient way PyTorch's reader reads it: end of central directory
 * (ZIP64 included), central directory entries, then each local header for the data offset.
 * CRCs and the encryption flag are not checked; inconsistencies are collected as
 * {@link #anomalies()} so that analysers can report them.
 */
public final class ZipArchive {
    private static final int EOCD = 0x06054b50;
    private static final int EOCD64 = 0x06064b50;
    private static final int EOCD64_LOCATOR = 0x07064b50;
    private static final int CENTRAL = 0x02014b50;
    private static final int LOCAL = 0x04034b50;

    private final List<ZipMember> entries;
    private final List<String> anomalies;
    private final long firstLocalHeader;

    private ZipArchive(List<ZipMember> entries, List<String> anomalies, long firstLocalHeader) {
        this.entries = List.copyOf(entries);
        this.anomalies = List.copyOf(anomalies);
        this.firstLocalHeader = firstLocalHeader;
    }

    public List<ZipMember> entries() {
        return entries;
    }

    /** Things a strict reader would reject or read differently (each a short sentence). */
    public List<String> anomalies() {
        return anomalies;
    }

    /**
     * The {@code data.pkl} record of a torch.save archive ({@code data.pkl} or {@code PREFIX/data.pkl},
     * the shortest name when there are several), or null when the archive has none.
     */
    public ZipMember torchDataPkl() {
        ZipMember best = null;
        for (ZipMember e : entries) {
            if ((e.name().equals("data.pkl") || e.name().endsWith("/data.pkl"))
                    && (best == null || e.name().length() < best.name().length())) {
                best = e;
            }
        }
        return best;
    }

    /** Offset of the first local header; bytes before it are a prefix. */
    public long firstLocalHeader() {
        return firstLocalHeader;
    }

    /** True when the data ends with an end-of-central-directory record (cheap check). */
    public static boolean looksLikeZip(ByteSource src) throws IOException {
        return findEocd(src) >= 0;
    }

    /** Reads the directory; returns null when there is no end-of-central-directory record. */
    public static ZipArchive read(ByteSource src, int maxEntries) throws IOException {
        long eocd = findEocd(src);
        if (eocd < 0) {
            return null;
        }
        byte[] e = new byte[22];
        src.readFully(eocd, e, 0, 22);
        List<String> anomalies = new ArrayList<>();
        long count = u16(e, 10);
        long cdSize = u32(e, 12);
        long cdOffset = u32(e, 16);
        long cdEnd = eocd;
        if (eocd >= 20) {
            byte[] loc = new byte[20];
            src.readFully(eocd - 20, loc, 0, 20);
            if (u32(loc, 0) == EOCD64_LOCATOR) {
                // The ZIP64 end record normally sits right before its locator; fall back to the stated offset.
                byte[] z = new byte[56];
                long at = eocd - 20 - 56;
                if (at < 0 || src.readFully(at, z, 0, 56) != 56 || u32(z, 0) != EOCD64) {
                    at = u64(loc, 8);
                    if (at < 0 || src.readFully(at, z, 0, 56) != 56 || u32(z, 0) != EOCD64) {
                        at = -1;
                    }
                }
                if (at >= 0) {
                    cdEnd = at;
                    if (count == 0xffff || cdOffset == 0xffffffffL || cdSize == 0xffffffffL) {
                        count = u64(z, 32);
                        cdSize = u64(z, 40);
                        cdOffset = u64(z, 48);
                    }
                }
            }
        }
        // Bytes before the archive (a prefix): the central directory ends where the end records start.
        long shift = 0;
        if (cdOffset + cdSize < cdEnd) {
            shift = cdEnd - (cdOffset + cdSize);
            anomalies.add(shift + " bytes precede the archive (a prefix); offsets are shifted");
        }
        if (count > maxEntries) {
            anomalies.add("central directory claims " + count + " entries; only " + maxEntries + " read");
            count = maxEntries;
        }
        List<ZipMember> entries = new ArrayList<>();
        long p = cdOffset + shift;
        byte[] h = new byte[46];
        long firstLocal = Long.MAX_VALUE;
        java.util.Set<String> names = new java.util.HashSet<>();
        for (long i = 0; i < count; i++) {
            if (src.readFully(p, h, 0, 46) < 46 || u32(h, 0) != CENTRAL) {
                anomalies.add("central directory entry " + i + " is missing or damaged at offset " + p);
                break;
            }
            int flags = u16(h, 8);
            int method = u16(h, 10);
            long crc = u32(h, 16);
            long csize = u32(h, 20);
            long size = u32(h, 24);
            int nameLen = u16(h, 28);
            int extraLen = u16(h, 30);
            int commentLen = u16(h, 32);
            long local = u32(h, 42);
            byte[] nb = new byte[nameLen];
            src.readFully(p + 46, nb, 0, nameLen);
            String name = new String(nb, (flags & 0x800) != 0 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
            if (extraLen > 0 && (csize == 0xffffffffL || size == 0xffffffffL || local == 0xffffffffL)) {
                byte[] ex = new byte[extraLen];
                src.readFully(p + 46 + nameLen, ex, 0, extraLen);
                long[] z = zip64(ex, size == 0xffffffffL, csize == 0xffffffffL, local == 0xffffffffL);
                if (size == 0xffffffffL) {
                    size = z[0];
                }
                if (csize == 0xffffffffL) {
                    csize = z[1];
                }
                if (local == 0xffffffffL) {
                    local = z[2];
                }
            }
            p += 46L + nameLen + extraLen + commentLen;
            local += shift;
            firstLocal = Math.min(firstLocal, local);
            String localName = null;
            long data = -1;
            byte[] lh = new byte[30];
            if (src.readFully(local, lh, 0, 30) == 30 && u32(lh, 0) == LOCAL) {
                int ln = u16(lh, 26);
                int le = u16(lh, 28);
                byte[] lnb = new byte[ln];
                src.readFully(local + 30, lnb, 0, ln);
                localName = new String(lnb, (u16(lh, 6) & 0x800) != 0 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
                data = local + 30 + ln + le;
                if (!localName.equals(name)) {
                    anomalies.add("member '" + name + "' is named '" + localName + "' in its local header");
                }
            } else {
                anomalies.add("member '" + name + "' has no local header at offset " + local);
            }
            if ((flags & 0x1) != 0) {
                anomalies.add("member '" + name + "' has the encryption flag set (readers that ignore it see its bytes)");
            }
            if ((flags & 0x40) != 0 || (flags & 0x2000) != 0) {
                anomalies.add("member '" + name + "' has strong-encryption flag bits set");
            }
            if ((flags & 0x20) != 0) {
                anomalies.add("member '" + name + "' has the compressed-patch flag set");
            }
            if (!names.add(name)) {
                anomalies.add("member name '" + name + "' appears more than once");
            }
            entries.add(new ZipMember(name, localName, method, flags, crc, csize, size, local, data));
        }
        if (firstLocal != Long.MAX_VALUE && firstLocal > 0 && shift == 0) {
            anomalies.add(firstLocal + " bytes precede the first local header");
        }
        return new ZipArchive(entries, anomalies, firstLocal == Long.MAX_VALUE ? -1 : firstLocal);
    }

    private static long[] zip64(byte[] ex, boolean hasSize, boolean hasCsize, boolean hasLocal) {
        long[] out = {0, 0, 0};
        int i = 0;
        while (i + 4 <= ex.length) {
            int id = u16(ex, i);
            int len = u16(ex, i + 2);
            if (id == 0x0001) {
                int q = i + 4;
                if (hasSize && q + 8 <= ex.length) {
                    out[0] = u64(ex, q);
                    q += 8;
                }
                if (hasCsize && q + 8 <= ex.length) {
                    out[1] = u64(ex, q);
                    q += 8;
                }
                if (hasLocal && q + 8 <= ex.length) {
                    out[2] = u64(ex, q);
                }
            }
            i += 4 + len;
        }
        return out;
    }

    /** The end-of-central-directory record's offset, searching the last 64 KiB + 22 bytes. */
    /** Non-zero for the bytes of the end-of-central-directory signature (50 4b 05 06). */
    private static final byte[] SIG_BYTE = new byte[256];

    static {
        SIG_BYTE[0x50] = 1;
        SIG_BYTE[0x4b] = 1;
        SIG_BYTE[5] = 1;
        SIG_BYTE[6] = 1;
    }

    static long findEocd(ByteSource src) throws IOException {
        long size = src.size();
        if (size < 22) {
            return -1;
        }
        int window = (int) Math.min(size, 65_535 + 22);
        byte[] b = new byte[window];
        long base = size - window;
        src.readFully(base, b, 0, window);
        // Backwards, the last signature first. Every file is searched here, mostly before any
        // code is compiled: one byte in four is looked at (every 4-byte signature covers one
        // position that is a multiple of 4), the others only around a byte of the signature.
        for (int j = (window - 19) & ~3; j >= 0; j -= 4) {
            int k = SIG_BYTE[b[j] & 0xff];
            if (k == 0) {
                continue;
            }
            for (int i = Math.min(j, window - 22); i >= j - 3 && i >= 0; i--) {
                if (b[i] == 0x50 && b[i + 1] == 0x4b && b[i + 2] == 5 && b[i + 3] == 6) {
                    int commentLen = u16(b, i + 20);
                    if (i + 22 + commentLen <= window) {
                        return base + i;
                    }
                }
            }
        }
        return -1;
    }

    /** Little-endian unsigned 16-bit value at {@code o}. */
    public static int u16(byte[] b, int o) {
        return (b[o] & 0xff) | (b[o + 1] & 0xff) << 8;
    }

    /** Little-endian unsigned 32-bit value at {@code o}. */
    public static long u32(byte[] b, int o) {
        return (u16(b, o) | (long) u16(b, o + 2) << 16) & 0xffffffffL;
    }

    static long u64(byte[] b, int o) {
        return u32(b, o) | u32(b, o + 4) << 32;
    }
}
