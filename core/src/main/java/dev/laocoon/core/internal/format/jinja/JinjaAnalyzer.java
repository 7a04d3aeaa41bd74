package dev.laocoon.core.internal.format.jinja;

import dev.laocoon.core.internal.format.jinja.JinjaAst.Args;
import dev.laocoon.core.internal.format.jinja.JinjaAst.Binary;
import dev.laocoon.core.internal.format.jinja.JinjaAst.Call;
import dev.laocoon.core.internal.format.jinja.JinjaAst.Compare;
import dev.laocoon.core.internal.format.jinja.JinjaAst.CondExpr;
import dev.laocoon.core.internal.format.jinja.JinjaAst.Const;
import dev.laocoon.core.internal.format.jinja.JinjaAst.DictLit;
import dev.laocoon.core.internal.format.jinja.JinjaAst.Expr;
import dev.laocoon.core.internal.format.jinja.JinjaAst.Filter;
import dev.laocoon.core.internal.format.jinja.JinjaAst.GetAttr;
import dev.laocoon.core.internal.format.jinja.JinjaAst.GetItem;
import dev.laocoon.core.internal.format.jinja.JinjaAst.Hole;
import dev.laocoon.core.internal.format.jinja.JinjaAst.ListLit;
import dev.laocoon.core.internal.format.jinja.JinjaAst.Name;
import dev.laocoon.core.internal.format.jinja.JinjaAst.Set;
import dev.laocoon.core.internal.format.jinja.JinjaAst.Slice;
import dev.laocoon.core.internal.format.jinja.JinjaAst.Stmt;
import dev.laocoon.core.internal.format.jinja.JinjaAst.Test;
import dev.laocoon.core.internal.format.jinja.JinjaAst.Unary;
import dev.laocoon.core.internal.format.jinja.JinjaValue.Alt;
import dev.laocoon.core.internal.format.jinja.JinjaValue.Builtin;
import dev.laocoon.core.internal.format.jinja.JinjaValue.Dict;
import dev.laocoon.core.internal.format.jinja.JinjaValue.Gadget;
import dev.laocoon.core.internal.format.jinja.JinjaValue.Kind;
import dev.laocoon.core.internal.format.jinja.JinjaValue.MacroV;
import dev.laocoon.core.internal.format.jinja.JinjaValue.Method;
import dev.laocoon.core.internal.format.jinja.JinjaValue.NsRef;
import dev.laocoon.core.internal.format.jinja.JinjaValue.Num;
import dev.laocoon.core.internal.format.jinja.JinjaValue.Seq;
import dev.laocoon.core.internal.format.jinja.JinjaValue.Str;
import dev.laocoon.core.internal.format.jinja.JinjaValue.Unknown;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Abstract interpretation of a parsed template: variables, loop elements, namespace attributes,
 * macro results and block outputs are folded to constants where the template computes them from
 * constants ({@code ~ + * %}, {@code format}, {@code join}, {@code replace}, slicing, character
 * picking, ...), so an attribute name assembled at render time is judged like a literal one.
 * Every branch is analysed (dead code too: a payload behind {@code {% if false %}} is still a
 * payload), loops over constant lists are unrolled, other loops iterate to a fixed point and are
 * then widened. The work is bounded by a step budget. Python {@code str} semantics (formatting,
 * slicing, {@code str()} of constants) are in {@link PyStr}, filters and methods in
 * {@link JinjaFilters}, statements and macro calls in {@link JinjaStatements}, arithmetic in
 * {@link JinjaArith}; this class holds the state, the expressions and the rules.
 */
