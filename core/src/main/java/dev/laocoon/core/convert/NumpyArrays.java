package dev.laocoon.core.convert;

import dev.laocoon.core.internal.container.ZipArchive;
import dev.laocoon.core.internal.container.ZipMember;
import dev.laocoon.core.internal.format.PyLiteral;
import dev.laocoon.core.internal.format.numpy.NpyHeader;
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
    private NumpyArrays() {
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
        for (ZipMember e : zip.entries()) {
            if (e.directory()) {
                continue;
            }
            String name = e.name().endsWith(".npy") ? e.name().substring(0, e.name().length() - 4) : e.name();
            if (m.containsKey(name)) {
                throw new ConvertException("the archive holds '" + e.name() + "' twice");
            }
            ByteSource member = ZipMembers.open(src, e, temps, Long.MAX_VALUE);
            m.put(name, NpyHeader.isNpy(member) ? array(member, name) : Node.Other.of("a member that is not a .npy array"));
        }
        return new Node.Mapping("npz", m);
    }

    private static Node array(ByteSource src, String name) throws IOException, ConvertException {
        if (!NpyHeader.isNpy(src)) {
            throw new ConvertException("'" + name + "' is not a .npy array");
        }
        NpyHeader hd;
        try {
            hd = NpyHeader.read(src);
        } catch (NpyHeader.Bad e) {
            throw new ConvertException(e.getMessage());
        }
        String header = hd.text();
        java.util.Map<?, ?> fields = hd.fields();
        if (fields == null) {
            throw new ConvertException("the header of '" + name + "' is not what numpy reads (a dict of exactly descr, "
                    + "fortran_order and shape): " + header.strip());
        }
        Object descrValue = fields.get("descr");
        if (NpyHeader.mentionsObject(descrValue)) {
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
