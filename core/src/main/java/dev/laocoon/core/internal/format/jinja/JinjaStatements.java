package dev.laocoon.core.internal.format.jinja;

import dev.laocoon.core.internal.format.jinja.JinjaAst.Call;
import dev.laocoon.core.internal.format.jinja.JinjaAst.CallBlock;
import dev.laocoon.core.internal.format.jinja.JinjaAst.Do;
import dev.laocoon.core.internal.format.jinja.JinjaAst.Expr;
import dev.laocoon.core.internal.format.jinja.JinjaAst.FilterBlock;
import dev.laocoon.core.internal.format.jinja.JinjaAst.For;
import dev.laocoon.core.internal.format.jinja.JinjaAst.GetAttr;
import dev.laocoon.core.internal.format.jinja.JinjaAst.If;
import dev.laocoon.core.internal.format.jinja.JinjaAst.ListLit;
import dev.laocoon.core.internal.format.jinja.JinjaAst.Load;
import dev.laocoon.core.internal.format.jinja.JinjaAst.LoopControl;
import dev.laocoon.core.internal.format.jinja.JinjaAst.Macro;
import dev.laocoon.core.internal.format.jinja.JinjaAst.Name;
import dev.laocoon.core.internal.format.jinja.JinjaAst.Output;
import dev.laocoon.core.internal.format.jinja.JinjaAst.Scoped;
import dev.laocoon.core.internal.format.jinja.JinjaAst.Set;
import dev.laocoon.core.internal.format.jinja.JinjaAst.SetBlock;
import dev.laocoon.core.internal.format.jinja.JinjaAst.Stmt;
import dev.laocoon.core.internal.format.jinja.JinjaAst.Text;
import dev.laocoon.core.internal.format.jinja.JinjaAst.With;
import dev.laocoon.core.internal.format.jinja.JinjaAnalyzer.Evaluated;
import dev.laocoon.core.internal.format.jinja.JinjaValue.Alt;
import dev.laocoon.core.internal.format.jinja.JinjaValue.Dict;
import dev.laocoon.core.internal.format.jinja.JinjaValue.Kind;
import dev.laocoon.core.internal.format.jinja.JinjaValue.MacroV;
import dev.laocoon.core.internal.format.jinja.JinjaValue.NsRef;
import dev.laocoon.core.internal.format.jinja.JinjaValue.Seq;
import dev.laocoon.core.internal.format.jinja.JinjaValue.Unknown;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The statements of a template for {@link JinjaAnalyzer}: output, {@code if} (every branch, states
 * joined), {@code for} (unrolled over known elements, otherwise iterated to a fixed point), {@code set}
 * and block {@code set}, {@code with}, {@code filter}, {@code call} blocks, macro definitions
 * (analysed once with unknown arguments) and macro calls, and the widening after a container is
 * changed in place. The analyzer's state ({@code st}) is shared through the back-reference.
 */
final class JinjaStatements {
    private final JinjaAnalyzer a;
    /** Macros analysed beyond the depth limit, by macro and the flags of their arguments. */
    private final java.util.Set<List<Object>> widened = new java.util.HashSet<>();
    private static final int MAX_WIDENED = 64;

    JinjaStatements(JinjaAnalyzer a) {
        this.a = a;
    }

    /** Runs statements; returns what they output. */
    JinjaValue exec(List<Stmt> body) {
        JinjaValue out = JinjaValue.EMPTY;
        for (Stmt s : body) {
            out = PyStr.concat(out, exec(s));
        }
        return out;
    }

