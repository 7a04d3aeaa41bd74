package dev.laocoon.core.testutil;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32;

/**
 * Writes stored (uncompressed) zip archives byte by byte, so tests can also write the tricks
 * real readers disagree on: flag bits, wrong CRCs, a local name that differs from the central
 * directory, duplicate names, bytes before the first header.
 */
public final class ZipBuilder {
    private record Member(String name, String localName, byte[] data, int flags, boolean badCrc) {
    }

    private final List<Member> members = new ArrayList<>();
    private byte[] prefix = new byte[0];

    public ZipBuilder add(String name, byte[] data) {
        members.add(new Member(name, name, data, 0, false));
        return this;
    }

    public ZipBuilder addTricky(String name, String localName, byte[] data, int flags, boolean badCrc) {
        members.add(new Member(name, localName, data, flags, badCrc));
        return this;
    }

    public ZipBuilder prefix(byte[] p) {
        prefix = p;
        return this;
    }

    public byte[] bytes() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(prefix);
        List<Long> offsets = new ArrayList<>();
        for (Member m : members) {
            offsets.add((long) out.size() - prefix.length);
            localHeader(out, m.localName(), m.data().length, crc(m), m.flags());
            out.writeBytes(m.data());
        }
        long cdStart = out.size() - prefix.length;
        for (int i = 0; i < members.size(); i++) {
            Member m = members.get(i);
            centralHeader(out, m.name(), m.data().length, crc(m), m.flags(), offsets.get(i));
        }
        endOfCentralDirectory(out, members.size(), out.size() - prefix.length - cdStart, cdStart);
        return out.toByteArray();
    }

    /** A local file header of a stored member (the data follows). */
    public static void localHeader(ByteArrayOutputStream out, String name, long size, long crc, int flags) {
        byte[] n = name.getBytes(StandardCharsets.UTF_8);
        le(out, 0x04034b50, 4);
        le(out, 20, 2);
        le(out, flags, 2);
        le(out, 0, 2);
        le(out, 0, 4);
        le(out, crc, 4);
        le(out, size, 4);
        le(out, size, 4);
        le(out, n.length, 2);
        le(out, 0, 2);
        out.writeBytes(n);
    }

    /** A central-directory entry of a stored member whose local header is at {@code offset}. */
    public static void centralHeader(ByteArrayOutputStream out, String name, long size, long crc, int flags, long offset) {
        byte[] n = name.getBytes(StandardCharsets.UTF_8);
        le(out, 0x02014b50, 4);
        le(out, 20, 2);
        le(out, 20, 2);
        le(out, flags, 2);
        le(out, 0, 2);
        le(out, 0, 4);
        le(out, crc, 4);
        le(out, size, 4);
        le(out, size, 4);
        le(out, n.length, 2);
        le(out, 0, 2);
        le(out, 0, 2);
        le(out, 0, 2);
        le(out, 0, 2);
        le(out, 0, 4);
        le(out, offset, 4);
        out.writeBytes(n);
    }

    /** The end-of-central-directory record. */
    public static void endOfCentralDirectory(ByteArrayOutputStream out, int entries, long cdSize, long cdStart) {
        le(out, 0x06054b50, 4);
        le(out, 0, 2);
        le(out, 0, 2);
        le(out, entries, 2);
        le(out, entries, 2);
        le(out, cdSize, 4);
        le(out, cdStart, 4);
        le(out, 0, 2);
    }

    private static long crc(Member m) {
        CRC32 c = new CRC32();
        c.update(m.data());
        return m.badCrc() ? c.getValue() ^ 0xffff : c.getValue();
    }

    private static void le(ByteArrayOutputStream out, long v, int n) {
        for (int i = 0; i < n; i++) {
            out.write((int) (v >>> (8 * i)) & 0xff);
        }
    }

    /** A torch.save-style state dict pickle: {key: _rebuild_tensor_v2(storage, 0, (n,), (1,), False, OrderedDict())}. */
    public static byte[] torchStateDict(String key, String storageKey, int numel) {
        return PickleBuilder.create().proto(2)
                .global("collections", "OrderedDict").emptyTuple().reduce()
                .str(key)
                .global("torch._utils", "_rebuild_tensor_v2")
                .mark()
                .mark().str("storage").global("torch", "FloatStorage").str(storageKey).str("cpu").binint(numel)
                .tuple().binpersid()
                .binint1(0).binint(numel).tuple1().binint1(1).tuple1().newFalse()
                .global("collections", "OrderedDict").emptyTuple().reduce()
                .tuple().reduce()
                .setitem().stop().bytes();
    }

    /** A PyTorch zip checkpoint with one float tensor of {@code numel} zeros. */
    public static byte[] torchZip(byte[] dataPkl, int numel) {
        return new ZipBuilder().add("archive/data.pkl", dataPkl).add("archive/byteorder", "little".getBytes())
                .add("archive/data/0", new byte[numel * 4]).add("archive/version", "3\n".getBytes())
                .add("archive/.data/serialization_id", "123".getBytes()).bytes();
    }
}
