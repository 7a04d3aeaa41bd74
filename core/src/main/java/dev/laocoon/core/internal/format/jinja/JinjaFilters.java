package dev.laocoon.core.internal.format.jinja;

import dev.laocoon.core.internal.format.jinja.JinjaAnalyzer.Evaluated;
import dev.laocoon.core.internal.format.jinja.JinjaAst.Call;
import dev.laocoon.core.internal.format.jinja.JinjaValue.Alt;
import dev.laocoon.core.internal.format.jinja.JinjaValue.Dict;
import dev.laocoon.core.internal.format.jinja.JinjaValue.Gadget;
import dev.laocoon.core.internal.format.jinja.JinjaValue.Kind;
import dev.laocoon.core.internal.format.jinja.JinjaValue.Method;
import dev.laocoon.core.internal.format.jinja.JinjaValue.NoneV;
import dev.laocoon.core.internal.format.jinja.JinjaValue.NsRef;
import dev.laocoon.core.internal.format.jinja.JinjaValue.Num;
import dev.laocoon.core.internal.format.jinja.JinjaValue.Seq;
import dev.laocoon.core.internal.format.jinja.JinjaValue.Str;
import dev.laocoon.core.internal.format.jinja.JinjaValue.Unknown;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;

/**
 * Filters, methods of constant {@code str} and {@code dict} values, and the {@code range} global, for
 * {@link JinjaAnalyzer}: results are folded where the inputs are known, and the attribute names that
 * filters and {@code str.format} fields read are judged by the analyzer's rules.
 */
final class JinjaFilters {
    private static final java.util.Set<String> MUTATORS = java.util.Set.of("append", "extend", "insert", "pop",
            "remove", "clear", "update", "setdefault", "popitem", "add", "discard", "sort", "reverse");

    private final JinjaAnalyzer analyzer;

    JinjaFilters(JinjaAnalyzer analyzer) {
        this.analyzer = analyzer;
    }

    JinjaValue applyFilter(String name, JinjaValue value, Evaluated args, int offset, int argOffset) {
        // attribute-reading filters first: they are judged whatever the value is
        switch (name) {
            case "attr" -> {
                analyzer.reach(value, offset, "reaches through the attr filter into");
                JinjaValue key = args.arg(0, "name");
                if (key != null) {
                    analyzer.checkName(key, argOffset, "through the attr filter", true);
                }
                if (value instanceof NsRef && key instanceof Str k) {
                    return analyzer.attribute(value, k.s());
                }
                return JinjaValue.opaque(Kind.ANY, false, value);
            }
            case "map" -> {
                JinjaValue attribute = args.named().get("attribute");
                if (attribute != null) {
                    analyzer.checkAttributePath(attribute, argOffset, "through map(attribute=...)");
                    reachElements(value, offset);
                    return new Unknown(Kind.SEQ, "", JinjaValue.underscore(value), JinjaValue.computed(value));
                }
                JinjaValue filterName = args.arg(0, "");
                if (filterName == null) {
                    return new Unknown(Kind.SEQ, "", false, false);
                }
                List<JinjaValue> rest = args.positional().subList(1, args.positional().size());
                Map<String, JinjaValue> named = args.named();
                Evaluated inner = new Evaluated(rest, named, args.star(), args.doubleStar());
                if (!(filterName instanceof Str fn)) {
                    analyzer.report(false, "map applies a filter whose name cannot be determined", argOffset);
                    return JinjaValue.opaque(Kind.SEQ, false, value);
                }
                if (fn.s().equals("attr")) {
                    reachElements(value, offset);
                }
                if (value instanceof Seq s && s.items().size() <= JinjaAnalyzer.MAX_UNROLL) {
                    List<JinjaValue> out = new ArrayList<>();
                    for (JinjaValue item : s.items()) {
                        out.add(applyFilter(fn.s(), item, inner, offset, argOffset));
                    }
                    return new Seq(List.copyOf(out), false);
                }
                JinjaValue one = applyFilter(fn.s(), JinjaAnalyzer.element(value), inner, offset, argOffset);
                return JinjaValue.opaque(Kind.SEQ, false, one);
            }
            case "selectattr", "rejectattr", "groupby", "sort", "sum", "unique", "min", "max", "join" -> {
                int pos = switch (name) {
                    case "selectattr", "rejectattr", "groupby", "sum" -> 0;
                    case "unique", "min", "max", "join" -> 1;
                    default -> 2;
                };
                JinjaValue attribute = name.endsWith("attr") ? args.arg(0, "attr") : args.arg(pos, "attribute");
                if (attribute != null && !(attribute instanceof NoneV)) {
                    analyzer.checkAttributePath(attribute, argOffset, "through " + name + "()");
                    reachElements(value, offset);
                    if (!name.equals("join")) {
                        return new Unknown(Kind.ANY, "", JinjaValue.underscore(value), JinjaValue.computed(value));
                    }
                    return new Unknown(Kind.STR, "", JinjaValue.underscore(value), JinjaValue.computed(value));
                }
                if (name.equals("join")) {
                    JinjaValue sep = args.arg(0, "d");
                    return sep == null || sep instanceof Str ? join(value, sep == null ? "" : ((Str) sep).s())
                            : JinjaValue.opaque(Kind.STR, true, value, sep);
                }
                if (name.equals("sort") && value instanceof Seq s && s.items().stream().allMatch(x -> x instanceof Str)) {
                    List<String> strs = new ArrayList<>();
                    for (JinjaValue x : s.items()) {
                        strs.add(((Str) x).s());
                    }
                    Collections.sort(strs);
                    JinjaValue rev = args.arg(0, "reverse");
                    if (rev != null && !(rev instanceof Num n && Boolean.FALSE.equals(n.n()))) {
                        Collections.reverse(strs);
                    }
                    List<JinjaValue> out = new ArrayList<>();
                    for (String x : strs) {
                        out.add(new Str(x));
                    }
                    return rev == null || rev instanceof Num ? new Seq(List.copyOf(out), false)
                            : JinjaValue.alt(List.of(new Seq(List.copyOf(out), false), value));
                }
                if (name.equals("min") || name.equals("max")) {
                    return value instanceof Seq s ? JinjaValue.alt(s.items()) : JinjaAnalyzer.element(value);
                }
                return JinjaValue.opaque(name.equals("sum") ? Kind.NUM : Kind.ANY, false, value);
            }
            default -> {
            }
        }
        if (value instanceof Alt a && a.options().size() <= 8 && !name.equals("default") && !name.equals("d")) {
            List<JinjaValue> outs = new ArrayList<>();
            for (JinjaValue o : a.options()) {
                outs.add(applyFilter(name, o, args, offset, argOffset));
            }
            return JinjaValue.alt(outs);
        }
        return simpleFilter(name, value, args, argOffset);
    }

