package dev.laocoon.core.internal.container;

import dev.laocoon.core.source.ByteSource;
import java.io.IOException;
import java.util.Arrays;

/**
 * Where each zip reader that loads models finds the central directory: the end of central
 * directory (EOCD) record, the ZIP64 end record, the directory's offset and extent. The readers
 * disagree, and a file built for the disagreement shows one loader members that another never
 * sees; {@link ZipArchive} reads the directory as each of them does and analyses the union.
 *
 * <p><b>PyTorch</b> ({@code torch.load}, {@code torch.jit.load}): caffe2/serialize/inline_container.cc,
 * {@code PyTorchStreamReader::init}, calls miniz's {@code mz_zip_reader_init} (third_party/miniz-2.x/miniz.c).
 * <ul>
 * <li>{@code mz_zip_reader_locate_header_sig}: scans back from the end in 4096-byte windows (stepping
 *   4093) for the last {@code PK\5\6} with at least 22 bytes after it; the comment length is never
 *   checked; gives up once a window starts 65557 bytes or more before the end.</li>
 * <li>{@code mz_zip_reader_read_central_dir}: a ZIP64 locator right before the EOCD (EOCD offset >= 76)
 *   names the ZIP64 record by its absolute offset (rejected past size - 56); when that record has
 *   its signature the archive is ZIP64 and the record's count, directory size and offset replace
 *   the classic ones whatever they hold (no 0xFFFF sentinel test); record size < 44 or a locator
 *   disk count other than 1 is rejected.</li>
 * <li>The count must equal the count on this disk, the size must hold count * 46 bytes, offset +
 *   size must lie within the file; exactly {@code count} entries are read from the directory (bytes
 *   after them are ignored), each must fit in what is left of the size. Offsets are absolute: no
 *   shift for a prefix (torch.load does not even open a file that does not start with
 *   {@code PK\3\4}: torch/serialization.py {@code _is_zipfile}).</li>
 * </ul>
 * <p><b>Python's zipfile</b> ({@code numpy.load} of .npz: numpy/lib/npyio.py {@code NpzFile} via
 * {@code zipfile_factory}; Keras 3 .keras: keras/src/saving/saving_lib.py opens {@code zipfile.ZipFile}):
 * /usr/lib/python3.11/zipfile.py.
 * <ul>
 * <li>{@code _EndRecData} (l. 284): first the last 22 bytes, taken when they start with the signature
 *   and end with a zero comment length; otherwise {@code rfind} of the signature in the last
 *   65536 + 22 bytes: the last occurrence, which fails when fewer than 22 bytes follow it; the
 *   comment length is only used to slice the comment (a length past the end is accepted).</li>
 * <li>{@code _EndRecData64} (l. 241): a locator at EOCD - 20 (disk numbers other than 0/1 rejected);
 *   the ZIP64 record is assumed at EOCD - 20 - 56 (the locator's offset is ignored); with its
 *   signature, its count, size and offset replace the classic ones unconditionally.</li>
 * <li>{@code _RealGetContents} (l. 1361): {@code concat = EOCD offset - size - offset} (less 76 with a
 *   ZIP64 record, l. 1377-1380), may be negative; the directory starts at offset + concat and every
 *   local header offset is shifted by concat (l. 1428). Entries are read while the bytes read are
 *   fewer than the directory size (l. 1391): the entry count is ignored. The last entry of a name
 *   wins a lookup by name ({@code NameToInfo}, l. 1430).</li>
 * </ul>
 * <p><b>A strict reader</b> (the APPNOTE, Info-ZIP): the last EOCD whose comment fits in the file;
 * ZIP64 values only where the classic field holds its 0xFFFF/0xFFFFFFFF sentinel; entries by count.
 */
final class ZipEnd {
    static final int EOCD_SIG = 0x06054b50;
    static final int EOCD64_SIG = 0x06064b50;
    static final int LOCATOR_SIG = 0x07064b50;
    /** Python's rfind window: the last 65536 + 22 bytes. */
    static final int PYTHON_WINDOW = (1 << 16) + 22;
    /** The strict search window: the last 65535 + 22 bytes (the longest comment). */
    static final int STRICT_WINDOW = 65_535 + 22;

    /** The readers modelled. */
    enum Reader {
        MINIZ("PyTorch's reader (miniz)"), PYTHON("Python's zipfile (numpy.load, Keras)"), STRICT("a strict zip reader");