public final class JinjaAnalyzer {
    /** Template globals that lead to Python internals when reached into. */
    public static final java.util.Set<String> GADGETS =
            java.util.Set.copyOf(dev.laocoon.core.internal.format.Tables.lines("jinja-gadgets.txt"));
    /**
     * Attribute names without a leading underscore that lead to Python internals: those Jinja's
     * sandbox refuses (function, method, generator, coroutine attributes and {@code mro}) and the
     * frame, traceback and code attributes they lead on to. A generator's {@code gi_frame.f_globals}
     * reaches a module's globals and from there {@code os}.
     */
    public static final java.util.Set<String> INTERNAL_ATTRIBUTES =
            java.util.Set.copyOf(dev.laocoon.core.internal.format.Tables.lines("jinja-internal-attributes.txt"));
    /** Python builtins that are no template global (code, computed attributes, files, imports). */
    static final java.util.Set<String> PYTHON_BUILTINS =
            java.util.Set.copyOf(dev.laocoon.core.internal.format.Tables.lines("jinja-python-builtins.txt"));
    private static final int MAX_STEPS = 300_000;
    static final int MAX_UNROLL = 32;
    static final int MAX_MACRO_DEPTH = 4;
    static final int FIXPOINT_ROUNDS = 3;

    /** A problem: malicious or suspicious, what, and the character offset in the template. */
    public record Problem(boolean malicious, String message, int offset) {
    }

    private final Map<String, Problem> problems = new LinkedHashMap<>();
    private final JinjaFilters filters = new JinjaFilters(this);
    final JinjaStatements stmts = new JinjaStatements(this);
    JinjaState st = new JinjaState();
    private int steps;
    private boolean outOfBudget;
    int macroDepth;
    private int nsCounter;
    final List<JinjaValue> holes = new ArrayList<>();
    /** Results of macro calls without side effects, by macro and arguments (their problems are already reported). */
    final Map<List<Object>, JinjaValue> macroResults = new HashMap<>();

    private JinjaAnalyzer() {
    }

    public static List<Problem> analyze(List<Stmt> template) {
        JinjaAnalyzer a = new JinjaAnalyzer();
        try {
            a.stmts.exec(template);
        } catch (OutOfBudget e) {
            a.report(false, "template too complex to analyse completely (step budget exhausted)",
                    e.offset);
        }
        return new ArrayList<>(a.problems.values());
    }

    private static final class OutOfBudget extends RuntimeException {
        final int offset;

        OutOfBudget(int offset) {
            super(null, null, false, false);
            this.offset = offset;
        }
    }

    void step(int offset) {
        if (++steps > MAX_STEPS) {
            outOfBudget = true;
            throw new OutOfBudget(offset);
        }
    }

    /**
     * Copying or joining a state costs a step per variable it holds: with thousands of variables
     * and nested loops, the copies alone would otherwise take minutes within the step budget.
     */
    JinjaState copy(JinjaState s, int offset) {
        charge(s.size(), offset);
        return s.copy();
    }

    boolean join(JinjaState into, JinjaState from, boolean widen, int offset) {
        charge(into.size() + from.size(), offset);
        return into.joinFrom(from, widen);
    }

    private void charge(long n, int offset) {
        steps += n;
        if (steps > MAX_STEPS) {
            outOfBudget = true;
            throw new OutOfBudget(offset);
        }
    }

    void report(boolean malicious, String message, int offset) {
        problems.putIfAbsent(offset + "\n" + message, new Problem(malicious, message, offset));
    }


    /** Known elements of an iterable, or null. */
    static List<JinjaValue> elements(JinjaValue v) {
        if (v instanceof Seq s) {
            return s.items();
        }
        if (v instanceof Str s) {
            // every character, or none: a loop over only the first characters would miss the rest
            if (PyStr.length(s.s()) > 4 * MAX_UNROLL) {
                return null;
            }
            List<JinjaValue> out = new ArrayList<>();
            s.s().codePoints().forEach(c -> out.add(new Str(new String(Character.toChars(c)))));
            return out;
        }
        if (v instanceof Dict d) {
            List<JinjaValue> out = new ArrayList<>();
            for (String k : d.map().keySet()) {
                out.add(new Str(k));
            }
            return out;
        }
        if (v instanceof Alt a) {
            List<JinjaValue> out = new ArrayList<>();
            for (JinjaValue o : a.options()) {
                List<JinjaValue> e = elements(o);
                if (e == null) {
                    return null;
                }
                out.add(JinjaValue.alt(e));
            }
            return List.of(JinjaValue.alt(out));
        }
        return null;
    }