    private JinjaValue exec(Stmt s) {
        a.step(s.offset());
        if (s instanceof Text t) {
            return JinjaValue.str(t.text());
        }
        if (s instanceof Output o) {
            return PyStr.toStr(a.eval(o.expr()));
        }
        if (s instanceof If i) {
            return execIf(i);
        }
        if (s instanceof For f) {
            return execFor(f);
        }
        if (s instanceof Set set) {
            assign(set.target(), a.eval(set.value()));
            return JinjaValue.EMPTY;
        }
        if (s instanceof SetBlock sb) {
            a.st.push();
            JinjaValue body = exec(sb.body());
            a.st.pop();
            assign(sb.target(), sb.filter() == null ? body : withHole(body, sb.filter()));
            return JinjaValue.EMPTY;
        }
        if (s instanceof Macro m) {
            a.st.scopes.get(a.st.scopes.size() - 1).put(m.name(), new MacroV(m));
            // Analysed once with unknown arguments, on a copy: uncalled macros are judged too.
            JinjaState saved = a.st;
            a.st = a.copy(a.st, m.offset());
            a.st.push();
            for (int k = 0; k < m.params().size(); k++) {
                Expr d = m.defaults().get(k);
                a.st.scopes.get(a.st.scopes.size() - 1).put(m.params().get(k), d == null ? JinjaValue.UNKNOWN : a.eval(d));
            }
            exec(m.body());
            a.st = saved;
            return JinjaValue.EMPTY;
        }
        if (s instanceof CallBlock cb) {
            JinjaState saved = a.st;
            a.st = a.copy(a.st, cb.offset());
            a.st.push();
            for (String p : cb.params()) {
                a.st.scopes.get(a.st.scopes.size() - 1).put(p, JinjaValue.UNKNOWN);
            }
            JinjaValue body = exec(cb.body());
            a.st = saved;
            // inside the called macro, caller(...) renders this body with its parameters bound to
            // the arguments (jinja2 passes the block as the macro's 'caller')
            a.st.push();
            a.st.scopes.get(a.st.scopes.size() - 1).put("caller",
                    new MacroV(new Macro(cb.offset(), "caller", cb.params(), cb.defaults(), cb.body())));
            JinjaValue called = a.eval(cb.call());
            a.st.pop();
            return JinjaValue.join(called, JinjaValue.opaque(Kind.STR, false, body));
        }
        if (s instanceof FilterBlock fb) {
            a.st.push();
            JinjaValue body = exec(fb.body());
            a.st.pop();
            return PyStr.toStr(withHole(body, fb.filter()));
        }
        if (s instanceof With w) {
            List<JinjaValue> values = new ArrayList<>();
            for (Expr e : w.values()) {
                values.add(a.eval(e));
            }
            a.st.push();
            for (int k = 0; k < values.size(); k++) {
                assign(w.targets().get(k), values.get(k));
            }
            JinjaValue out = exec(w.body());
            a.st.pop();
            return out;
        }
        if (s instanceof Scoped sc) {
            if (sc.argument() != null) {
                a.eval(sc.argument());
            }
            a.st.push();
            JinjaValue out = exec(sc.body());
            a.st.pop();
            return out;
        }
        if (s instanceof Do d) {
            a.eval(d.expr());
            return JinjaValue.EMPTY;
        }
        if (s instanceof Load l) {
            a.eval(l.template());
            a.report(true, "'" + l.tag() + "' loads another template", l.offset());
            return JinjaValue.UNKNOWN;
        }
        if (s instanceof LoopControl) {
            return JinjaValue.EMPTY;
        }
        throw new IllegalStateException(s.getClass().getSimpleName());
    }

    private JinjaValue withHole(JinjaValue v, Expr filter) {
        a.holes.add(v);
        try {
            return a.eval(filter);
        } finally {
            a.holes.remove(a.holes.size() - 1);
        }
    }

    private JinjaValue execIf(If i) {
        JinjaState before = a.st;
        JinjaState merged = null;
        List<JinjaValue> outs = new ArrayList<>();
        for (int k = 0; k <= i.tests().size(); k++) {
            a.st = a.copy(before, i.offset());
            if (k < i.tests().size()) {
                // the tests of earlier branches run before later branches
                for (int t = 0; t <= k; t++) {
                    a.eval(i.tests().get(t));
                }
                outs.add(exec(i.bodies().get(k)));
            } else {
                for (Expr t : i.tests()) {
                    a.eval(t);
                }
                outs.add(exec(i.orElse()));
            }
            if (merged == null) {
                merged = a.st;
            } else {
                a.join(merged, a.st, false, i.offset());
            }
        }
        a.st = merged;
        return JinjaValue.alt(outs);
    }

