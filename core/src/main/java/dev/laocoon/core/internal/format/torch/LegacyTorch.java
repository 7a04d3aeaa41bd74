package dev.laocoon.core.internal.format.torch;

import dev.laocoon.core.internal.pickle.PickleTrace;
import dev.laocoon.core.internal.pickle.Value;
import java.math.BigInteger;

/**
 * torch.save's legacy stream layout: a magic-number pickle, a protocol-version pickle, a sys-info
 * pickle, the object pickle (storages by persistent id), the storage-key list, then raw storage
 * bytes. Shared by the scan and the converter.
 */
public final class LegacyTorch {
    /** torch.save's legacy magic number (the first pickle of a legacy checkpoint). */
    public static final BigInteger MAGIC = new BigInteger("1950a86a20f9469cfc6c", 16);

    private LegacyTorch() {
    }

    /** True when the trace's first pickle is complete and is the legacy magic number. */
    public static boolean isLegacy(PickleTrace t) {
        return !t.pickles().isEmpty() && t.pickles().get(0).complete()
                && t.pickles().get(0).result() instanceof Value.Int i && i.value().equals(MAGIC);
    }

    /**
     * Null when {@code pid} is a persistent id of the legacy layout (a storage reference, or a
     * saved module's source record); otherwise what is wrong with it.
     */
    public static String checkStorageId(Value pid) {
        if (pid instanceof Value.Container t && t.kind() == Value.Kind.TUPLE && t.keptCount() >= 5
                && t.item(0) instanceof Value.Str s && s.text().equals("storage")
                && t.item(1) instanceof Value.Global && t.item(2) instanceof Value.Str) {
            return null;
        }
        if (pid instanceof Value.Container t && t.kind() == Value.Kind.TUPLE && t.keptCount() >= 1
                && t.item(0) instanceof Value.Str s && s.text().equals("module")) {
            return null; // legacy source-code records of saved modules
        }
        return "persistent id is not a legacy storage reference ('storage', type, key, location, size, view)";
    }

    /**
     * Null when {@code pid} is a persistent id of PyTorch's oldest (tar) layout: a storage key,
     * or a saved module's record; otherwise what is wrong with it.
     */
    public static String checkTarId(Value pid) {
        return pid instanceof Value.Str || pid instanceof Value.Int
                || (pid instanceof Value.Container t && t.kind() == Value.Kind.TUPLE && t.keptCount() >= 2
                && t.item(0) instanceof Value.Str s && s.text().equals("module") && t.item(1) instanceof Value.Global)
                ? null : "persistent id is neither a storage key nor a saved module record";
    }
}
