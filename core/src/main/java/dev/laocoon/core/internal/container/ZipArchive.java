package dev.laocoon.core.internal.container;

import dev.laocoon.core.source.ByteSource;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A zip archive read as every loader that opens it reads it ({@link ZipEnd}: PyTorch's miniz, Python's
 * zipfile, a strict reader), its members the union of theirs: end of central directory (ZIP64
 * included), central directory entries, then each local header for the data offset.
 * CRCs and the encryption flag are not checked; inconsistencies are collected as
 * {@link #anomalies()} so that analysers can report them.
 */
public final class ZipArchive {
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

    /** True when some zip reader finds an end-of-central-directory record (cheap check). */
    public static boolean looksLikeZip(ByteSource src) throws IOException {
        ZipEnd.Tail t = ZipEnd.tail(src);
        return t != null && (ZipEnd.strictEocd(t) >= 0 || ZipEnd.minizEocd(t) >= 0 || ZipEnd.pythonEocd(t) >= 0);
    }

    /**
     * Reads the directory as each modelled reader does (see {@link ZipEnd}) and keeps every member
     * any of them reads; returns null when no reader finds an end-of-central-directory record.
     */
    public static ZipArchive read(ByteSource src, int maxEntries) throws IOException {
        ZipEnd.Tail t = ZipEnd.tail(src);
        if (t == null) {
            return null;
        }
        java.util.Set<String> anomalies = new java.util.LinkedHashSet<>();
        java.util.Map<Key, ZipMember> union = new java.util.LinkedHashMap<>();
        java.util.Map<ZipEnd.Reader, java.util.Set<Key>> seen = new java.util.EnumMap<>(ZipEnd.Reader.class);
        java.util.Map<ZipEnd.Reader, ZipEnd.Directory> dirs = new java.util.EnumMap<>(ZipEnd.Reader.class);
        java.util.Map<ZipEnd.Reader, Long> held = new java.util.EnumMap<>(ZipEnd.Reader.class);
        boolean found = false;
        boolean shifted = false;
        ZipEnd.Directory first = null;
        Read firstRead = null;
        java.util.Set<Key> firstKeys = null;
        for (ZipEnd.Reader r : new ZipEnd.Reader[] {ZipEnd.Reader.STRICT, ZipEnd.Reader.MINIZ, ZipEnd.Reader.PYTHON}) {
            ZipEnd.Directory d = ZipEnd.directory(src, t, r);
            found |= d != null || (r == ZipEnd.Reader.STRICT ? ZipEnd.strictEocd(t) : r == ZipEnd.Reader.MINIZ
                    ? ZipEnd.minizEocd(t) : ZipEnd.pythonEocd(t)) >= 0;
            if (d == null) {
                continue;
            }
            dirs.put(r, d);
            // the usual case: every reader locates the same directory, whose entries fill its size
            boolean same = firstRead != null && firstRead.complete() && d.start() == first.start()
                    && d.shift() == first.shift() && firstRead.consumed() == d.size()
                    && (!d.byCount() || d.count() == firstRead.list().size());
            Read rd = same ? firstRead : entries(src, d, maxEntries, anomalies);
            if (rd == null) {
                continue; // this reader rejects the archive
            }
            if (rd.complete() && rd.consumed() == d.size()) {
                held.put(r, (long) rd.list().size());
            }
            shifted |= d.shift() != 0;
            java.util.Set<Key> keys;
            if (same) {
                keys = firstKeys;
            } else {
                keys = new java.util.LinkedHashSet<>();
                for (ZipMember m : rd.list()) {
                    Key k = new Key(m.name(), m.localHeaderOffset(), m.compressedSize(), m.method());
                    keys.add(k);
                    union.putIfAbsent(k, m);
                }
            }
            if (firstRead == null) {
                first = d;
                firstRead = rd;
                firstKeys = keys;
            }
            seen.put(r, keys);
        }
        if (!found) {
            return null;
        }
        endNotes(src, t, dirs, held, anomalies);
        disagreement(seen, union, anomalies);
        List<ZipMember> entries = new ArrayList<>(union.values());
        long firstLocal = Long.MAX_VALUE;
        java.util.Set<String> names = new java.util.HashSet<>();
        for (ZipMember m : entries) {
            firstLocal = Math.min(firstLocal, m.localHeaderOffset());
            String name = m.name();
            if (m.localName() == null) {
                anomalies.add("member '" + name + "' has no local header at offset " + m.localHeaderOffset());
            } else if (!m.localName().equals(name)) {
                anomalies.add("member '" + name + "' is named '" + m.localName() + "' in its local header");
            }
            if ((m.flags() & 0x1) != 0) {
                anomalies.add("member '" + name + "' has the encryption flag set (readers that ignore it see its bytes)");
            }
            if ((m.flags() & 0x40) != 0 || (m.flags() & 0x2000) != 0) {
                anomalies.add("member '" + name + "' has strong-encryption flag bits set");
            }
            if ((m.flags() & 0x20) != 0) {
                anomalies.add("member '" + name + "' has the compressed-patch flag set");
            }
            if (!names.add(name)) {
                anomalies.add("member name '" + name + "' appears more than once");
            }
            for (String n : m.localName() == null || m.localName().equals(name) ? List.of(name) : List.of(name, m.localName())) {
                String why = unsafeName(n);
                if (why != null) {
                    anomalies.add("member name '" + n + "' " + why + EXTRACTED);
                }
            }
        }
        if (firstLocal != Long.MAX_VALUE && firstLocal > 0 && !shifted) {
            anomalies.add(firstLocal + " bytes precede the first local header");
        }
        return new ZipArchive(entries, new ArrayList<>(anomalies), firstLocal == Long.MAX_VALUE ? -1 : firstLocal);
    }

    /**
     * The directory's entries as {@code d}'s reader reads them, null when that reader rejects the
     * directory (PyTorch's and Python's readers refuse the whole archive on a damaged entry; the
     * strict reading keeps what it read and says so).
     */
    /** What makes two readers' members the same member. */
    private record Key(String name, long localHeaderOffset, long compressedSize, int method) {
        // explicit: a record's generated equals/hashCode bootstrap java.lang.runtime.ObjectMethods (start-up time)
        @Override
        public boolean equals(Object o) {
            return o instanceof Key k && k.name.equals(name) && k.localHeaderOffset == localHeaderOffset
                    && k.compressedSize == compressedSize && k.method == method;
        }

        @Override
        public int hashCode() {
            return (name.hashCode() * 31 + Long.hashCode(localHeaderOffset)) * 31 + Long.hashCode(compressedSize) * 7 + method;
        }
    }

    /** A directory's entries as one reader read them: the bytes they took, and whether all were read. */
    private record Read(List<ZipMember> list, long consumed, boolean complete) {
    }

    /** A directory entry whose local header is still to be read. */
    private record Pending(String name, int method, int flags, long crc, long csize, long size, long local, int madeBy,
                           long external) {
    }

    private static Read entries(ByteSource src, ZipEnd.Directory d, int maxEntries,
                                java.util.Set<String> anomalies) throws IOException {
        boolean strict = d.reader() == ZipEnd.Reader.STRICT;
        if (strict && d.shift() > 0) {
            anomalies.add(d.shift() + " bytes precede the archive (a prefix); offsets are shifted");
        }
        List<ZipMember> out = new ArrayList<>();
        List<Pending> pending = new ArrayList<>();
        long p = d.start();
        long end = d.start() + d.size();
        byte[] h = new byte[46];
        boolean complete = true;
        for (long i = 0; d.byCount() ? i < d.count() : p < end; i++) {
            if (pending.size() >= maxEntries) {
                complete = false;
                anomalies.add("central directory claims " + (d.byCount() ? d.count() : "more than " + maxEntries)
                        + " entries; only " + maxEntries + " read");
                break;
            }
            boolean fits = src.readFully(p, h, 0, 46) == 46 && u32(h, 0) == CENTRAL;
            if (!strict && (!fits || p + 46 > end)) {
                return null; // miniz: "n < 46 or bad signature"; Python: "Truncated central directory" / "Bad magic"
            }
            if (!fits) {
                anomalies.add("central directory entry " + i + " is missing or damaged at offset " + p);
                complete = false;
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
            int madeBy = u16(h, 4);
            long external = u32(h, 38);
            if (d.reader() == ZipEnd.Reader.MINIZ && p + 46 + nameLen + extraLen + commentLen > end) {
                return null; // miniz: total_header_size > n
            }
            // Python reads the name from the directory's bytes only (a BytesIO of its size)
            int nameAvail = d.reader() == ZipEnd.Reader.PYTHON ? (int) Math.max(0, Math.min(nameLen, end - p - 46)) : nameLen;
            byte[] nb = new byte[nameAvail];
            src.readFully(p + 46, nb, 0, nameAvail);
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
            pending.add(new Pending(name, method, flags, crc, csize, size, local + d.shift(), madeBy, external));
        }
        // the local headers next: a remote source fetches them all at once, several at a time
        long[] at = new long[pending.size()];
        for (int i = 0; i < at.length; i++) {
            at[i] = pending.get(i).local();
        }
        if (at.length > 1) {
            src.prefetch(at, 512);
        }
        byte[] lh = new byte[30];
        for (Pending m : pending) {
            String localName = null;
            long data = -1;
            long local = m.local();
            if (local >= 0 && src.readFully(local, lh, 0, 30) == 30 && u32(lh, 0) == LOCAL) {
                int ln = u16(lh, 26);
                int le = u16(lh, 28);
                byte[] lnb = new byte[ln];
                src.readFully(local + 30, lnb, 0, ln);
                localName = new String(lnb, (u16(lh, 6) & 0x800) != 0 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
                data = local + 30 + ln + le;
            }
            out.add(new ZipMember(m.name(), localName, m.method(), m.flags(), m.crc(), m.csize(), m.size(), local, data,
                    m.madeBy(), m.external()));
        }
        return new Read(out, p - d.start(), complete);
    }

    /** How the end records are built: what makes the readers disagree, said once each. */
    private static void endNotes(ByteSource src, ZipEnd.Tail t, java.util.Map<ZipEnd.Reader, ZipEnd.Directory> dirs,
                                 java.util.Map<ZipEnd.Reader, Long> held, java.util.Set<String> anomalies)
            throws IOException {
        java.util.Set<Long> ends = new java.util.TreeSet<>();
        for (ZipEnd.Directory d : dirs.values()) {
            ends.add(d.eocd());
        }
        if (ends.size() > 1) {
            StringBuilder b = new StringBuilder("zip readers take different end-of-central-directory records:");
            for (ZipEnd.Directory d : dirs.values()) {
                b.append(' ').append(d.reader().label).append(" the one at ").append(d.eocd()).append(';');
            }
            anomalies.add(b.substring(0, b.length() - 1));
        }
        for (long e : ends) {
            int comment = t.u16(e + 20);
            if (e + 22 + comment > t.size()) {
                anomalies.add("the end-of-central-directory record at " + e + " claims a " + comment
                        + "-byte comment that runs past the end of the file (PyTorch's and Python's readers use it anyway)");
            }
            for (long q : t.sigs()) {
                if (q < e && q + 22 <= t.size() && e < q + 22 + t.u16(q + 20) && q >= e - ZipEnd.STRICT_WINDOW) {
                    anomalies.add("an end-of-central-directory record at " + e + " sits inside the comment of the one at " + q);
                    break;
                }
            }
        }
        for (ZipEnd.Directory d : dirs.values()) {
            byte[] r = new byte[22];
            src.readFully(d.eocd(), r, 0, 22);
            if (d.zip64() && (u16(r, 10) != 0xffff && u16(r, 10) != d.count() || u32(r, 12) != 0xffffffffL
                    && u32(r, 12) != d.size() || u32(r, 16) != 0xffffffffL && u32(r, 16) != d.offset())) {
                anomalies.add("a ZIP64 end record overrides the classic end record's values, which hold no 0xFFFF sentinels ("
                        + d.reader().label + " takes the ZIP64 ones, a strict reader the classic ones)");
            }
            long n = held.containsKey(d.reader()) ? held.get(d.reader()) : countBySize(src, d);
            if (n >= 0 && n != d.count()) {
                anomalies.add("the end record counts " + d.count() + " entries but the central directory's " + d.size()
                        + " bytes hold " + n + " (PyTorch's reader reads by count, Python's zipfile by size)");
            }
            if (d.reader() == ZipEnd.Reader.PYTHON && d.shift() < 0) {
                anomalies.add("the directory offset lies " + -d.shift()
                        + " bytes past where the end records put the directory; Python's zipfile shifts every offset back");
            }
        }
    }

    /** Entries the directory's bytes hold, read until its size is used up; -1 when they are damaged. */
    private static long countBySize(ByteSource src, ZipEnd.Directory d) throws IOException {
        long p = d.start();
        long end = d.start() + d.size();
        byte[] h = new byte[46];
        long n = 0;
        while (p < end && n <= d.count() + 1) {
            if (src.readFully(p, h, 0, 46) < 46 || u32(h, 0) != CENTRAL) {
                return -1;
            }
            p += 46L + u16(h, 28) + u16(h, 30) + u16(h, 32);
            n++;
        }
        return n;
    }

    /** Anomaly when readers that accept the archive see different members (all of them are analysed). */
    private static void disagreement(java.util.Map<ZipEnd.Reader, java.util.Set<Key>> seen,
                                     java.util.Map<Key, ZipMember> union, java.util.Set<String> anomalies) {
        java.util.Set<Key> first = null;
        boolean differ = false;
        for (java.util.Set<Key> s : seen.values()) {
            if (first == null) {
                first = s;
            } else if (!first.equals(s)) {
                differ = true;
            }
        }
        if (!differ) {
            return;
        }
        StringBuilder b = new StringBuilder("zip readers see different members (every one is analysed):");
        for (java.util.Map.Entry<ZipEnd.Reader, java.util.Set<Key>> e : seen.entrySet()) {
            b.append(' ').append(e.getKey().label).append(" reads ").append(e.getValue().size()).append(';');
        }
        List<String> only = new ArrayList<>();
        for (java.util.Map.Entry<Key, ZipMember> e : union.entrySet()) {
            boolean all = true;
            for (java.util.Set<Key> s : seen.values()) {
                all &= s.contains(e.getKey());
            }
            if (!all && only.size() < 10) {
                only.add("'" + e.getValue().name() + "'");
            }
        }
        b.append(" not read by all: ").append(String.join(", ", only));
        anomalies.add(b.toString());
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

    /** The strict reader's end-of-central-directory offset: the last signature whose comment fits; -1 if none. */
    static long findEocd(ByteSource src) throws IOException {
        ZipEnd.Tail t = ZipEnd.tail(src);
        return t == null ? -1 : ZipEnd.strictEocd(t);
    }

    /** What extraction does with an unsafe name, said after {@link #unsafeName}'s reason. */
    public static final String EXTRACTED = ": a loader or tool that extracts the archive (Keras's"
            + " extract_archive, unzip, tar, extractall without a filter) writes it outside its target folder";

    /**
     * Why a member name escapes the folder it is extracted to (zip-slip), or null: a {@code ..}
     * component, an absolute path, a drive letter, or a backslash (a separator on Windows, where
     * {@code ..\\} climbs out as well).
     */
    public static String unsafeName(String name) {
        if (name.startsWith("/") || name.startsWith("\\")) {
            return "is an absolute path";
        }
        if (name.length() >= 2 && name.charAt(1) == ':' && Character.isLetter(name.charAt(0))) {
            return "starts with a drive letter";
        }
        for (int i = 0, start = 0; i <= name.length(); i++) {
            if (i == name.length() || name.charAt(i) == '/' || name.charAt(i) == '\\') {
                if (i - start == 2 && name.charAt(start) == '.' && name.charAt(start + 1) == '.') {
                    return "has a '..' component";
                }
                start = i + 1;
            }
        }
        if (name.indexOf('\\') >= 0) {
            return "contains a backslash (a path separator on Windows)";
        }
        return null;
    }

    /**
     * True when a link named {@code name} pointing at {@code target} leads out of the folder the
     * archive is extracted to: an absolute or drive-letter target, or a relative one that climbs
     * above the folder from the link's own directory. Later members written through it land there.
     */
    public static boolean linkEscapes(String name, String target) {
        if (target.startsWith("/") || target.startsWith("\\")
                || target.length() >= 2 && target.charAt(1) == ':' && Character.isLetter(target.charAt(0))) {
            return true;
        }
        int slash = Math.max(name.lastIndexOf('/'), name.lastIndexOf('\\'));
        int depth = 0;
        // split on '/' and '\\' by hand: no regex on the per-member path (start-up time)
        for (String part : ((slash >= 0 ? name.substring(0, slash + 1) : "") + target).replace('\\', '/').split("/")) {
            if (part.equals("..")) {
                if (--depth < 0) {
                    return true;
                }
            } else if (!part.isEmpty() && !part.equals(".")) {
                depth++;
            }
        }
        return false;
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