    /** A summary of any element of an iterable the analysis cannot enumerate. */
    static JinjaValue element(JinjaValue v) {
        if (v instanceof Unknown u) {
            // characters of an unknown string are cut out of it
            return new Unknown(Kind.ANY, "", u.underscore() || u.prefix().indexOf('_') >= 0,
                    u.computed() || u.kind() == Kind.STR);
        }
        return JinjaValue.opaque(Kind.ANY, false, v);
    }

    // ------------------------------------------------------------------ rules

    /** A private or dunder name, or one of {@link #INTERNAL_ATTRIBUTES}. */
    public static boolean internal(String name) {
        return name.startsWith("_") || INTERNAL_ATTRIBUTES.contains(name);
    }

    void checkAttributeName(String name, int offset) {
        if (internal(name)) {
            report(true, "reads the attribute '" + name + "'", offset);
        }
    }

    /** Judges a value used as an attribute name ({@code how}: by subscript, through attr, ...). */
    void checkName(JinjaValue key, int offset, String how, boolean unknownIsSuspicious) {
        for (JinjaValue k : JinjaValue.options(key)) {
            if (k instanceof Str s) {
                String name = s.s();
                if (internal(name)) {
                    report(true, "reads the attribute '" + name + "' " + how, offset);
                } else if (name.indexOf('\ufffd') >= 0) {
                    report(false, "reads an attribute " + how + " whose name has an escape the analysis cannot decode",
                            offset);
                } else if (internal(name.strip())) {
                    report(false, "reads the attribute '" + name.strip() + "' " + how
                            + " if the renderer trims whitespace", offset);
                }
            } else if (k instanceof Unknown u) {
                if (u.kind() == Kind.NUM || u.kind() == Kind.SEQ) {
                    continue;
                }
                if (u.prefix().startsWith("_")) {
                    report(true, "reads an attribute " + how + " whose name starts with '" + u.prefix()
                            + "' (assembled at render time)", offset);
                } else if (!u.prefix().isEmpty()) {
                    continue;
                } else if (u.underscore()) {
                    report(false, "reads an attribute " + how + " whose name is assembled at render time from pieces"
                            + " containing '_'", offset);
                } else if (u.computed()) {
                    report(false, "reads an attribute " + how + " whose name is cut out of other values' characters",
                            offset);
                } else if (unknownIsSuspicious) {
                    report(false, "reads an attribute " + how + " whose name cannot be determined", offset);
                }
            } else if (k instanceof Method || k instanceof MacroV || k instanceof Gadget || k instanceof NsRef) {
                if (unknownIsSuspicious) {
                    report(false, "reads an attribute " + how + " named by a non-string value", offset);
                }
            }
        }
    }

    /** A dotted attribute path as filters take it ({@code map(attribute='a.b')}). */
    void checkAttributePath(JinjaValue path, int offset, String how) {
        for (JinjaValue k : JinjaValue.options(path)) {
            if (k instanceof Str s) {
                // sort(attribute='a,b') sorts by several attributes (Jinja 3.1)
                for (String part : s.s().split("[.,]", -1)) {
                    checkName(new Str(part), offset, how, false);
                }
            } else {
                checkName(k, offset, how, true);
            }
        }
    }

    void reach(JinjaValue obj, int offset, String how) {
        for (JinjaValue o : JinjaValue.options(obj)) {
            if (o instanceof Gadget g) {
                report(true, how + " the template global '" + g.name() + "' (a known sandbox-escape gadget)", offset);
            }
        }
    }

    // ------------------------------------------------------------------ expressions

