package dev.laocoon.core.internal.format.numpy;

import dev.laocoon.core.internal.container.ZipArchive;
import dev.laocoon.core.internal.format.PyLiteral;
import dev.laocoon.core.source.ByteSource;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
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
     * understood) may make numpy build an object array. The descr is walked as numpy's
     * {@code format.descr_to_dtype} walks it (numpy/lib/format.py): a string is a type; a tuple is
     * (type, shape); a list holds fields (name, type) or (name, type, shape), where a name (a string
     * or a (title, name) tuple) is never a type, so a field called 'Open' is not an object. Every
     * type string naming the object type ('O' or 'object' in any spelling numpy accepts, also inside
     * a comma-separated 'f8,O') counts, nested fields included; what does not fit that shape is
     * judged by every string in it. Conservative on purpose.
     */
    public static boolean mentionsObject(Object descr) {
        return walk(descr, false, 0);
    }

    /** Plain type strings: numpy reads such data as raw bytes. */
    /** Compiled on first use: the class is loaded for every checkpoint member check (start-up time). */
    private static final class Plain {
        static final java.util.regex.Pattern PLAIN = java.util.regex.Pattern.compile(
                "[<>=|]?(?:[?bBhHiIlLqQpPnNefdgFDGSUVac]|[biufcSUVa]\\d+|[mM]8(?:\\[\\w+\\])?)");
    }

    /**
     * True when the descr is understood and every type in it is a plain one (numbers, strings,
     * bytes, void, dates), structured fields included: numpy.load reads the data as raw bytes.
     */
    public static boolean plainDescr(Object descr) {
        return descr != null && !walk(descr, true, 0);
    }

    /**
     * With {@code strict} false: true when some type may be an object. With {@code strict} true:
     * true when some type is not known to be plain (or the shape is not understood).
     */
    private static boolean walk(Object d, boolean strict, int depth) {
        if (depth > 64) {
            return true;
        }
        if (d instanceof String t) {
            return strict ? !Plain.PLAIN.matcher(t).matches() : objectType(t);
        }
        if (d instanceof PyLiteral.Tuple t) {
            // (type, shape): a subarray
            return t.items().isEmpty() ? strict : walk(t.items().get(0), strict, depth + 1);
        }
        if (d instanceof List<?> fields) {
            for (Object f : fields) {
                List<?> parts = f instanceof PyLiteral.Tuple t ? t.items() : f instanceof List<?> l ? l : null;
                if (parts != null && (parts.size() == 2 || parts.size() == 3)
                        && (parts.get(0) instanceof String || parts.get(0) instanceof PyLiteral.Tuple)) {
                    if (walk(parts.get(1), strict, depth + 1)) {
                        return true;
                    }
                } else if (strict || anyObject(f)) {
                    return true; // not a field numpy's loop reads as (name, type[, shape]): every string counts
                }
            }
            return false;
        }
        return strict || anyObject(d);
    }

    private static boolean anyObject(Object v) {
        for (String t : PyLiteral.strings(v)) {
            if (objectType(t)) {
                return true;
            }
        }
        return false;
    }

    private static boolean objectType(String t) {
        return t.contains("O") || t.toLowerCase(Locale.ROOT).contains("object");
    }
}
