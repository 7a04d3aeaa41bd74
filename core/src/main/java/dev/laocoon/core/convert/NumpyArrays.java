package dev.laocoon.core.convert;

import dev.laocoon.core.internal.container.ZipArchive;
import dev.laocoon.core.internal.container.ZipEntry;
import dev.laocoon.core.internal.format.PyLiteral;
import dev.laocoon.core.source.ByteSource;
import dev.laocoon.core.source.SliceByteSource;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;

/**
 * NumPy {@code .npy} arrays and {@code .npz} archives of them, read from their headers: numeric
 * arrays become tensors (Fortran order and big-endian data included); object arrays, which
 * hold pickles, and structured arrays are left out.
 */
public final class NumpyArrays {
    static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};

    private NumpyArrays() {
    }

    /** A .npy header: its format version, its text (a Python dict literal) and where the data starts. */
    public record Header(int major, String text, long dataStart) {
    }

    /** Reads the header of a .npy (versions 1 to 3); the exception says what is wrong with it. */
    public static Header header(ByteSource src) throws IOException, ConvertException {
        byte[] h = new byte[12];
        if (src.readFully(0, h, 0, 12) < 10) {
            throw new ConvertException(".npy data ends inside its header");
        }
        int major = h[6] & 0xff;
        long headerLen;
        int start;
        if (major == 1) {
            headerLen = (h[8] & 0xff) | (h[9] & 0xff) << 8;
            start = 10;
        } else if (major == 2 || major == 3) {
            headerLen = ZipArchive.u32(h, 8);
            start = 12;
        } else {
            throw new ConvertException("unknown .npy format version " + major);
        }
        if (headerLen > (1 << 20) || start + headerLen > src.size()) {
            throw new ConvertException(".npy header length " + headerLen + " runs past the end of the data");
        }
        byte[] hb = new byte[(int) headerLen];
        src.readFully(start, hb, 0, hb.length);
        return new Header(major, new String(hb, major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1),
                start + headerLen);
    }

    /**
     * The header as numpy reads it ({@code ast.literal_eval}, then exactly the keys descr,
     * fortran_order and shape), or null when it is not such a dict or not understood.
     */
    public static java.util.Map<?, ?> fields(String header) {
        Object v;
        try {
            v = PyLiteral.parse(header);
        } catch (PyLiteral.Bad e) {
            return null;
        }
        if (!(v instanceof java.util.Map<?, ?> m) || m.size() != 3 || !m.containsKey("descr")
                || !m.containsKey("fortran_order") || !m.containsKey("shape")) {
            return null;
        }
        return m;
    }

    /**
     * Whether a descr (a string, a structured list, or the raw header text when it was not
     * understood) may make numpy build an object array: any string in it names the object
     * type ('O' or 'object', in any spelling numpy accepts). Conservative on purpose.
     */
    public static boolean mentionsObject(Object descr) {
        for (String t : PyLiteral.strings(descr)) {
            if (t.contains("O") || t.toLowerCase(java.util.Locale.ROOT).contains("object")) {
                return true;
            }
        }
        return false;
    }

    public static boolean isNpy(ByteSource src) throws IOException {
        byte[] h = new byte[6];
        return src.readFully(0, h, 0, 6) == 6 && java.util.Arrays.equals(h, MAGIC);
    }

    /** One array named {@code name}. */
    public static Node.Mapping readNpy(ByteSource src, String name) throws IOException, ConvertException {
        LinkedHashMap<String, Node> m = new LinkedHashMap<>();
        m.put(name, array(src, name));
        return new Node.Mapping("npy", m);
    }

    /** Every {@code .npy} member of an {@code .npz}, named without the extension. */
    public static Node.Mapping readNpz(ByteSource src, ZipArchive zip, TempFiles temps) throws IOException, ConvertException {
        LinkedHashMap<String, Node> m = new LinkedHashMap<>();
        for (ZipEntry e : zip.entries()) {
            if (e.directory()) {
                continue;
            }
            String name = e.name().endsWith(".npy") ? e.name().substring(0, e.name().length() - 4) : e.name();
            if (m.containsKey(name)) {
                throw new ConvertException("the archive holds '" + e.name() + "' twice");
            }
            ByteSource member = ZipMembers.open(src, e, temps, Long.MAX_VALUE);
            m.put(name, isNpy(member) ? array(member, name) : Node.Other.of("a member that is not a .npy array"));
        }
        return new Node.Mapping("npz", m);
    }

    private static Node array(ByteSource src, String name) throws IOException, ConvertException {
        if (!isNpy(src)) {
            throw new ConvertException("'" + name + "' is not a .npy array");
        }
        Header hd = header(src);
        String header = hd.text();
        java.util.Map<?, ?> fields = fields(header);
        if (fields == null) {
            throw new ConvertException("the header of '" + name + "' is not what numpy reads (a dict of exactly descr, "
                    + "fortran_order and shape): " + header.strip());
        }
        Object descrValue = fields.get("descr");
        if (mentionsObject(descrValue)) {
            return Node.Other.of("an object array (its items are pickled objects; not converted)");
        }
        if (!(descrValue instanceof String descr)) {
            return new Node.Other("a structured array", "structured dtypes have no safetensors equivalent");
        }
        DType type = DType.ofNumpy(descr);
        if (type == null) {
            return new Node.Other("an array of " + descr, "NumPy type '" + descr + "' has no safetensors dtype");
        }
        if (!(fields.get("fortran_order") instanceof Boolean fortranOrder)) {
            throw new ConvertException("fortran_order of '" + name + "' is not True or False");
        }
        if (!(fields.get("shape") instanceof PyLiteral.Tuple dimTuple)) {
            throw new ConvertException("shape of '" + name + "' is not a tuple of integers");
        }
        int rank = 0;
        long[] shape = new long[dimTuple.items().size()];
        for (Object p : dimTuple.items()) {
            if (!(p instanceof java.math.BigInteger n) || n.bitLength() > 62) {
                throw new ConvertException("shape of '" + name + "' is not a tuple of integers");
            }
            shape[rank++] = n.longValue();
        }
        shape = java.util.Arrays.copyOf(shape, rank);
        String dims = java.util.Arrays.toString(shape);
        long numel = 1;
        long nbytes;
        try {
            for (long x : shape) {
                if (x < 0) {
                    throw new ConvertException("shape (" + dims + ") of '" + name + "' is negative");
                }
                numel = Math.multiplyExact(numel, x);
            }
            nbytes = Math.multiplyExact(numel, type.size());
        } catch (ArithmeticException overflow) {
            throw new ConvertException("shape (" + dims + ") of '" + name + "' overflows");
        }
        long dataStart = hd.dataStart();
        if (dataStart + nbytes > src.size()) {
            throw new ConvertException("'" + name + "' declares " + nbytes + " bytes of data but has "
                    + (src.size() - dataStart));
        }
        long[] stride = new long[rank];
        boolean fortran = fortranOrder;
        long step = 1;
        for (int i = 0; i < rank; i++) {
            int dim = fortran ? i : rank - 1 - i;
            stride[dim] = step;
            step *= Math.max(1, shape[dim]);
        }
        Storage storage = new Storage(name, type, new SliceByteSource(src, dataStart, nbytes), DType.numpyBigEndian(descr)
                && type.size() > 1);
        return new Node.Tensor(new TensorRef(type, shape, stride, 0, storage));
    }
}