        final String label;

        Reader(String label) {
            this.label = label;
        }
    }

    /**
     * A directory as one reader locates it.
     *
     * @param eocd      the EOCD record's offset
     * @param offset    the directory offset the end records state
     * @param start     where the directory is read (absolute)
     * @param size      its size in bytes
     * @param count     its entry count
     * @param byCount   entries are read by count (otherwise until the size is consumed)
     * @param shift     added to every local header offset
     * @param zip64     a ZIP64 end record was used
     */
    record Directory(Reader reader, long eocd, long offset, long start, long size, long count, boolean byCount, long shift,
                     boolean zip64) {
    }

    private ZipEnd() {
    }

    /** Non-zero for the bytes of the end-of-central-directory signature (50 4b 05 06). */
    private static final byte[] SIG_BYTE = new byte[256];

    static {
        SIG_BYTE[0x50] = 1;
        SIG_BYTE[0x4b] = 1;
        SIG_BYTE[5] = 1;
        SIG_BYTE[6] = 1;
    }

    /** The lowest offset miniz's backwards search looks at (see the class comment). */
    static long minizLowest(long size) {
        long cur = Math.max(size - 4096, 0);
        while (cur > 0 && size - cur < 65_535 + 22) {
            cur = Math.max(cur - (4096 - 3), 0);
        }
        return cur;
    }

    /**
     * The end of the file as the readers see it: the offsets of every EOCD signature in the last
     * bytes any reader searches (descending), and the bytes searched.
     */
    record Tail(long size, long base, byte[] bytes, long[] sigs) {
        int u16(long at) {
            return ZipArchive.u16(bytes, (int) (at - base));
        }

        long u32(long at) {
            return ZipArchive.u32(bytes, (int) (at - base));
        }
    }

    static Tail tail(ByteSource src) throws IOException {
        long size = src.size();
        if (size < 22) {
            return null;
        }
        long lowest = Math.min(minizLowest(size), Math.max(size - PYTHON_WINDOW, 0));
        int window = (int) (size - lowest);
        byte[] b = new byte[window];
        src.readFully(lowest, b, 0, window);
        long[] sigs = new long[8];
        int n = 0;
        // Backwards, the last signature first. Every file is searched here, mostly before any
        // code is compiled: one byte in four is looked at (every 4-byte signature covers one
        // position that is a multiple of 4), the others only around a byte of the signature.
        for (int j = (window - 1) & ~3; j >= 0; j -= 4) {
            if (SIG_BYTE[b[j] & 0xff] == 0) {
                continue;
            }
            for (int i = Math.min(j, window - 4); i >= j - 3 && i >= 0; i--) {
                if (b[i] == 0x50 && b[i + 1] == 0x4b && b[i + 2] == 5 && b[i + 3] == 6) {
                    if (n == sigs.length) {
                        sigs = Arrays.copyOf(sigs, n * 2);
                    }
                    sigs[n++] = lowest + i;
                }
            }
        }
        return new Tail(size, lowest, b, Arrays.copyOf(sigs, n));
    }

    /** The strict reader's EOCD: the last signature in its window whose comment fits; -1 if none. */
    static long strictEocd(Tail t) {
        for (long p : t.sigs()) {
            if (p + 22 <= t.size() && p >= t.size() - STRICT_WINDOW && p + 22 + t.u16(p + 20) <= t.size()) {
                return p;
            }
        }
        return -1;
    }

    /** miniz's EOCD: the last signature with 22 bytes after it, within its search; -1 if none. */
    static long minizEocd(Tail t) {
        long lowest = minizLowest(t.size());
        for (long p : t.sigs()) {
            if (p + 22 <= t.size() && p >= lowest) {
                return p;
            }
        }
        return -1;
    }

    /** Python's EOCD (zipfile._EndRecData); -1 when Python finds none. */
    static long pythonEocd(Tail t) {
        long last = t.size() - 22;
        for (long p : t.sigs()) { // descending: only the first few can be the last 22 bytes
            if (p == last && t.u16(last + 20) == 0) {
                return last;
            }
            if (p < last) {
                break;
            }
        }
        long from = Math.max(t.size() - PYTHON_WINDOW, 0);
        for (long p : t.sigs()) {
            if (p >= from) {
                return p + 22 <= t.size() ? p : -1;
            }
        }
        return -1;
    }

