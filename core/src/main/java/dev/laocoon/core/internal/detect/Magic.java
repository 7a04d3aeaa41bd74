package dev.laocoon.core.internal.detect;

import dev.laocoon.core.internal.container.PyLzmaInputStream;
import dev.laocoon.core.internal.format.GgufReader;
import dev.laocoon.core.internal.format.SafetensorsValidator;
import dev.laocoon.core.internal.format.numpy.NpyHeader;
import dev.laocoon.core.source.ByteSource;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/** The detectors: byte signatures and small structural checks, one per format (see {@link Detector}). */
public enum Magic implements Detector {
    ZIP,
    GZIP,
    BZ2,
    XZ,
    ZSTD,
    LZ4,
    /** A zlib header (CMF/FLG check); only a candidate: it counts when it inflates. */
    ZLIB,
    /**
     * joblib < 0.10 "Z-file", still read by joblib.load (numpy_pickle_compat.read_zfile): "ZF", the
     * pickle's length as int(..., 16) text in 19 characters, an optional space, then zlib data.
     */
    JOBLIB_ZFILE,
    /**
     * LZMA-alone as Python's lzma.open (format auto) accepts it: any properties below 225 and any
     * dictionary size liblzma takes, not only xz's defaults; a candidate only (such a header can
     * also start a zlib stream or other data), counted when it decodes.
     */
    LZMA_ALONE,
    SEVEN_ZIP,
    /**
     * A POSIX or GNU tar header ("ustar" at offset 257 of the first 512-byte block), or a pre-POSIX
     * V7 header, which has no magic: a block whose checksum is right (see {@link #v7TarHeader}).
     */
    TAR,
    HDF5,
    GGUF,
    SAFETENSORS,
    NPY,
    /** Protobuf field 1 as a varint: ONNX ModelProto (ir_version) and TF SavedModel (schema version), or field 2 (meta graphs). */
    PROTOBUF_MODEL,
    /** Protobuf field 1 length-delimited: keras_metadata.pb (SavedMetadata.nodes). */
    KERAS_METADATA,
    /** Any content may be a pickle (protocols 0 and 1 have no signature): the analyser decides. */
    ANY;

