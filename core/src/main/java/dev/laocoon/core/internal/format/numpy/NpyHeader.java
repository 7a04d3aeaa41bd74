package dev.laocoon.core.internal.format.numpy;

import dev.laocoon.core.internal.container.ZipArchive;
import dev.laocoon.core.internal.format.PyLiteral;
import dev.laocoon.core.source.ByteSource;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;

/**
 * A NumPy {@code .npy} header: magic, version, header length (2 bytes in v1, 4 in v2/v3) and a
 * Python dict literal with 'descr', 'fortran_order' and 'shape', read as numpy reads it.
 *
 * @param major     format version
 * @param text      the dict literal
 * @param dataStart where the array data starts
 */
public record NpyHeader(int major, String text, long dataStart) {
    private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};

    /** A header numpy would refuse; the message says why. */
    public static final class Bad extends Exception {
        private static final long serialVersionUID = 1L;

        Bad(String message) {
            super(message);
        }
    }

    /** The six magic bytes. */
    public static byte[] magic() {
        return MAGIC.clone();
    }

    /** True when {@code head} starts with the .npy magic. */
    public static boolean hasMagic(byte[] head) {
        return head.length >= 6 && Arrays.equals(head, 0, 6, MAGIC, 0, 6);
    }

    public static boolean isNpy(ByteSource src) throws IOException {
        byte[] h = new byte[6];
        return src.readFully(0, h, 0, 6) == 6 && hasMagic(h);
    }

    /** Reads the header of a .npy (versions 1 to 3). */
    public static NpyHeader read(ByteSource src) throws IOException, Bad {
        byte[] h = new byte[12];
        if (src.readFully(0, h, 0, 12) < 10) {
            throw new Bad(".npy data ends inside its header");
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
            throw new Bad("unknown .npy format version " + major);
        }
        if (headerLen > (1 << 20) || start + headerLen > src.size()) {
            throw new Bad(".npy header length " + headerLen + " runs past the end of the data");
        }
        byte[] hb = new byte[(int) headerLen];
        src.readFully(start, hb, 0, hb.length);
        return new NpyHeader(major, new String(hb, major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1),
                start + headerLen);
    }

    /**
     * The header as numpy reads it ({@code ast.literal_eval}, then exactly the keys descr,
     * fortran_order and shape), or null when it is not such a dict or not understood.
     */
    public Map<?, ?> fields() {
        Object v;
        try {
            v = PyLiteral.parse(text);
        } catch (PyLiteral.Bad e) {
            return null;
        }
        if (!(v instanceof Map<?, ?> m) || m.size() != 3 || !m.containsKey("descr")
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
            if (t.contains("O") || t.toLowerCase(Locale.ROOT).contains("object")) {
                return true;
            }
        }
        return false;
    }
}
