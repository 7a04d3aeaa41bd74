package dev.laocoon.core.internal.analysis;

import dev.laocoon.core.internal.pickle.GlobalName;
import dev.laocoon.core.internal.pickle.TraceEvent;
import dev.laocoon.core.internal.pickle.Value;

/**
 * Calls of name-resolving helpers whose result is fixed by constant operands, so that the pickle
 * is judged by what they resolve to rather than by the helper, which could resolve anything:
 * <ul>
 *   <li>{@code getattr(Class, 'NAME')}: one attribute of an imported object (how Python 3.11+
 *       pickles enum members, and how a hostile pickle reaches an inherited method);
 *   <li>{@code numpy.core._ufunc_reconstruct('numpy.core.umath', 'add')}: imports the module
 *       and returns the attribute, how NumPy below 1.21 pickled ufuncs (numpy/core/__init__.py);
 *   <li>{@code operator.getitem(typing.X, args)}: a subscripted {@code typing} alias, how
 *       {@code typing._GenericAlias.__reduce__} pickles {@code Optional[int]} (Lib/typing.py);
 *   <li>{@code builtins.type(None)}: the class of a constant, how {@code NoneType} is pickled
 *       inside typing aliases.
 * </ul>
 */
final class StaticCalls {
    private static final String IDENT = "[A-Za-z_][A-Za-z0-9_]*";

    private StaticCalls() {
    }

    /**
     * What the call resolves to, or null when it is not one of the static forms (the helper is
     * then judged as itself). {@code target} is the canonical path of the called global.
     */
    static GlobalName resolve(String target, TraceEvent.Invoke inv) {
        if (inv.kind() != TraceEvent.CallKind.CALL || inv.kwargs() != null
                || !(inv.args() instanceof Value.Container a) || a.kind() != Value.Kind.TUPLE || !a.complete()) {
            return null;
        }
        switch (target) {
            case "builtins.getattr" -> {
                if (a.size() == 2 && a.item(0) instanceof Value.Global owner && owner.name().known()
                        && a.item(1) instanceof Value.Str s && s.complete() && s.text().matches(IDENT)) {
                    GlobalName o = owner.name();
                    return new GlobalName(o.resolvedModule(), o.resolvedName() + "." + s.text(),
                            o.resolvedModule(), o.resolvedName() + "." + s.text(), 4, true);
                }
            }
            case "numpy.core._ufunc_reconstruct", "numpy.core.numeric._ufunc_reconstruct" -> {
                if (a.size() == 2 && a.item(0) instanceof Value.Str m && m.complete()
                        && m.text().matches(IDENT + "(\\." + IDENT + ")*")
                        && a.item(1) instanceof Value.Str n && n.complete() && n.text().matches(IDENT)) {
                    return new GlobalName(m.text(), n.text(), m.text(), n.text(), 4, true);
                }
            }
            case "operator.getitem" -> {
                if (a.size() == 2 && a.item(0) instanceof Value.Global owner && owner.name().known()
                        && owner.name().resolvedModule().equals("typing")) {
                    return owner.name();
                }
            }
            case "builtins.type" -> {
                if (a.size() == 1 && a.item(0) == Value.NONE) {
                    return new GlobalName("types", "NoneType", "types", "NoneType", 4, true);
                }
            }
            default -> {
                return null;
            }
        }
        return null;
    }

    private static final java.util.Set<String> RESOLVERS = java.util.Set.of("builtins.getattr",
            "numpy.core._ufunc_reconstruct", "numpy.core.numeric._ufunc_reconstruct", "operator.getitem", "builtins.type");

    /**
     * True for a helper {@link #resolve} knows (its imports are judged through their calls; its
     * operands are read, not handed to be called).
     */
    static boolean isResolver(String target) {
        return RESOLVERS.contains(target);
    }
}
