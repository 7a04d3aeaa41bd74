package dev.laocoon.core.internal.container;

import dev.laocoon.core.internal.pickle.GlobalName;
import dev.laocoon.core.internal.pickle.RawData;
import dev.laocoon.core.internal.pickle.Value;
import java.math.BigInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * joblib's layout: each NumPy array is pickled as a {@code NumpyArrayWrapper} whose BUILD is
 * followed, in the file, by the array's raw bytes (after an alignment padding byte and padding
 * when the state has {@code numpy_array_alignment_bytes}), or by a whole pickle when the dtype
 * holds Python objects. The byte count comes from the wrapper's {@code shape} and {@code dtype}.
 */
public final class JoblibArrays implements RawData {
    /** Compiled on first use: most scans never meet a joblib array. */
    private static final class Descr {
        static final Pattern PATTERN = Pattern.compile("[<>|=]?([a-zA-Z?])(\\d*)(?:\\[.*\\])?");
    }

    @Override
    public Plan afterBuild(Value instance, Value state) {
        if (!(instance instanceof Value.Call call)) {
            return null;
        }
        GlobalName g = call.rootGlobal();
        if (g == null || !g.known() || !g.path().endsWith("numpy_pickle.NumpyArrayWrapper")) {
            return null;
        }
        if (!(state instanceof Value.Container d) || d.kind() != Value.Kind.DICT) {
            return null;
        }
        Value shape = entry(d, "shape");
        Value dtype = entry(d, "dtype");
        boolean aligned = entry(d, "numpy_array_alignment_bytes") != null;
        String descr = descr(dtype);
        if (descr == null) {
            return null;
        }
        Matcher m = Descr.PATTERN.matcher(descr);
        if (!m.matches()) {
            return null;
        }
        char kind = m.group(1).charAt(0);
        // The dtype's own pickled state decides, as numpy's arraydescr_setstate applies it
        // (numpy/core/src/multiarray/descriptor.c): its flags give dtype.hasobject, which is what
        // joblib's read_array tests (joblib/numpy_pickle.py), so a structured dtype with an object
        // field, or any dtype whose state sets the flag, is read as a pickle; and for the flexible
        // kinds S, U and V the state's elsize is the item size.
        Value.Container st = dtype instanceof Value.Call c && c.state() instanceof Value.Container t
                && t.kind() == Value.Kind.TUPLE && t.complete() ? t : null;
        if (dtype instanceof Value.Call c && c.state() != null && (st == null || st.size() < 8)) {
            return null; // a state numpy would refuse or that we cannot read: leave the bytes to the machine
        }
        long flags = st != null && st.item(7) instanceof Value.Int f && f.value().bitLength() < 63 ? f.value().longValue() : 0;
        // numpy honours the state's flags for the flexible and datetime kinds only (checked with
        // numpy 1.24: dtype('V4'), ('S4'), ('U2'), ('M8[s]') take hasobject from flags 1; ('f8'), ('i4') do not)
        if (kind == 'O' || (flags & 1) != 0 && "SUVMm".indexOf(kind) >= 0) {
            return new Plan(0, false, true, "joblib object array (a pickle)");
        }
        long count = count(shape);
        if (count < 0) {
            return null;
        }
        long itemsize = m.group(2).isEmpty() ? (kind == '?' || kind == 'b' ? 1 : -1) : Long.parseLong(m.group(2));
        if (kind == 'U') {
            itemsize *= 4;
        }
        if ((kind == 'S' || kind == 'U' || kind == 'V') && st != null && st.item(5) instanceof Value.Int e
                && e.value().signum() > 0 && e.value().bitLength() < 40) {
            itemsize = e.value().longValue();
        }
        if (itemsize < 0) {
            return null;
        }
        BigInteger bytes = BigInteger.valueOf(count).multiply(BigInteger.valueOf(itemsize));
        if (bytes.bitLength() > 62) {
            return null;
        }
        return new Plan(bytes.longValue(), aligned, false, "joblib array data " + descr + " x " + count);
    }

    private static Value entry(Value.Container d, String key) {
        for (int i = 0; i + 1 < d.keptCount(); i += 2) {
            if (d.item(i) instanceof Value.Str s && s.text().equals(key)) {
                return d.item(i + 1);
            }
        }
        return null;
    }

    /** numpy.dtype('f8', False, True) as pickled: the first argument is the type string. */
    private static String descr(Value dtype) {
        if (dtype instanceof Value.Call c && c.args() instanceof Value.Container a && a.keptCount() >= 1
                && a.item(0) instanceof Value.Str s) {
            return s.text();
        }
        return null;
    }

    private static long count(Value shape) {
        if (!(shape instanceof Value.Container t) || t.kind() != Value.Kind.TUPLE || t.keptCount() != t.size()) {
            return -1;
        }
        BigInteger n = BigInteger.ONE;
        for (int i = 0; i < t.keptCount(); i++) {
            if (!(t.item(i) instanceof Value.Int v) || v.value().signum() < 0) {
                return -1;
            }
            n = n.multiply(v.value());
            if (n.bitLength() > 62) {
                return -1;
            }
        }
        return n.longValue();
    }
}