    /** Filters on one value that cannot read attributes. */
    private JinjaValue simpleFilter(String name, JinjaValue value, Evaluated args, int argOffset) {
        JinjaValue a0 = args.arg(0, "");
        switch (name) {
            case "string":
                return PyStr.toStr(value);
            case "list":
                return filterList(value);
            case "first", "last":
                if (value instanceof Seq s) {
                    return s.items().isEmpty() ? JinjaValue.UNKNOWN
                            : s.items().get(name.equals("first") ? 0 : s.items().size() - 1);
                }
                if (value instanceof Str s) {
                    return s.s().isEmpty() ? JinjaValue.UNKNOWN
                            : new Str(PyStr.at(s.s(), name.equals("first") ? 0 : PyStr.length(s.s()) - 1));
                }
                if (value instanceof Dict d) {
                    return filterList(d) instanceof Seq ks ? simpleFilter(name, ks, args, argOffset) : JinjaValue.UNKNOWN;
                }
                if (value instanceof Unknown u && name.equals("first") && !u.prefix().isEmpty()) {
                    return new Str(PyStr.at(u.prefix(), 0));
                }
                return JinjaAnalyzer.element(value);
            case "random":
                return value instanceof Seq s ? JinjaValue.alt(s.items()) : JinjaAnalyzer.element(value);
            case "reverse":
                if (value instanceof Str s) {
                    return new Str(new StringBuilder(s.s()).reverse().toString());
                }
                if (value instanceof Seq s) {
                    List<JinjaValue> r = new ArrayList<>(s.items());
                    Collections.reverse(r);
                    return new Seq(List.copyOf(r), false);
                }
                return JinjaValue.opaque(value instanceof Unknown u ? u.kind() : Kind.ANY, true, value);
            case "lower", "upper":
                if (value instanceof Str s) {
                    return new Str(name.equals("lower") ? s.s().toLowerCase(java.util.Locale.ROOT)
                            : s.s().toUpperCase(java.util.Locale.ROOT));
                }
                return JinjaValue.opaque(Kind.STR, false, value);
            case "trim":
                if (value instanceof Str s && (a0 == null || a0 instanceof NoneV)) {
                    return new Str(PyStr.strip(s.s(), true, true));
                }
                if (value instanceof Str s && a0 instanceof Str chars) {
                    return new Str(PyStr.stripChars(s.s(), chars.s(), true, true));
                }
                return JinjaValue.opaque(Kind.STR, false, value, a0);
            case "replace":
                JinjaValue a1 = args.arg(1, "new");
                if (value instanceof Str s && a0 instanceof Str from && a1 instanceof Str to && args.arg(2, "count") == null) {
                    return JinjaValue.str(from.s().isEmpty() ? s.s() : s.s().replace(from.s(), to.s()));
                }
                return JinjaValue.opaque(Kind.STR, true, value, a0, a1);
            case "format":
                if (value instanceof Str s) {
                    JinjaValue fmtArgs = !args.named().isEmpty() ? new Dict(args.named())
                            : new Seq(List.copyOf(args.positional()), true);
                    return PyStr.percentFormat(s.s(), fmtArgs);
                }
                return JinjaValue.opaque(Kind.STR, true, value, JinjaValue.opaque(Kind.ANY, false, args.all()));
            case "items", "dictsort":
                if (value instanceof Dict d) {
                    List<JinjaValue> items = new ArrayList<>();
                    for (Map.Entry<String, JinjaValue> e : d.map().entrySet()) {
                        items.add(new Seq(List.of(new Str(e.getKey()), e.getValue()), true));
                    }
                    return new Seq(List.copyOf(items), false);
                }
                return JinjaValue.opaque(Kind.SEQ, false, value);
            case "default", "d":
                return JinjaValue.join(value, a0 == null ? JinjaValue.EMPTY : a0);
            case "length", "count", "int", "float", "abs", "round", "wordcount", "filesizeformat":
                return JinjaValue.UNKNOWN_NUM;
            case "safe", "escape", "e", "forceescape", "striptags", "title", "capitalize", "center":
                if (value instanceof Str s && s.s().chars().noneMatch(c -> "&<>\"'".indexOf(c) >= 0)) {
                    // markup of text without HTML specials is the text itself (jinja2.filters)
                    String t = s.s();
                    String r = switch (name) {
                        case "striptags" -> String.join(" ", PyStr.splitWhitespace(t));
                        case "title" -> PyStr.jinjaTitle(t);
                        case "capitalize" -> PyStr.caseMethod("capitalize", t, null);
                        case "center" -> a0 == null ? PyStr.pad("center", t, 80, " ")
                                : PyStr.bound(a0) != null ? PyStr.pad("center", t, PyStr.bound(a0), " ") : null;
                        default -> t;
                    };
                    if (r != null) {
                        return JinjaValue.str(r);
                    }
                }
                return JinjaValue.opaque(Kind.STR, false, value, JinjaValue.opaque(Kind.ANY, false, args.all()));
            case "tojson", "urlencode", "indent", "truncate", "wordwrap", "urlize", "xmlattr", "pprint":
                return JinjaValue.opaque(Kind.STR, false, value, JinjaValue.opaque(Kind.ANY, false, args.all()));
            default:
                // filters of the renderer this analysis does not know: the result may carry any input
                return JinjaValue.opaque(Kind.ANY, false, value, JinjaValue.opaque(Kind.ANY, false, args.all()));
        }
    }