    JinjaValue eval(Expr e) {
        step(e.offset());
        if (e instanceof Const c) {
            return constant(c.value());
        }
        if (e instanceof Name n) {
            if (st.lookup(n.name()) == null && (n.name().startsWith("__") || PYTHON_BUILTINS.contains(n.name()))) {
                report(true, "refers to '" + n.name() + "', a Python builtin that is no template global", n.offset());
            }
            return name(n.name());
        }
        if (e instanceof Hole) {
            return holes.isEmpty() ? JinjaValue.UNKNOWN : holes.get(holes.size() - 1);
        }
        if (e instanceof ListLit l) {
            List<JinjaValue> items = new ArrayList<>();
            for (Expr x : l.items()) {
                items.add(eval(x));
            }
            return new Seq(List.copyOf(items), l.tuple());
        }
        if (e instanceof DictLit d) {
            Map<String, JinjaValue> m = new LinkedHashMap<>();
            boolean known = true;
            List<JinjaValue> all = new ArrayList<>();
            for (int k = 0; k < d.keys().size(); k++) {
                JinjaValue key = eval(d.keys().get(k));
                JinjaValue val = eval(d.values().get(k));
                all.add(key);
                all.add(val);
                if (key instanceof Str s) {
                    m.put(s.s(), val);
                } else {
                    known = false;
                }
            }
            return known ? new Dict(m) : JinjaValue.opaque(Kind.ANY, false, all.toArray(new JinjaValue[0]));
        }
        if (e instanceof Unary u) {
            JinjaValue v = eval(u.operand());
            if (u.op().equals("-") && v instanceof Num n && n.n() instanceof BigInteger b) {
                return new Num(b.negate());
            }
            if (u.op().equals("+") && v instanceof Num) {
                return v;
            }
            return JinjaValue.UNKNOWN_NUM;
        }
        if (e instanceof Binary b) {
            return binary(b);
        }
        if (e instanceof Compare c) {
            eval(c.first());
            for (Expr x : c.operands()) {
                eval(x);
            }
            return JinjaValue.UNKNOWN_NUM;
        }
        if (e instanceof CondExpr c) {
            eval(c.test());
            JinjaValue then = eval(c.then());
            return JinjaValue.join(then, c.orElse() == null ? JinjaValue.EMPTY : eval(c.orElse()));
        }
        if (e instanceof GetAttr g) {
            JinjaValue obj = eval(g.obj());
            checkAttributeName(g.name(), g.offset());
            reach(obj, start(g.obj()), "reaches into");
            return attribute(obj, g.name());
        }
        if (e instanceof GetItem g) {
            JinjaValue obj = eval(g.obj());
            if (g.key() instanceof Slice sl) {
                return slice(obj, sl);
            }
            JinjaValue key = eval(g.key());
            reach(obj, start(g.obj()), "reaches into");
            checkName(key, start(g.key()), "by subscript", false);
            return item(obj, key);
        }
        if (e instanceof Slice sl) {
            return slice(JinjaValue.UNKNOWN, sl);
        }
        if (e instanceof Call c) {
            return call(c);
        }
        if (e instanceof Filter f) {
            return filter(f);
        }
        if (e instanceof Test t) {
            eval(t.value());
            evalArgs(t.args());
            return JinjaValue.UNKNOWN_NUM;
        }
        throw new IllegalStateException(e.getClass().getSimpleName());
    }

    /** Where an expression starts in the source (operators and postfix nodes point at their operator). */
    static int start(Expr e) {
        for (int guard = 0; guard < 10_000; guard++) {
            Expr next = e instanceof Binary b ? b.left() : e instanceof Filter f && f.value() != null ? f.value()
                    : e instanceof GetAttr g ? g.obj() : e instanceof GetItem g ? g.obj() : e instanceof Call c ? c.callee()
                    : e instanceof CondExpr c ? c.then() : e instanceof Compare c ? c.first()
                    : e instanceof Test t ? t.value() : null;
            if (next == null || next.offset() > e.offset()) {
                return e.offset();
            }
            e = next;
        }
        return e.offset();
    }

    private static JinjaValue constant(Object v) {
        if (v == null) {
            return JinjaValue.NONE;
        }
        if (v instanceof String s) {
            return JinjaValue.str(s);
        }
        return new Num(v);
    }

    private JinjaValue name(String n) {
        JinjaValue v = st.lookup(n);
        if (v != null) {
            return v;
        }
        if (GADGETS.contains(n)) {
            return new Gadget(n);
        }
        if (n.equals("range") || n.equals("dict")) {
            return new Builtin(n);
        }
        return JinjaValue.UNKNOWN;
    }