    private JinjaValue execFor(For f) {
        JinjaValue iter = a.eval(f.iter());
        List<JinjaValue> elems = a.elements(iter);
        boolean unroll = elems != null && elems.size() <= JinjaAnalyzer.MAX_UNROLL && f.filter() == null && !hasLoopControl(f.body());
        JinjaState before = a.copy(a.st, f.offset());
        a.st.push();
        JinjaValue out;
        if (unroll) {
            out = JinjaValue.EMPTY;
            for (JinjaValue e : elems) {
                bindLoop(f, e);
                out = PyStr.concat(out, exec(f.body()));
            }
        } else {
            JinjaValue elem = elems == null ? a.element(iter) : JinjaValue.alt(elems);
            List<JinjaValue> outs = new ArrayList<>();
            for (int round = 0; ; round++) {
                JinjaState start = a.copy(a.st, f.offset());
                bindLoop(f, elem);
                if (f.filter() != null) {
                    a.eval(f.filter());
                }
                outs.add(exec(f.body()));
                JinjaState end = a.st;
                a.st = start;
                boolean changed = a.join(a.st, end, round >= JinjaAnalyzer.FIXPOINT_ROUNDS - 1, f.offset());
                if (!changed || round >= JinjaAnalyzer.FIXPOINT_ROUNDS) {
                    break;
                }
            }
            out = JinjaValue.opaque(Kind.STR, false, outs.toArray(new JinjaValue[0]));
        }
        a.st.pop();
        if (!f.orElse().isEmpty() || !unroll || elems.isEmpty()) {
            // the loop may run zero times
            JinjaState looped = a.st;
            a.st = before;
            JinjaValue other = exec(f.orElse());
            a.join(a.st, looped, false, f.offset());
            out = JinjaValue.join(out, other);
        }
        return out;
    }

    private void bindLoop(For f, JinjaValue elem) {
        a.st.scopes.get(a.st.scopes.size() - 1).put("loop", JinjaValue.UNKNOWN);
        assign(f.target(), elem);
    }

    private static boolean hasLoopControl(List<Stmt> body) {
        for (Stmt s : body) {
            if (s instanceof LoopControl) {
                return true;
            }
            if (s instanceof If i) {
                for (List<Stmt> b : i.bodies()) {
                    if (hasLoopControl(b)) {
                        return true;
                    }
                }
                if (hasLoopControl(i.orElse())) {
                    return true;
                }
            } else if (s instanceof With w && hasLoopControl(w.body())
                    || s instanceof Scoped sc && hasLoopControl(sc.body())) {
                return true;
            }
        }
        return false;
    }

    private void assign(Expr target, JinjaValue v) {
        if (target instanceof Name n) {
            a.st.scopes.get(a.st.scopes.size() - 1).put(n.name(), v);
        } else if (target instanceof ListLit l) {
            List<JinjaValue> items = v instanceof Seq s && s.items().size() == l.items().size() ? s.items() : null;
            for (int k = 0; k < l.items().size(); k++) {
                assign(l.items().get(k), items != null ? items.get(k) : a.element(v));
            }
        } else if (target instanceof GetAttr g) {
            a.checkAttributeName(g.name(), g.offset());
            JinjaValue obj = a.eval(g.obj());
            a.reach(obj, g.offset(), "assigns an attribute of");
            for (JinjaValue o : JinjaValue.options(obj)) {
                if (o instanceof NsRef r) {
                    HashMap<String, JinjaValue> attrs = a.st.ns.computeIfAbsent(r.id(), k -> new HashMap<>());
                    JinjaValue old = attrs.get(g.name());
                    attrs.put(g.name(), obj instanceof Alt && old != null ? JinjaValue.join(old, v) : v);
                }
            }
        }
    }

    JinjaValue callMacro(Macro m, Evaluated args) {
        if (a.macroDepth >= JinjaAnalyzer.MAX_MACRO_DEPTH) {
            // too deep to follow exactly: the body is still analysed, once per macro and kind of
            // arguments, with every parameter an unknown carrying the arguments' flags (a name handed
            // down through many macros must not be lost)
            JinjaValue summary = JinjaValue.opaque(Kind.ANY, false, args.all());
            List<JinjaValue> params = new ArrayList<>();
            List<Object> key = new ArrayList<>(List.of(System.identityHashCode(m), m.offset()));
            boolean merged = widened.size() >= MAX_WIDENED; // past this, one summary for all parameters
            for (int k = 0; k < Math.max(m.params().size(), args.positional().size()); k++) {
                JinjaValue v = k < args.positional().size() ? args.positional().get(k)
                        : k < m.params().size() ? args.named().get(m.params().get(k)) : null;
                JinjaValue p = merged || v == null || args.star() != null || args.doubleStar() != null ? summary
                        : JinjaValue.opaque(Kind.ANY, false, v);
                params.add(p);
                key.add(JinjaValue.underscore(p));
                key.add(JinjaValue.computed(p));
            }
            if (widened.add(key)) {
                callMacro1(m, new Evaluated(List.copyOf(params), Map.of(), null, null));
            }
            return JinjaValue.opaque(Kind.STR, false, args.all());
        }
        // a macro called from a call block renders that block: its result depends on more than its arguments
        boolean pure = !sideEffects(m.body()) && !(a.st.lookup("caller") instanceof MacroV);
        List<Object> key = List.of(System.identityHashCode(m), m.offset(), args);
        if (pure) {
            JinjaValue known = a.macroResults.get(key);
            if (known != null) {
                return known;
            }
            JinjaValue r = callMacro1(m, args);
            a.macroResults.put(key, r);
            return r;
        }
        return callMacro1(m, args);
    }

