package dev.laocoon.core.internal.detect;

import dev.laocoon.core.internal.container.PyLzmaInputStream;
import dev.laocoon.core.internal.format.GgufReader;
import dev.laocoon.core.internal.format.SafetensorsValidator;
import dev.laocoon.core.internal.format.numpy.NpyHeader;
import dev.laocoon.core.source.ByteSource;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/** The detectors: byte signatures and small structural checks, one per format (see {@link Detector}). */
public final class Magic {
    private Magic() {
    }

    public static final Detector ZIP = new Detector() {
        @Override
        public boolean matches(Head h) throws IOException {
            return h.zip() != null;
        }
    };

    public static final Detector GZIP = new Detector() {
        @Override
        public boolean matches(Head h) {
            return h.startsWith(0x1f, 0x8b, 8);
        }
    };

    public static final Detector BZ2 = new Detector() {
        @Override
        public boolean matches(Head h) {
            return h.startsWith('B', 'Z', 'h') && h.at(3) >= '1' && h.at(3) <= '9';
        }
    };

    public static final Detector XZ = new Detector() {
        @Override
        public boolean matches(Head h) {
            return h.startsWith(0xfd, '7', 'z', 'X', 'Z', 0);
        }
    };

    public static final Detector ZSTD = new Detector() {
        @Override
        public boolean matches(Head h) {
            return h.startsWith(0x28, 0xb5, 0x2f, 0xfd);
        }
    };

    public static final Detector LZ4 = new Detector() {
        @Override
        public boolean matches(Head h) {
            return h.length() >= 4 && h.startsWith(0x04, 0x22, 0x4d, 0x18);
        }
    };

    /** A zlib header (CMF/FLG check); only a candidate: it counts when it inflates. */
    public static final Detector ZLIB = new Detector() {
        @Override
        public boolean matches(Head h) {
            int b0 = h.at(0);
            int b1 = h.at(1);
            return h.length() >= 2 && (b0 & 0x0f) == 8 && (b0 << 8 | b1) % 31 == 0 && b0 >> 4 <= 7 && (b1 & 0x20) == 0;
        }
    };

    /**
     * joblib < 0.10 "Z-file", still read by joblib.load (numpy_pickle_compat.read_zfile): "ZF", the
     * pickle's length as int(..., 16) text in 19 characters, an optional space, then zlib data.
     */
    public static final Detector JOBLIB_ZFILE = new Detector() {
        @Override
        public boolean matches(Head h) throws IOException {
            if (h.length() < 4 || h.at(0) != 'Z' || h.at(1) != 'F' || h.source().size() <= 21) {
                return false;
            }
            byte[] len = new byte[20];
            h.source().readFully(2, len, 0, 20);
            String hex = new String(len, 0, 19, StandardCharsets.ISO_8859_1).strip().replace("_", "");
            return hex.matches("[+-]?(0[xX])?[0-9a-fA-F]+");
        }
    };

    /** Where the zlib data of a Z-file starts. */
    public static long zfileDataStart(ByteSource src) throws IOException {
        byte[] b = new byte[1];
        return src.readFully(21, b, 0, 1) == 1 && b[0] == ' ' ? 22 : 21;
    }

    /**
     * LZMA-alone as Python's lzma.open (format auto) accepts it: any properties below 225 and any
     * dictionary size liblzma takes, not only xz's defaults; a candidate only (such a header can
     * also start a zlib stream or other data), counted when it decodes.
     */
    public static final Detector LZMA_ALONE = new Detector() {
        @Override
        public boolean matches(Head h) {
            return PyLzmaInputStream.looksLikeAlone(h.bytes(), h.length());
        }
    };

    public static final Detector SEVEN_ZIP = new Detector() {
        @Override
        public boolean matches(Head h) {
            return h.startsWith('7', 'z', 0xbc, 0xaf, 0x27, 0x1c);
        }
    };

    /** A POSIX or GNU tar header: "ustar" at offset 257 of the first 512-byte block. */
    public static final Detector TAR = new Detector() {
        @Override
        public boolean matches(Head h) throws IOException {
            byte[] m = new byte[6];
            ByteSource src = h.source();
            return src.size() >= 512 && src.readFully(257, m, 0, 6) == 6 && m[0] == 'u' && m[1] == 's' && m[2] == 't'
                    && m[3] == 'a' && m[4] == 'r' && (m[5] == 0 || m[5] == ' ');
        }
    };

    public static final Detector HDF5 = new Detector() {
        @Override
        public boolean matches(Head h) {
            return h.startsWith(0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n');
        }
    };

    public static final Detector GGUF = new Detector() {
        @Override
        public boolean matches(Head h) throws IOException {
            return GgufReader.looksLike(h.source());
        }
    };

    public static final Detector SAFETENSORS = new Detector() {
        @Override
        public boolean matches(Head h) throws IOException {
            return SafetensorsValidator.looksLike(h.source());
        }
    };

    public static final Detector NPY = new Detector() {
        @Override
        public boolean matches(Head h) {
            return h.length() >= 10 && NpyHeader.hasMagic(h.bytes());
        }
    };

    /** Protobuf field 1 as a varint: ONNX ModelProto (ir_version) and TF SavedModel (schema version). */
    public static final Detector PROTOBUF_MODEL = new Detector() {
        @Override
        public boolean matches(Head h) {
            return h.length() >= 2 && h.at(0) == 0x08;
        }
    };

    /** Protobuf field 1 length-delimited: keras_metadata.pb (SavedMetadata.nodes). */
    public static final Detector KERAS_METADATA = new Detector() {
        @Override
        public boolean matches(Head h) {
            return h.length() >= 2 && h.at(0) == 0x0a;
        }
    };

    /** Any content may be a pickle (protocols 0 and 1 have no signature): the analyser decides. */
    public static final Detector ANY = new Detector() {
        @Override
        public boolean matches(Head h) {
            return true;
        }
    };
}