    private JinjaValue binary(Binary b) {
        JinjaValue l = eval(b.left());
        JinjaValue r = eval(b.right());
        switch (b.op()) {
            case "and", "or" -> {
                return JinjaValue.join(l, r);
            }
            case "~" -> {
                return PyStr.concat(PyStr.toStr(l), PyStr.toStr(r));
            }
            default -> {
            }
        }
        if (JinjaValue.options(l).size() * JinjaValue.options(r).size() > JinjaValue.MAX_ALT) {
            return JinjaValue.widen(List.of(JinjaValue.opaque(Kind.ANY, false, l, r)));
        }
        List<JinjaValue> outs = new ArrayList<>();
        for (JinjaValue x : JinjaValue.options(l)) {
            for (JinjaValue y : JinjaValue.options(r)) {
                outs.add(JinjaArith.arith(b.op(), x, y));
            }
        }
        return JinjaValue.alt(outs);
    }

    // ------------------------------------------------------------------ access

    JinjaValue attribute(JinjaValue obj, String name) {
        if (obj instanceof Alt a) {
            List<JinjaValue> outs = new ArrayList<>();
            for (JinjaValue o : a.options()) {
                outs.add(attribute(o, name));
            }
            return JinjaValue.alt(outs);
        }
        if (obj instanceof NsRef r) {
            JinjaValue v = st.ns.getOrDefault(r.id(), new HashMap<>()).get(name);
            return v == null ? JinjaValue.UNKNOWN : v;
        }
        if (obj instanceof Dict d) {
            JinjaValue v = d.map().get(name);
            if (v != null) {
                return v;
            }
            return new Method(obj, name);
        }
        if (obj instanceof Str || obj instanceof Seq) {
            return new Method(obj, name);
        }
        if (obj instanceof Unknown u) {
            return new Unknown(Kind.ANY, "", u.underscore(), u.computed());
        }
        return JinjaValue.UNKNOWN;
    }

    private JinjaValue item(JinjaValue obj, JinjaValue key) {
        if (obj instanceof Alt || key instanceof Alt) {
            List<JinjaValue> outs = new ArrayList<>();
            for (JinjaValue o : JinjaValue.options(obj)) {
                for (JinjaValue k : JinjaValue.options(key)) {
                    outs.add(item(o, k));
                }
            }
            return JinjaValue.alt(outs);
        }
        BigInteger idx = key instanceof Num n && n.n() instanceof BigInteger b ? b : null;
        if (idx != null && (obj instanceof Str || obj instanceof Seq)) {
            // Python indexes a str by code point, not by UTF-16 unit
            int size = obj instanceof Str s ? PyStr.length(s.s()) : ((Seq) obj).items().size();
            long i = idx.signum() < 0 ? idx.longValue() + size : idx.min(BigInteger.valueOf(size)).longValue();
            if (idx.bitLength() < 32 && i >= 0 && i < size) {
                return obj instanceof Str s ? new Str(PyStr.at(s.s(), (int) i)) : ((Seq) obj).items().get((int) i);
            }
            return JinjaValue.UNKNOWN;
        }
        if (obj instanceof Unknown u) {
            if (idx != null && idx.signum() >= 0 && idx.compareTo(BigInteger.valueOf(PyStr.length(u.prefix()))) < 0) {
                return new Str(PyStr.at(u.prefix(), idx.intValue()));
            }
            boolean chars = u.kind() == Kind.STR || !u.prefix().isEmpty();
            return new Unknown(Kind.ANY, "", u.underscore() || u.prefix().indexOf('_') >= 0, u.computed() || chars);
        }
        if (obj instanceof Str s) {
            return new Unknown(Kind.STR, "", s.s().indexOf('_') >= 0, true);
        }
        if (key instanceof Str k) {
            if (obj instanceof Dict d) {
                JinjaValue v = d.map().get(k.s());
                return v == null ? JinjaValue.UNKNOWN : v;
            }
            if (obj instanceof NsRef) {
                return attribute(obj, k.s());
            }
        }
        return JinjaValue.opaque(Kind.ANY, false, obj);
    }

    private JinjaValue slice(JinjaValue obj, Slice sl) {
        JinjaValue a = sl.start() == null ? JinjaValue.NONE : eval(sl.start());
        JinjaValue b = sl.stop() == null ? JinjaValue.NONE : eval(sl.stop());
        JinjaValue c = sl.step() == null ? JinjaValue.NONE : eval(sl.step());
        List<JinjaValue> outs = new ArrayList<>();
        for (JinjaValue o : JinjaValue.options(obj)) {
            outs.add(PyStr.slice(o, a, b, c));
        }
        return JinjaValue.alt(outs);
    }