    /** The directory {@code reader} reads, or null when that reader rejects the archive. */
    static Directory directory(ByteSource src, Tail t, Reader reader) throws IOException {
        long e = switch (reader) {
            case MINIZ -> minizEocd(t);
            case PYTHON -> pythonEocd(t);
            case STRICT -> strictEocd(t);
        };
        if (e < 0) {
            return null;
        }
        byte[] r = new byte[22];
        src.readFully(e, r, 0, 22);
        long count = ZipArchive.u16(r, 10);
        long onDisk = ZipArchive.u16(r, 8);
        long size = ZipArchive.u32(r, 12);
        long offset = ZipArchive.u32(r, 16);
        byte[] loc = new byte[20];
        boolean locator = e >= 20 && src.readFully(e - 20, loc, 0, 20) == 20 && ZipArchive.u32(loc, 0) == LOCATOR_SIG;
        byte[] z = new byte[56];
        switch (reader) {
            case MINIZ: {
                boolean zip64 = false;
                if (e >= 76 && locator) {
                    long at = ZipArchive.u64(loc, 8);
                    if (at < 0 || at > t.size() - 56) {
                        return null;
                    }
                    if (src.readFully(at, z, 0, 56) == 56 && ZipArchive.u32(z, 0) == EOCD64_SIG) {
                        if (ZipArchive.u64(z, 4) < 44 || ZipArchive.u32(loc, 16) != 1) {
                            return null;
                        }
                        zip64 = true;
                        count = ZipArchive.u64(z, 32);
                        onDisk = ZipArchive.u64(z, 24);
                        size = ZipArchive.u64(z, 40);
                        offset = ZipArchive.u64(z, 48);
                        if (count < 0 || count > 0xffffffffL || size < 0 || size > 0xffffffffL || offset < 0) {
                            return null;
                        }
                    }
                }
                if (count != onDisk || size < count * 46 || offset + size > t.size() || offset + size < 0) {
                    return null;
                }
                return new Directory(reader, e, offset, offset, size, count, true, 0, zip64);
            }
            case PYTHON: {
                boolean zip64 = false;
                if (locator) {
                    if (ZipArchive.u32(loc, 4) != 0 || ZipArchive.u32(loc, 16) > 1) {
                        return null; // "zipfiles that span multiple disks are not supported"
                    }
                    if (e < 76) {
                        return null; // the seek before the file's start raises OSError, BadZipFile
                    }
                    if (src.readFully(e - 76, z, 0, 56) == 56 && ZipArchive.u32(z, 0) == EOCD64_SIG) {
                        zip64 = true;
                        size = ZipArchive.u64(z, 40);
                        offset = ZipArchive.u64(z, 48);
                        count = ZipArchive.u64(z, 32);
                    }
                }
                long concat = e - size - offset - (zip64 ? 76 : 0);
                long start = offset + concat;
                if (start < 0 || size < 0) {
                    return null;
                }
                return new Directory(reader, e, offset, start, size, count, false, concat, zip64);
            }
            default: {
                long cdEnd = e;
                boolean zip64 = false;
                if (locator) {
                    // The ZIP64 end record normally sits right before its locator; else at the stated offset.
                    long at = e - 20 - 56;
                    if (at < 0 || src.readFully(at, z, 0, 56) != 56 || ZipArchive.u32(z, 0) != EOCD64_SIG) {
                        at = ZipArchive.u64(loc, 8);
                        if (at < 0 || src.readFully(at, z, 0, 56) != 56 || ZipArchive.u32(z, 0) != EOCD64_SIG) {
                            at = -1;
                        }
                    }
                    if (at >= 0) {
                        cdEnd = at;
                        if (count == 0xffff || offset == 0xffffffffL || size == 0xffffffffL) {
                            zip64 = true;
                            count = ZipArchive.u64(z, 32);
                            size = ZipArchive.u64(z, 40);
                            offset = ZipArchive.u64(z, 48);
                        }
                    }
                }
                long shift = offset + size < cdEnd && offset >= 0 && size >= 0 ? cdEnd - (offset + size) : 0;
                return new Directory(reader, e, offset, offset + shift, size, count, true, shift, zip64);
            }
        }
    }
}
