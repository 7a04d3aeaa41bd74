package dev.laocoon.core.internal.container;

import dev.laocoon.core.internal.pickle.RawData;
import dev.laocoon.core.internal.pickle.Value;
import java.util.Map;

/**
 * PyTorch's oldest format, a tar with members {@code sys_info}, {@code pickle}, {@code tensors}
 * and {@code storages}. In {@code storages}, each record pickle {@code (key, location, type)} is
 * followed by an 8-byte element count and the raw elements; in {@code tensors}, each record
 * {@code (key, storage_id, type)} by a 4-byte ndim, 4 unused bytes, sizes and strides (8 bytes
 * each per dimension) and an 8-byte offset. These readers skip exactly those bytes.
 */
public final class LegacyTorchTar {
    private static final Map<String, Integer> ELEMENT_SIZE = Map.ofEntries(
            Map.entry("DoubleStorage", 8), Map.entry("FloatStorage", 4), Map.entry("HalfStorage", 2),
            Map.entry("BFloat16Storage", 2), Map.entry("LongStorage", 8), Map.entry("IntStorage", 4),
            Map.entry("ShortStorage", 2), Map.entry("CharStorage", 1), Map.entry("ByteStorage", 1),
            Map.entry("BoolStorage", 1), Map.entry("ComplexDoubleStorage", 16), Map.entry("ComplexFloatStorage", 8),
            Map.entry("QUInt8Storage", 1), Map.entry("QInt8Storage", 1), Map.entry("QInt32Storage", 4),
            Map.entry("QUInt4x2Storage", 1), Map.entry("QUInt2x4Storage", 1));

    private LegacyTorchTar() {
    }

    /** The member {@code storages}. */
    public static final RawData STORAGES = new Records() {
        @Override
        public Counted afterPickle(int index, Value result) {
            Value type = record(index, result);
            if (type instanceof Value.Global g && g.name().known()) {
                Integer size = ELEMENT_SIZE.get(g.name().resolvedName());
                if (size != null && g.name().resolvedModule().equals("torch")) {
                    return new Counted(8, size, 0, "legacy storage of " + g.name().resolvedName());
                }
            }
            return null;
        }
    };

    /** The member {@code tensors}. */
    public static final RawData TENSORS = new Records() {
        @Override
        public Counted afterPickle(int index, Value result) {
            return record(index, result) != null ? new Counted(4, 16, 12, "legacy tensor header") : null;
        }
    };

    private abstract static class Records implements RawData {
        @Override
        public Plan afterBuild(Value instance, Value state) {
            return null;
        }

        /** The third item of a 3-tuple record after the count pickle, or null. */
        static Value record(int index, Value result) {
            if (index >= 1 && result instanceof Value.Container t && t.kind() == Value.Kind.TUPLE && t.size() == 3
                    && t.keptCount() == 3) {
                return t.item(2);
            }
            return null;
        }
    }
}