    @Override
    public boolean matches(Head h) throws IOException {
        // one method rather than a class per detector: every scan loads the whole registry
        switch (this) {
            case ZIP: {
                return h.zip() != null;
            }
            case GZIP: {
                return h.startsWith(0x1f, 0x8b, 8);
            }
            case BZ2: {
                return h.startsWith('B', 'Z', 'h') && h.at(3) >= '1' && h.at(3) <= '9';
            }
            case XZ: {
                return h.startsWith(0xfd, '7', 'z', 'X', 'Z', 0);
            }
            case ZSTD: {
                return h.startsWith(0x28, 0xb5, 0x2f, 0xfd);
            }
            case LZ4: {
                return h.length() >= 4 && h.startsWith(0x04, 0x22, 0x4d, 0x18);
            }
            case ZLIB: {
                int b0 = h.at(0);
                int b1 = h.at(1);
                return h.length() >= 2 && (b0 & 0x0f) == 8 && (b0 << 8 | b1) % 31 == 0 && b0 >> 4 <= 7 && (b1 & 0x20) == 0;
            }
            case JOBLIB_ZFILE: {
                if (h.length() < 4 || h.at(0) != 'Z' || h.at(1) != 'F' || h.source().size() <= 21) {
                    return false;
                }
                byte[] len = new byte[20];
                h.source().readFully(2, len, 0, 20);
                String hex = new String(len, 0, 19, StandardCharsets.ISO_8859_1).strip().replace("_", "");
                return hex.matches("[+-]?(0[xX])?[0-9a-fA-F]+");
            }
            case LZMA_ALONE: {
                return PyLzmaInputStream.looksLikeAlone(h.bytes(), h.length());
            }
            case SEVEN_ZIP: {
                return h.startsWith('7', 'z', 0xbc, 0xaf, 0x27, 0x1c);
            }
            case TAR: {
                byte[] b = new byte[512];
                ByteSource src = h.source();
                if (src.size() < 512 || src.readFully(0, b, 0, 512) != 512) {
                    return false;
                }
                return tarHeader(b);
            }
            case HDF5: {
                return h.startsWith(0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n') || hdf5Superblock(h.source()) > 0;
            }
            case GGUF: {
                return GgufReader.looksLike(h.source());
            }
            case SAFETENSORS: {
                return SafetensorsValidator.looksLike(h.source());
            }
            case NPY: {
                return h.length() >= 10 && NpyHeader.hasMagic(h.bytes());
            }
            case PROTOBUF_MODEL: {
                // 0x12: field 2 length-delimited, a SavedModel without schema version (its meta graphs);
                // the analyser only claims what parses as a model
                // ONNX and TensorFlow parse fields in any order: another first field is tried when the
                // top-level fields parse (protobufTopLevel)
                return h.length() >= 2 && (h.at(0) == 0x08 || h.at(0) == 0x12 || protobufTopLevel(h.source()));
            }
            case KERAS_METADATA: {
                return h.length() >= 2 && h.at(0) == 0x0a;
            }
            case ANY: {
                return true;
            }
            default:
                throw new IllegalStateException(name());
        }
    }

    /**
     * True when the file's top level reads as protobuf fields: tags with a field number and a
     * wire type of 0, 1, 2 or 5, varints and lengths within the file, up to its end or for 64
     * fields, at least one of them length-delimited. Only a few bytes per field are read.
     */
    static boolean protobufTopLevel(ByteSource src) throws IOException {
        long size = src.size();
        long pos = 0;
        boolean delimited = false;
        byte[] b = new byte[10];
        for (int fields = 0; fields < 64 && pos < size; fields++) {
            long[] tag = varint(src, pos, b);
            if (tag == null || tag[0] >>> 3 == 0) {
                return false;
            }
            pos = tag[1];
            switch ((int) (tag[0] & 7)) {
                case 0 -> {
                    long[] v = varint(src, pos, b);
                    if (v == null) {
                        return false;
                    }
                    pos = v[1];
                }
                case 1 -> pos += 8;
                case 5 -> pos += 4;
                case 2 -> {
                    long[] len = varint(src, pos, b);
                    if (len == null || len[0] < 0 || len[0] > size - len[1]) {
                        return false;
                    }
                    pos = len[1] + len[0];
                    delimited = true;
                }
                default -> {
                    return false;
                }
            }
            if (pos > size) {
                return false;
            }
        }
        return delimited;
    }

    /** {value, position after it} of the varint at {@code pos}, or null. */
    private static long[] varint(ByteSource src, long pos, byte[] b) throws IOException {
        int n = src.readFully(pos, b, 0, b.length);
        long v = 0;
        for (int i = 0; i < n; i++) {
            v |= (long) (b[i] & 0x7f) << (7 * i);
            if ((b[i] & 0x80) == 0) {
                return new long[] {v, pos + i + 1};
            }
        }
        return null;
    }

    /**
     * Where an HDF5 file's superblock is: libhdf5 (H5FDint.c {@code H5FD_locate_signature}, which h5py
     * and so Keras use) looks at offset 0, then 512, 1024, 2048, ... (every power of two from 512
     * below the file's size): the bytes before it are the user block, which HDF5 ignores and any
     * other loader may read. -1 when there is no signature at any of those offsets.
     */
    public static long hdf5Superblock(ByteSource src) throws IOException {
        byte[] sig = new byte[8];
        if (src.size() > 1 << 17) {
            // a remote source fetches the far probes together, several at a time
            long[] far = new long[64];
            int n = 0;
            for (long at = 1 << 16; at + 8 <= src.size() && n < far.length; at *= 2) {
                far[n++] = at;
            }
            src.prefetch(java.util.Arrays.copyOf(far, n), 8);
        }
        for (long at = 0; at + 8 <= src.size(); at = at == 0 ? 512 : at * 2) {
            if (src.readFully(at, sig, 0, 8) == 8 && (sig[0] & 0xff) == 0x89 && sig[1] == 'H' && sig[2] == 'D'
                    && sig[3] == 'F' && sig[4] == '\r' && sig[5] == '\n' && sig[6] == 0x1a && sig[7] == '\n') {
                return at;
            }
        }
        return -1;
    }

    /**
     * A tar header as Python's tarfile accepts it without any magic (tarfile.py {@code TarInfo.frombuf}:
     * not all zero, the checksum field, octal text or base-256, equal to the unsigned or the signed
     * sum of the block with that field counted as spaces, {@code calc_chksums}). torch.load tries
     * tarfile first on every file (serialization.py {@code _legacy_load}), so a V7 tar is read as
     * PyTorch's oldest checkpoint format.
     */
    /** A ustar/GNU header (the magic at 257) or a V7 one (see {@link #v7TarHeader}). */
    public static boolean tarHeader(byte[] b) {
        return b.length >= 512 && (b[257] == 'u' && b[258] == 's' && b[259] == 't' && b[260] == 'a' && b[261] == 'r'
                && (b[262] == 0 || b[262] == ' ') || v7TarHeader(b));
    }

    public static boolean v7TarHeader(byte[] b) {
        boolean zero = true;
        for (byte x : b) {
            zero &= x == 0;
        }
        if (zero) {
            return false;
        }
        long stored;
        if ((b[148] & 0xff) == 0x80 || (b[148] & 0xff) == 0xff) {
            stored = 0;
            for (int i = 149; i < 156; i++) {
                stored = stored << 8 | (b[i] & 0xff);
            }
            if ((b[148] & 0xff) == 0xff) {
                stored -= 1L << 56;
            }
        } else {
            int end = 148;
            while (end < 156 && b[end] != 0) {
                end++;
            }
            String t = new String(b, 148, end - 148, StandardCharsets.ISO_8859_1).strip();
            for (int i = 0; i < t.length(); i++) {
                if (t.charAt(i) < '0' || t.charAt(i) > '7') {
                    return false; // octal digits only (no regex on the per-file path: start-up time)
                }
            }
            stored = t.isEmpty() ? 0 : Long.parseLong(t, 8);
        }
        long unsigned = 256;
        long signed = 256;
        for (int i = 0; i < 512; i++) {
            if (i >= 148 && i < 156) {
                continue;
            }
            unsigned += b[i] & 0xff;
            signed += b[i];
        }
        return stored == unsigned || stored == signed;
    }

    /** Where the zlib data of a Z-file starts. */
    public static long zfileDataStart(ByteSource src) throws IOException {
        byte[] b = new byte[1];
        return src.readFully(21, b, 0, 1) == 1 && b[0] == ' ' ? 22 : 21;
    }

}
