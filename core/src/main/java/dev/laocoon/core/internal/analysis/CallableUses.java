package dev.laocoon.core.internal.analysis;

import dev.laocoon.core.internal.pickle.GlobalName;
import dev.laocoon.core.internal.pickle.PickleResult;
import dev.laocoon.core.internal.pickle.TraceEvent;
import dev.laocoon.core.internal.pickle.Value;
import java.util.IdentityHashMap;
import java.util.Map;

/**
 * How a pickle uses each global it imports and each object a call returned: only kept as data,
 * used as a class whose {@code __new__} allocates an instance, or called. A callable handed to a
 * call as an argument (at any depth of the argument's containers) counts as called: the callee
 * may call it (a trampoline such as {@code functools.partial}, a {@code defaultdict} factory, a
 * checkpointing helper), so it is judged as if the pickle called it there.
 *
 * <p>The exceptions are argument positions whose role in the reconstructors that library
 * pickles use is a fact of their code: {@code copyreg._reconstructor(cls, base, state)} calls
 * {@code base.__new__(cls)} (cls is allocated, not called; Lib/copyreg.py), {@code copyreg.__newobj__(cls, *args)}
 * calls {@code cls.__new__}, numpy's {@code _reconstruct(subtype, shape, dtype)} allocates
 * {@code ndarray.__new__(subtype, ...)} (numpy/core/src/multiarray/methods.c, array__reconstruct),
 * pandas' {@code _new_Index(cls, d)} calls {@code cls.__new__(cls, **d)} (pandas/core/indexes/base.py);
 * and the arguments of the builtin containers, which only store their items.
 */
final class CallableUses {
    /** Ordered by strength: a later use subsumes the earlier ones. */
    enum Use {
        /** Kept, returned or stored as state. */
        DATA,
        /** The class an instance is allocated from ({@code cls.__new__}). */
        NEW,
        /** Handed to a call as an argument (possibly inside a container). */
        PASSED,
        /** The callable of a call. */
        CALLED
    }

    private static final int MAX_DEPTH = 6;
    private static final int MAX_ITEMS = 256;

    /** Argument roles of reconstructors (canonical path): one letter per position, the last repeated. */
    private static final Map<String, String> ROLES = Map.ofEntries(
            Map.entry("copyreg._reconstructor", "NCD"), // cls allocated, base.__init__ called unless object
            Map.entry("copyreg.__newobj__", "NC"),
            Map.entry("copyreg.__newobj_ex__", "NCC"),
            Map.entry("numpy.core.multiarray._reconstruct", "ND"),
            Map.entry("numpy.ma.core._mareconstruct", "NND"),
            Map.entry("torch._utils._rebuild_wrapper_subclass", "ND"),
            Map.entry("torch._tensor._rebuild_from_type_v2", "CNCD"), // func(*args) called, as_subclass(new_type)
            Map.entry("torch._tensor._rebuild_from_type", "CNCD"),
            Map.entry("pandas.core.indexes.base._new_Index", "ND"),
            Map.entry("builtins.dict", "D"),
            Map.entry("builtins.list", "D"),
            Map.entry("builtins.tuple", "D"),
            Map.entry("builtins.set", "D"),
            Map.entry("builtins.frozenset", "D"),
            Map.entry("collections.OrderedDict", "D"),
            Map.entry("collections.deque", "D"),
            Map.entry("collections.Counter", "D"));

    private final Map<GlobalName, Use> globals = new IdentityHashMap<>();
    private final Map<Value.Call, Use> results = new IdentityHashMap<>();
    private boolean unseen;

    private CallableUses() {
    }

    /** The uses in one pickle; {@code canonical} maps a global's path to its canonical spelling. */
    static CallableUses of(PickleResult p, dev.laocoon.core.kb.KnowledgeBase canonical) {
        CallableUses u = new CallableUses();
        for (TraceEvent e : p.events()) {
            if (!(e instanceof TraceEvent.Invoke inv)) {
                continue;
            }
            switch (inv.kind()) {
                case CALL -> {
                    u.mark(inv.target(), Use.CALLED);
                    String roles = inv.target() instanceof Value.Global g && g.name().known()
                            ? roles(canonical.canonical(g.name().path())) : null;
                    u.arguments(inv.args(), roles);
                    if (inv.kwargs() != null) {
                        u.deep(inv.kwargs(), Use.PASSED, 0);
                    }
                }
                case NEW -> {
                    u.mark(inv.target(), Use.NEW);
                    u.deep(inv.args(), Use.PASSED, 0);
                    if (inv.kwargs() != null) {
                        u.deep(inv.kwargs(), Use.PASSED, 0);
                    }
                }
                default -> {
                    // BUILD state and container methods store values; they call nothing they are given
                }
            }
        }
        return u;
    }

    private static String roles(String path) {
        if (StaticCalls.isResolver(path)) {
            return "D"; // getattr and the other resolvers read their operands, they call nothing
        }
        String r = ROLES.get(path);
        if (r == null && path.substring(path.lastIndexOf('.') + 1).startsWith("__pyx_unpickle_")) {
            return "ND"; // Cython: __pyx_unpickle_CLASS(type, checksum, state) allocates type.__new__(type)
        }
        return r;
    }

    /** How the pickle uses this global (identity: one import, however often it is fetched from the memo). */
    Use of(GlobalName name) {
        return globals.getOrDefault(name, Use.DATA);
    }

    /**
     * True when some argument held more distinct imported objects than a container remembers:
     * any of the pickle's globals may have been passed.
     */
    boolean unseen() {
        return unseen;
    }

    /** How the pickle uses what this call returned. */
    Use ofResult(Value.Call result) {
        return result == null ? Use.DATA : results.getOrDefault(result, Use.DATA);
    }

    private void arguments(Value args, String roles) {
        if (roles == null || !(args instanceof Value.Container c) || c.kind() != Value.Kind.TUPLE) {
            deep(args, Use.PASSED, 0);
            return;
        }
        int n = Math.min(c.keptCount(), MAX_ITEMS);
        for (int i = 0; i < n; i++) {
            char r = roles.charAt(Math.min(i, roles.length() - 1));
            Value v = c.item(i);
            switch (r) {
                case 'N' -> mark(v, Use.NEW);
                case 'C' -> deep(v, Use.PASSED, 1);
                default -> {
                    // stored: the reconstructor keeps this as data
                }
            }
        }
    }

    private void deep(Value v, Use use, int depth) {
        if (v instanceof Value.Global || v instanceof Value.Call) {
            mark(v, use);
        } else if (v instanceof Value.Container c) {
            for (int i = 0; i < c.globalCount(); i++) {
                mark(c.global(i), use);
            }
            unseen |= c.globalsOverflow();
            if (depth < MAX_DEPTH) {
                int n = Math.min(c.keptCount(), MAX_ITEMS);
                for (int i = 0; i < n; i++) {
                    Value item = c.item(i);
                    if (item instanceof Value.Call || item instanceof Value.Container) {
                        deep(item, use, depth + 1);
                    }
                }
            }
        }
    }

    private void mark(Value v, Use use) {
        if (v instanceof Value.Global g) {
            Use old = globals.get(g.name()); // no lambdas on the scan path: start-up time
            globals.put(g.name(), old == null ? use : max(old, use));
        } else if (v instanceof Value.Call c) {
            Use old = results.get(c);
            results.put(c, old == null ? use : max(old, use));
        }
    }

    private static Use max(Use a, Use b) {
        return a.compareTo(b) >= 0 ? a : b;
    }
}