    /** A filter that reads attributes of the elements of {@code value}: elements that are gadgets are reached. */
    private void reachElements(JinjaValue value, int offset) {
        analyzer.reach(value, offset, "reaches into");
        if (value instanceof Seq s) {
            for (JinjaValue x : s.items()) {
                analyzer.reach(x, offset, "reaches into");
            }
        }
    }

    private JinjaValue join(JinjaValue seq, String sep) {
        if (seq instanceof Str s) {
            seq = filterList(s);
        }
        if (seq instanceof Seq q) {
            JinjaValue out = JinjaValue.EMPTY;
            for (int i = 0; i < q.items().size(); i++) {
                if (i > 0) {
                    out = PyStr.concat(out, new Str(sep));
                }
                out = PyStr.concat(out, PyStr.toStr(q.items().get(i)));
            }
            return out;
        }
        return new Unknown(Kind.STR, "", JinjaValue.underscore(seq) || sep.indexOf('_') >= 0,
                JinjaValue.computed(seq) || seq instanceof Unknown u && u.kind() == Kind.STR);
    }

    /** {@code |list}: characters of a string, keys of a dict. */
    private static JinjaValue filterList(JinjaValue v) {
        if (v instanceof Seq s) {
            return new Seq(s.items(), false);
        }
        List<JinjaValue> elems = JinjaAnalyzer.elements(v);
        if (elems != null && !(v instanceof Alt) && elems.size() <= 4 * JinjaAnalyzer.MAX_UNROLL) {
            if (v instanceof Str s && s.s().length() > elems.size()) {
                return new Unknown(Kind.SEQ, "", s.s().indexOf('_') >= 0, true);
            }
            return new Seq(List.copyOf(elems), false);
        }
        return JinjaValue.opaque(Kind.SEQ, v instanceof Unknown u && u.kind() == Kind.STR || v instanceof Str, v);
    }