    // ------------------------------------------------------------------ calls

    /** Evaluated arguments of a call or filter; {@code *} and {@code **} arguments are spread when known. */
    record Evaluated(List<JinjaValue> positional, Map<String, JinjaValue> named, JinjaValue star,
            JinjaValue doubleStar) {

        JinjaValue arg(int i, String name) {
            JinjaValue v = named.get(name);
            if (v != null) {
                return v;
            }
            return i >= 0 && i < positional.size() ? positional.get(i) : null;
        }

        JinjaValue[] all() {
            List<JinjaValue> a = new ArrayList<>(positional);
            a.addAll(named.values());
            if (star != null) {
                a.add(star);
            }
            if (doubleStar != null) {
                a.add(doubleStar);
            }
            return a.toArray(new JinjaValue[0]);
        }
    }

    private Evaluated evalArgs(Args a) {
        List<JinjaValue> pos = new ArrayList<>();
        for (Expr e : a.positional()) {
            pos.add(eval(e));
        }
        Map<String, JinjaValue> named = new LinkedHashMap<>();
        for (int i = 0; i < a.keywordNames().size(); i++) {
            named.put(a.keywordNames().get(i), eval(a.keywordValues().get(i)));
        }
        JinjaValue star = a.star() == null ? null : eval(a.star());
        JinjaValue dstar = a.doubleStar() == null ? null : eval(a.doubleStar());
        if (star instanceof Seq s) {
            pos.addAll(s.items());
            star = null;
        }
        if (dstar instanceof Dict d) {
            named.putAll(d.map());
            dstar = null;
        }
        return new Evaluated(pos, named, star, dstar);
    }

    private JinjaValue call(Call c) {
        JinjaValue callee = eval(c.callee());
        Evaluated args = evalArgs(c.args());
        List<JinjaValue> outs = new ArrayList<>();
        for (JinjaValue f : JinjaValue.options(callee)) {
            outs.add(call1(c, f, args));
        }
        return JinjaValue.alt(outs);
    }

    private JinjaValue call1(Call c, JinjaValue f, Evaluated args) {
        if (f instanceof Gadget g) {
            if (g.name().equals("namespace")) {
                int id = ++nsCounter;
                HashMap<String, JinjaValue> attrs = new HashMap<>();
                for (JinjaValue p : args.positional()) {
                    if (p instanceof Dict d) {
                        attrs.putAll(d.map());
                    }
                }
                attrs.putAll(args.named());
                st.ns.put(id, attrs);
                return new NsRef(id);
            }
            // cycler(...).current/.next() and joiner(sep)() give back the values they were made from
            return g.name().equals("lipsum") ? new Unknown(Kind.STR, "", false, false)
                    : JinjaValue.opaque(Kind.ANY, false, args.all());
        }
        if (f instanceof Builtin b) {
            if (b.name().equals("dict")) {
                Map<String, JinjaValue> m = new LinkedHashMap<>();
                for (JinjaValue p : args.positional()) {
                    if (p instanceof Dict d) {
                        m.putAll(d.map());
                    } else {
                        return JinjaValue.opaque(Kind.ANY, false, args.all());
                    }
                }
                m.putAll(args.named());
                return new Dict(m);
            }
            return JinjaFilters.range(args);
        }
        if (f instanceof MacroV m) {
            return stmts.callMacro(m.macro(), args);
        }
        if (f instanceof Method m) {
            return filters.method(c, m, args);
        }
        JinjaValue[] all = args.all();
        JinjaValue[] withCallee = java.util.Arrays.copyOf(all, all.length + 1);
        withCallee[all.length] = f;
        return JinjaValue.opaque(Kind.ANY, false, withCallee);
    }

    private JinjaValue filter(Filter f) {
        JinjaValue value = eval(f.value());
        Evaluated args = evalArgs(f.args());
        return filters.applyFilter(f.name(), value, args, f.offset(), f.args().positional().isEmpty() ? f.offset()
                : start(f.args().positional().get(0)));
    }
}