    /** Whether statements may change state outside their own scope: namespace attributes, {@code do}, calls in tags. */
    private static boolean sideEffects(List<Stmt> body) {
        for (Stmt s : body) {
            if (s instanceof Set set && !(set.target() instanceof Name) || s instanceof Do
                    || s instanceof SetBlock sb && !(sb.target() instanceof Name)) {
                return true;
            }
            List<List<Stmt>> inner = new ArrayList<>();
            if (s instanceof If i) {
                inner.addAll(i.bodies());
                inner.add(i.orElse());
            } else if (s instanceof For f) {
                inner.add(f.body());
                inner.add(f.orElse());
            } else if (s instanceof With w) {
                inner.add(w.body());
            } else if (s instanceof Scoped sc) {
                inner.add(sc.body());
            } else if (s instanceof SetBlock sb) {
                inner.add(sb.body());
            } else if (s instanceof FilterBlock fb) {
                inner.add(fb.body());
            } else if (s instanceof CallBlock cb) {
                inner.add(cb.body());
            }
            for (List<Stmt> b : inner) {
                if (sideEffects(b)) {
                    return true;
                }
            }
        }
        return false;
    }

    private JinjaValue callMacro1(Macro m, Evaluated args) {
        a.macroDepth++;
        a.st.push();
        try {
            Map<String, JinjaValue> scope = a.st.scopes.get(a.st.scopes.size() - 1);
            for (int k = 0; k < m.params().size(); k++) {
                String p = m.params().get(k);
                JinjaValue v = k < args.positional().size() ? args.positional().get(k) : args.named().get(p);
                if (v == null) {
                    Expr d = m.defaults().get(k);
                    v = d == null ? JinjaValue.UNKNOWN : a.eval(d);
                }
                if (args.star() != null || args.doubleStar() != null) {
                    v = JinjaValue.join(v, JinjaValue.opaque(Kind.ANY, false, args.star(), args.doubleStar()));
                }
                scope.put(p, v);
            }
            List<JinjaValue> extra = args.positional().size() > m.params().size()
                    ? args.positional().subList(m.params().size(), args.positional().size()) : List.of();
            scope.put("varargs", new Seq(List.copyOf(extra), true));
            scope.put("kwargs", JinjaValue.opaque(Kind.ANY, false, args.all()));
            return exec(m.body());
        } finally {
            a.st.pop();
            a.macroDepth--;
        }
    }

    /**
     * A container was changed in place ({@code x.append(...)}; sandboxed renderers refuse this,
     * others allow it): the named receiver gets the new content where it can be computed; every
     * other container variable, which may be an alias, is widened with the arguments' flags.
     */
    void mutated(Call c, Evaluated args) {
        JinjaValue argsSummary = JinjaValue.opaque(Kind.ANY, false, args.all());
        String receiverName = c.callee() instanceof GetAttr g && g.obj() instanceof Name n ? n.name() : null;
        String method = c.callee() instanceof GetAttr g ? g.name() : "";
        for (HashMap<String, JinjaValue> scope : a.st.scopes) {
            for (Map.Entry<String, JinjaValue> e : scope.entrySet()) {
                e.setValue(widenContainer(e.getValue(), argsSummary));
            }
        }
        for (HashMap<String, JinjaValue> attrs : a.st.ns.values()) {
            for (Map.Entry<String, JinjaValue> e : attrs.entrySet()) {
                e.setValue(widenContainer(e.getValue(), argsSummary));
            }
        }
        if (receiverName != null && a.st.lookup(receiverName) instanceof Unknown && method.equals("append")
                && args.positional().size() == 1) {
            // keep what is known best: the appended value itself is part of the container now
            a.st.scopes.get(a.st.scopes.size() - 1).put(receiverName, JinjaValue.join(a.st.lookup(receiverName),
                    new Seq(List.of(args.positional().get(0)), false)));
        }
    }

    private static JinjaValue widenContainer(JinjaValue v, JinjaValue with) {
        boolean container = false;
        for (JinjaValue o : JinjaValue.options(v)) {
            container |= o instanceof Seq || o instanceof Dict;
        }
        if (!container) {
            return v;
        }
        return new Unknown(Kind.ANY, "", JinjaValue.underscore(v) || JinjaValue.underscore(with),
                JinjaValue.computed(v) || JinjaValue.computed(with));
    }
}