    JinjaValue method(Call c, Method m, Evaluated args) {
        String name = m.name();
        JinjaValue recv = m.receiver();
        if (MUTATORS.contains(name) && !(recv instanceof Str)) {
            analyzer.stmts.mutated(c, args);
            return JinjaValue.opaque(Kind.ANY, false, args.all());
        }
        if (recv instanceof Str s) {
            String t = s.s();
            JinjaValue a0 = args.arg(0, "");
            JinjaValue a1 = args.arg(1, "");
            switch (name) {
                case "format":
                    return strFormat(t, args.positional(), args.named(), c.offset());
                case "format_map":
                    return strFormat(t, List.of(), a0 instanceof Dict d ? d.map() : Map.of(), c.offset());
                case "join":
                    return join(a0, t);
                case "lower":
                    return new Str(t.toLowerCase(java.util.Locale.ROOT));
                case "upper":
                    return new Str(t.toUpperCase(java.util.Locale.ROOT));
                case "strip", "lstrip", "rstrip":
                    if (a0 == null || a0 instanceof NoneV) {
                        return new Str(PyStr.strip(t, !name.equals("rstrip"), !name.equals("lstrip")));
                    }
                    if (a0 instanceof Str chars) {
                        return new Str(PyStr.stripChars(t, chars.s(), !name.equals("rstrip"), !name.equals("lstrip")));
                    }
                    break;
                case "replace":
                    if (a0 instanceof Str from && a1 instanceof Str to && args.positional().size() == 2) {
                        return JinjaValue.str(from.s().isEmpty() ? t : t.replace(from.s(), to.s()));
                    }
                    break;
                case "split":
                    if ((a0 == null || a0 instanceof NoneV) && args.positional().size() <= 1 && args.named().isEmpty()) {
                        List<JinjaValue> parts = new ArrayList<>();
                        for (String p : PyStr.splitWhitespace(t)) {
                            parts.add(new Str(p));
                        }
                        if (parts.size() <= 4 * JinjaAnalyzer.MAX_UNROLL) {
                            return new Seq(List.copyOf(parts), false);
                        }
                    }
                    if (a0 instanceof Str sep && !sep.s().isEmpty() && args.positional().size() == 1) {
                        List<JinjaValue> parts = new ArrayList<>();
                        for (String p : t.split(java.util.regex.Pattern.quote(sep.s()), -1)) {
                            parts.add(new Str(p));
                        }
                        if (parts.size() <= 4 * JinjaAnalyzer.MAX_UNROLL) {
                            return new Seq(List.copyOf(parts), false);
                        }
                    }
                    break;
                case "center", "ljust", "rjust":
                    if (a0 instanceof Num n && n.n() instanceof BigInteger width && args.positional().size() <= 2
                            && (args.positional().size() < 2 || a1 instanceof Str f && f.s().codePointCount(0, f.s().length()) == 1)) {
                        // 'class'.center(9, '_') is '__class__': padded as Python pads
                        String fill = args.positional().size() < 2 ? " " : ((Str) a1).s();
                        long w = width.min(BigInteger.valueOf(JinjaValue.MAX_STRING + 1L)).longValue();
                        return JinjaValue.str(PyStr.pad(name, t, w, fill));
                    }
                    return new Unknown(Kind.STR, "", t.indexOf('_') >= 0 || JinjaValue.underscore(a1 == null
                            ? JinjaValue.EMPTY : a1), false);
                case "removeprefix", "removesuffix":
                    if (a0 instanceof Str affix && args.positional().size() == 1) {
                        boolean prefix = name.equals("removeprefix");
                        return new Str(prefix ? (t.startsWith(affix.s()) ? t.substring(affix.s().length()) : t)
                                : (t.endsWith(affix.s()) && !affix.s().isEmpty() ? t.substring(0, t.length() - affix.s().length()) : t));
                    }
                    break;
                case "partition", "rpartition":
                    if (a0 instanceof Str sep && !sep.s().isEmpty() && args.positional().size() == 1) {
                        int at = name.equals("partition") ? t.indexOf(sep.s()) : t.lastIndexOf(sep.s());
                        return at < 0 ? new Seq(name.equals("partition") ? List.of(new Str(t), new Str(""), new Str(""))
                                : List.of(new Str(""), new Str(""), new Str(t)), true)
                                : new Seq(List.of(new Str(t.substring(0, at)), sep, new Str(t.substring(at + sep.s().length()))), true);
                    }
                    break;
                case "rsplit":
                    if (a0 instanceof Str sep && !sep.s().isEmpty() && args.positional().size() == 2
                            && PyStr.bound(a1) != null && PyStr.bound(a1) >= 0 && PyStr.bound(a1) <= 4 * JinjaAnalyzer.MAX_UNROLL) {
                        List<JinjaValue> parts = new ArrayList<>();
                        String rest = t;
                        for (long k = PyStr.bound(a1); k > 0 && rest.lastIndexOf(sep.s()) >= 0; k--) {
                            int at = rest.lastIndexOf(sep.s());
                            parts.add(0, new Str(rest.substring(at + sep.s().length())));
                            rest = rest.substring(0, at);
                        }
                        parts.add(0, new Str(rest));
                        return new Seq(List.copyOf(parts), false);
                    }
                    break;
                case "title", "capitalize", "swapcase", "zfill", "expandtabs", "casefold":
                    String folded = PyStr.caseMethod(name, t, a0);
                    if (folded != null && args.positional().size() == (name.equals("zfill") ? 1 : 0)) {
                        return JinjaValue.str(folded);
                    }
                    return new Unknown(Kind.STR, "", t.indexOf('_') >= 0 || JinjaValue.underscore(a1 == null
                            ? JinjaValue.EMPTY : a1), false);
                case "startswith", "endswith", "isdigit", "isalpha", "find", "index", "count", "rfind":
                    return JinjaValue.UNKNOWN_NUM;
                default:
                    break;
            }
            return JinjaValue.opaque(Kind.STR, true, withReceiver(recv, args));
        }
        if (recv instanceof Dict d) {
            switch (name) {
                case "items" -> {
                    List<JinjaValue> items = new ArrayList<>();
                    for (Map.Entry<String, JinjaValue> e : d.map().entrySet()) {
                        items.add(new Seq(List.of(new Str(e.getKey()), e.getValue()), true));
                    }
                    return new Seq(List.copyOf(items), false);
                }
                case "keys" -> {
                    return filterList(d);
                }
                case "values" -> {
                    return new Seq(List.copyOf(d.map().values()), false);
                }
                case "get" -> {
                    JinjaValue k = args.arg(0, "");
                    if (k != null) {
                        analyzer.checkName(k, c.offset(), "by dict.get", false);
                    }
                    if (k instanceof Str ks && d.map().containsKey(ks.s())) {
                        return d.map().get(ks.s());
                    }
                    JinjaValue def = args.arg(1, "");
                    return def == null ? JinjaValue.NONE : JinjaValue.join(def, JinjaValue.opaque(Kind.ANY, false, d));
                }
                default -> {
                }
            }
        }
        return JinjaValue.opaque(Kind.ANY, false, withReceiver(recv, args));
    }

