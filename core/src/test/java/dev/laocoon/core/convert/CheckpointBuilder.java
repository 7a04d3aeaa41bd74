package dev.laocoon.core.convert;

import dev.laocoon.core.testutil.PickleBuilder;
import dev.laocoon.core.testutil.ZipBuilder;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Builds PyTorch checkpoints the way torch.save lays them out: a state-dict pickle of
 * {@code OrderedDict} with {@code _rebuild_tensor_v2} calls over persistent storage ids, in the
 * zip layout ({@code archive/data.pkl}, {@code archive/data/KEY}) or the legacy stream layout.
 */
final class CheckpointBuilder {
    record Tensor(String name, String key, long offset, long[] shape, long[] stride, Object[] view) {
    }

    private final Map<String, byte[]> data = new LinkedHashMap<>();
    private final Map<String, String> classes = new LinkedHashMap<>();
    private final Map<String, Integer> elementSizes = new LinkedHashMap<>();
    private final List<Tensor> tensors = new ArrayList<>();
    private final List<Consumer<PickleBuilder>> extras = new ArrayList<>();

    /** A storage of {@code storageClass} (e.g. FloatStorage) holding {@code bytes}. */
    CheckpointBuilder storage(String key, String storageClass, int elementSize, byte[] bytes) {
        data.put(key, bytes);
        classes.put(key, storageClass);
        elementSizes.put(key, elementSize);
        return this;
    }

    CheckpointBuilder tensor(String name, String key, long offset, long[] shape, long[] stride) {
        tensors.add(new Tensor(name, key, offset, shape, stride, null));
        return this;
    }

    /** A contiguous tensor over the whole storage. */
    CheckpointBuilder whole(String name, String key, long... shape) {
        long[] stride = new long[shape.length];
        long s = 1;
        for (int i = shape.length - 1; i >= 0; i--) {
            stride[i] = s;
            s *= shape[i];
        }
        return tensor(name, key, 0, shape, stride);
    }

    /** Legacy layout only: a tensor over a view (viewKey, offset, size) of a root storage. */
    CheckpointBuilder viewTensor(String name, String key, String viewKey, long viewOffset, long viewSize, long offset,
                                 long[] shape, long[] stride) {
        tensors.add(new Tensor(name, key, offset, shape, stride, new Object[] {viewKey, viewOffset, viewSize}));
        return this;
    }

    /** Another entry of the state dict, written by {@code value} (which pushes key and value). */
    CheckpointBuilder extra(Consumer<PickleBuilder> keyAndValue) {
        extras.add(keyAndValue);
        return this;
    }

    byte[] pickle(boolean legacy) {
        PickleBuilder p = PickleBuilder.create().proto(2).global("collections", "OrderedDict").emptyTuple().reduce().mark();
        for (Tensor t : tensors) {
            p.str(t.name()).global("torch._utils", "_rebuild_tensor_v2").mark();
            p.mark().str("storage").global("torch", classes.get(t.key())).str(t.key()).str("cpu")
                    .binint(data.get(t.key()).length / elementSizes.get(t.key()));
            if (legacy) {
                if (t.view() == null) {
                    p.none();
                } else {
                    p.mark().str((String) t.view()[0]);
                    integer(p, (Long) t.view()[1]);
                    integer(p, (Long) t.view()[2]);
                    p.tuple();
                }
            }
            p.tuple().binpersid();
            p.binint((int) t.offset());
            ints(p, t.shape());
            ints(p, t.stride());
            p.newFalse().global("collections", "OrderedDict").emptyTuple().reduce().tuple().reduce();
        }
        for (Consumer<PickleBuilder> x : extras) {
            x.accept(p);
        }
        return p.setitems().stop().bytes();
    }

    /** BININT when the value fits, else LONG1. */
    private static void integer(PickleBuilder p, long v) {
        if (v == (int) v) {
            p.binint((int) v);
        } else {
            byte[] be = java.math.BigInteger.valueOf(v).toByteArray();
            byte[] le = new byte[be.length];
            for (int i = 0; i < be.length; i++) {
                le[i] = be[be.length - 1 - i];
            }
            p.long1(le);
        }
    }

    private static void ints(PickleBuilder p, long[] v) {
        p.mark();
        for (long x : v) {
            p.binint((int) x);
        }
        p.tuple();
    }

    byte[] zip(String byteorder) {
        ZipBuilder z = new ZipBuilder().add("archive/data.pkl", pickle(false));
        if (byteorder != null) {
            z.add("archive/byteorder", byteorder.getBytes());
        }
        for (var e : data.entrySet()) {
            z.add("archive/data/" + e.getKey(), e.getValue());
        }
        return z.add("archive/version", "3\n".getBytes()).bytes();
    }

    /** The legacy stream layout; {@code bigEndian} marks sys_info and writes counts big-endian too. */
    byte[] legacy(boolean bigEndian) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] magic = new java.math.BigInteger("1950a86a20f9469cfc6c", 16).toByteArray();
        byte[] le = new byte[magic.length];
        for (int i = 0; i < magic.length; i++) {
            le[i] = magic[magic.length - 1 - i];
        }
        out.writeBytes(PickleBuilder.create().proto(2).long1(le).stop().bytes());
        out.writeBytes(PickleBuilder.create().proto(2).binint(1001).stop().bytes());
        PickleBuilder info = PickleBuilder.create().proto(2).emptyDict().mark().str("protocol_version").binint(1001)
                .str("little_endian");
        (bigEndian ? info.newFalse() : info.newTrue()).str("type_sizes").emptyDict().setitems().stop();
        out.writeBytes(info.bytes());
        out.writeBytes(pickle(true));
        PickleBuilder keys = PickleBuilder.create().proto(2).emptyList().mark();
        for (String k : data.keySet()) {
            keys.str(k);
        }
        out.writeBytes(keys.appends().stop().bytes());
        for (var e : data.entrySet()) {
            long n = e.getValue().length / elementSizes.get(e.getKey());
            for (int i = 0; i < 8; i++) {
                out.write((int) ((bigEndian ? Long.reverseBytes(n) : n) >>> (8 * i)) & 0xff);
            }
            out.writeBytes(e.getValue());
        }
        return out.toByteArray();
    }
}
