package dev.laocoon.core.convert;

/**
 * Element types a safetensors file can hold, declared in the order of the reference
 * implementation's {@code Dtype} enum (increasing alignment): its writer sorts tensors by this
 * order, largest first, then by name.
 */
public enum DType {
    BOOL(1, "BoolStorage", "bool"),
    U8(1, "ByteStorage", "uint8"),
    I8(1, "CharStorage", "int8"),
    F8_E5M2(1, "Float8_e5m2Storage", "float8_e5m2"),
    F8_E4M3(1, "Float8_e4m3fnStorage", "float8_e4m3fn"),
    I16(2, "ShortStorage", "int16"),
    U16(2, "UInt16Storage", "uint16"),
    F16(2, "HalfStorage", "float16"),
    BF16(2, "BFloat16Storage", "bfloat16"),
    I32(4, "IntStorage", "int32"),
    U32(4, "UInt32Storage", "uint32"),
    F32(4, "FloatStorage", "float32"),
    F64(8, "DoubleStorage", "float64"),
    I64(8, "LongStorage", "int64"),
    U64(8, "UInt64Storage", "uint64");

    private final int size;
    private final String storageClass;
    private final String torchName;

    DType(int size, String storageClass, String torchName) {
        this.size = size;
        this.storageClass = storageClass;
        this.torchName = torchName;
    }

    /** Bytes per element. */
    public int size() {
        return size;
    }

    /** The legacy typed-storage class torch.save names in persistent ids ({@code torch.FloatStorage}). */
    public String storageClass() {
        return storageClass;
    }

    /** The torch dtype attribute ({@code torch.float32}). */
    public String torchName() {
        return torchName;
    }

    /** The type of a {@code torch.<Name>Storage} class, or null when it is not one of these. */
    public static DType ofStorageClass(String name) {
        for (DType d : values()) {
            if (d.storageClass.equals(name)) {
                return d;
            }
        }
        return null;
    }

    /** The type of a {@code torch.<dtype>} attribute such as {@code float32} or {@code half}, or null. */
    public static DType ofTorchName(String name) {
        for (DType d : values()) {
            if (d.torchName.equals(name)) {
                return d;
            }
        }
        return switch (name) {
            case "float" -> F32;
            case "double" -> F64;
            case "half" -> F16;
            case "long" -> I64;
            case "int" -> I32;
            case "short" -> I16;
            default -> null;
        };
    }

    /**
     * The type of a NumPy type string such as {@code <f4} or {@code |b1}, or null. The byte-order
     * character is not checked here; see {@link #numpyBigEndian(String)}.
     */
    public static DType ofNumpy(String descr) {
        if (descr.length() < 2) {
            return null;
        }
        String t = "<>=|".indexOf(descr.charAt(0)) >= 0 ? descr.substring(1) : descr;
        return switch (t) {
            case "b1", "?" -> BOOL;
            case "u1", "B" -> U8;
            case "i1", "b" -> I8;
            case "i2", "h" -> I16;
            case "u2", "H" -> U16;
            case "f2", "e" -> F16;
            case "i4", "i" -> I32;
            case "u4", "I" -> U32;
            case "f4", "f" -> F32;
            case "f8", "d" -> F64;
            case "i8", "q", "l" -> I64;
            case "u8", "Q", "L" -> U64;
            default -> null;
        };
    }

    /** True when a NumPy type string declares big-endian data. */
    public static boolean numpyBigEndian(String descr) {
        return !descr.isEmpty() && descr.charAt(0) == '>';
    }

}