    private static JinjaValue[] withReceiver(JinjaValue recv, Evaluated args) {
        JinjaValue[] all = args.all();
        JinjaValue[] r = java.util.Arrays.copyOf(all, all.length + 1);
        r[all.length] = recv;
        return r;
    }

    /** {@code fmt.format(args)}: folds it, and judges the attribute accesses inside replacement fields. */
    private JinjaValue strFormat(String fmt, List<JinjaValue> positional, Map<String, JinjaValue> named, int offset) {
        JinjaValue out = JinjaValue.EMPTY;
        StringBuilder lit = new StringBuilder();
        int auto = 0;
        int i = 0;
        while (i < fmt.length()) {
            char c = fmt.charAt(i);
            if ((c == '{' || c == '}') && i + 1 < fmt.length() && fmt.charAt(i + 1) == c) {
                lit.append(c);
                i += 2;
                continue;
            }
            if (c != '{') {
                lit.append(c);
                i++;
                continue;
            }
            // a format spec may hold nested fields, '{:{}^9}': the field ends at its matching brace
            int close = -1;
            for (int k = i + 1, depth = 1; k < fmt.length(); k++) {
                char ch = fmt.charAt(k);
                depth += ch == '{' ? 1 : ch == '}' ? -1 : 0;
                if (depth == 0) {
                    close = k;
                    break;
                }
            }
            if (close < 0) {
                return JinjaValue.opaque(Kind.STR, true, new Str(fmt));
            }
            String field = fmt.substring(i + 1, close);
            i = close + 1;
            int cut = field.length();
            for (int k = 0; k < field.length(); k++) {
                if (field.charAt(k) == '!' || field.charAt(k) == ':') {
                    cut = k;
                    break;
                }
            }
            String path = field.substring(0, cut);
            int end = 0;
            while (end < path.length() && path.charAt(end) != '.' && path.charAt(end) != '[') {
                end++;
            }
            String argName = path.substring(0, end);
            JinjaValue arg;
            if (argName.isEmpty()) {
                arg = auto < positional.size() ? positional.get(auto) : JinjaValue.UNKNOWN;
                auto++;
            } else if (argName.chars().allMatch(Character::isDigit) && argName.length() < 6) {
                int idx = Integer.parseInt(argName);
                arg = idx < positional.size() ? positional.get(idx) : JinjaValue.UNKNOWN;
            } else {
                arg = named.getOrDefault(argName, JinjaValue.UNKNOWN);
            }
            String rest = path.substring(end);
            if (!rest.isEmpty()) {
                for (String part : rest.split("[.\\[\\]]+")) {
                    if (!part.isEmpty()) {
                        analyzer.checkName(new Str(part), offset, "through a str.format field", false);
                    }
                }
                for (JinjaValue o : JinjaValue.options(arg)) {
                    if (o instanceof Gadget g) {
                        analyzer.report(true, "reaches into the template global '" + g.name() + "' through a str.format field",
                                offset);
                    }
                }
                arg = JinjaValue.UNKNOWN;
            }
            out = PyStr.concat(out, new Str(lit.toString()));
            lit.setLength(0);
            String spec = field.indexOf(':', cut) >= 0 ? field.substring(field.indexOf(':', cut) + 1) : "";
            if (spec.indexOf('{') >= 0) {
                // nested fields take arguments of their own and make the spec (fill character included):
                // the result can hold any character of any argument
                List<JinjaValue> all = new ArrayList<>(positional);
                all.addAll(named.values());
                all.add(arg);
                all.add(new Str(spec));
                out = PyStr.concat(out, JinjaValue.opaque(Kind.STR, true, all.toArray(new JinjaValue[0])));
                java.util.regex.Matcher inner = java.util.regex.Pattern.compile("\\{([^{}]*)\\}").matcher(spec);
                while (inner.find()) {
                    String[] parts = inner.group(1).split("[.\\[\\]]+");
                    for (int k = 1; k < parts.length; k++) {
                        analyzer.checkName(new Str(parts[k]), offset, "through a str.format field", false);
                    }
                }
                auto = positional.size();
            } else if (cut == field.length()) {
                out = PyStr.concat(out, PyStr.toStr(arg));
            } else {
                out = PyStr.concat(out, field.charAt(cut) == ':' ? PyStr.formatSpec(arg, spec)
                        : JinjaValue.opaque(Kind.STR, false, arg, new Str(spec)));
            }
        }
        return PyStr.concat(out, new Str(lit.toString()));
    }

    static JinjaValue range(Evaluated args) {
        List<Long> n = new ArrayList<>();
        for (JinjaValue p : args.positional()) {
            Long v = PyStr.bound(p);
            if (v == null) {
                return new Unknown(Kind.SEQ, "", false, false);
            }
            n.add(v);
        }
        long start = n.size() >= 2 ? n.get(0) : 0;
        long stop = n.size() == 1 ? n.get(0) : n.size() >= 2 ? n.get(1) : 0;
        long step = n.size() >= 3 ? n.get(2) : 1;
        if (step == 0 || (stop - start) / step > 4L * JinjaAnalyzer.MAX_UNROLL) {
            return new Unknown(Kind.SEQ, "", false, false);
        }
        List<JinjaValue> items = new ArrayList<>();
        for (long i = start; step > 0 ? i < stop : i > stop; i += step) {
            items.add(JinjaValue.num(i));
        }
        return new Seq(List.copyOf(items), false);
    }
}
