package dev.laocoon.core.internal.format.jinja;

import dev.laocoon.core.internal.format.jinja.JinjaAst.Args;
import dev.laocoon.core.internal.format.jinja.JinjaAst.Binary;
import dev.laocoon.core.internal.format.jinja.JinjaAst.Call;
import dev.laocoon.core.internal.format.jinja.JinjaAst.CallBlock;
import dev.laocoon.core.internal.format.jinja.JinjaAst.Compare;
import dev.laocoon.core.internal.format.jinja.JinjaAst.CondExpr;
import dev.laocoon.core.internal.format.jinja.JinjaAst.Const;
import dev.laocoon.core.internal.format.jinja.JinjaAst.DictLit;
import dev.laocoon.core.internal.format.jinja.JinjaAst.Do;
import dev.laocoon.core.internal.format.jinja.JinjaAst.Expr;
import dev.laocoon.core.internal.format.jinja.JinjaAst.Filter;
import dev.laocoon.core.internal.format.jinja.JinjaAst.FilterBlock;
import dev.laocoon.core.internal.format.jinja.JinjaAst.For;
import dev.laocoon.core.internal.format.jinja.JinjaAst.GetAttr;
import dev.laocoon.core.internal.format.jinja.JinjaAst.GetItem;
import dev.laocoon.core.internal.format.jinja.JinjaAst.Hole;
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
import dev.laocoon.core.internal.format.jinja.JinjaAst.Slice;
import dev.laocoon.core.internal.format.jinja.JinjaAst.Stmt;
import dev.laocoon.core.internal.format.jinja.JinjaAst.Test;
import dev.laocoon.core.internal.format.jinja.JinjaAst.Text;
import dev.laocoon.core.internal.format.jinja.JinjaAst.Unary;
import dev.laocoon.core.internal.format.jinja.JinjaAst.With;
import dev.laocoon.core.internal.format.jinja.JinjaToken.Kind;
import java.util.ArrayList;
import java.util.List;

/**
 * Recursive-descent parser for Jinja's statement and expression grammar (precedence from lowest:
 * conditional, {@code or}, {@code and}, {@code not}, comparisons, {@code + -}, {@code ~},
 * {@code * / // %}, {@code **}, unary, then postfix, filters and tests). Nesting is capped, so a
 * hostile template ends in a {@link JinjaSyntaxError}, never in a stack overflow.
 */
public final class JinjaParser {
    /** Maximum nesting of statements plus expressions. */
    public static final int MAX_DEPTH = 200;

    private final List<JinjaToken> toks;
    private int pos;
    private int depth;

    private JinjaParser(List<JinjaToken> toks) {
        this.toks = toks;
    }

    public static List<Stmt> parse(String template) throws JinjaSyntaxError {
        JinjaParser p = new JinjaParser(JinjaLexer.tokenize(template));
        List<Stmt> body = p.subparse(List.of());
        if (p.peek().kind() != Kind.EOF) {
            JinjaToken t = p.peek();
            throw new JinjaSyntaxError("unexpected '" + t.text() + "' (no block is open)", t.offset());
        }
        return body;
    }

    // ------------------------------------------------------------------ token helpers

    private JinjaToken peek() {
        return toks.get(pos);
    }

    private JinjaToken peek(int ahead) {
        return toks.get(Math.min(pos + ahead, toks.size() - 1));
    }

    private JinjaToken next() {
        JinjaToken t = toks.get(pos);
        if (t.kind() != Kind.EOF) {
            pos++;
        }
        return t;
    }

    private boolean skipOp(String op) {
        if (peek().isOp(op)) {
            pos++;
            return true;
        }
        return false;
    }

    private boolean skipName(String name) {
        if (peek().isName(name)) {
            pos++;
            return true;
        }
        return false;
    }

    private JinjaToken expectOp(String op) throws JinjaSyntaxError {
        if (!peek().isOp(op)) {
            throw unexpected("'" + op + "'");
        }
        return next();
    }

    private JinjaToken expect(Kind k, String what) throws JinjaSyntaxError {
        if (peek().kind() != k) {
            throw unexpected(what);
        }
        return next();
    }

    private String expectName() throws JinjaSyntaxError {
        return expect(Kind.NAME, "a name").text();
    }

    private JinjaSyntaxError unexpected(String wanted) {
        JinjaToken t = peek();
        String got = switch (t.kind()) {
            case EOF -> "end of template";
            case BLOCK_END, VAR_END -> "end of tag";
            case STRING -> "a string";
            default -> "'" + t.text() + "'";
        };
        return new JinjaSyntaxError("expected " + wanted + ", found " + got, t.offset());
    }

    private void enter() throws JinjaSyntaxError {
        if (++depth > MAX_DEPTH) {
            throw new JinjaSyntaxError("nested deeper than " + MAX_DEPTH + " levels", peek().offset());
        }
    }

    // ------------------------------------------------------------------ statements

    /** Parses statements until a block tag whose name is in {@code ends} (left unconsumed, after its {%). */
    private List<Stmt> subparse(List<String> ends) throws JinjaSyntaxError {
        enter();
        List<Stmt> body = new ArrayList<>();
        while (true) {
            JinjaToken t = peek();
            switch (t.kind()) {
                case EOF -> {
                    if (!ends.isEmpty()) {
                        throw new JinjaSyntaxError("missing '" + ends.get(ends.size() - 1)
                                + "' (end of template reached)", t.offset());
                    }
                    depth--;
                    return body;
                }
                case TEXT -> body.add(new Text(next().offset(), t.text()));
                case VAR_BEGIN -> {
                    next();
                    Expr e = tuple(true, true);
                    expect(Kind.VAR_END, "'}}'");
                    body.add(new Output(t.offset(), e));
                }
                case BLOCK_BEGIN -> {
                    JinjaToken name = peek(1);
                    if (name.kind() == Kind.NAME && ends.contains(name.text())) {
                        next();
                        depth--;
                        return body;
                    }
                    next();
                    body.add(statement());
                }
                default -> throw unexpected("text or a tag");
            }
        }
    }

    /** The tag name that ended a body: consumes it and returns its name. */
    private String endTag() {
        return next().text();
    }

    private void endOfTag() throws JinjaSyntaxError {
        expect(Kind.BLOCK_END, "'%}'");
    }

    private Stmt statement() throws JinjaSyntaxError {
        JinjaToken t = peek();
        if (t.kind() != Kind.NAME) {
            throw unexpected("a tag name");
        }
        int off = t.offset();
        next();
        Stmt s = switch (t.text()) {
            case "if" -> ifStatement(off);
            case "for" -> forStatement(off);
            case "set" -> setStatement(off);
            case "macro" -> macro(off);
            case "call" -> callBlock(off);
            case "filter" -> filterBlock(off);
            case "with" -> with(off);
            case "break", "continue" -> {
                endOfTag();
                yield new LoopControl(off, t.text());
            }
            case "do" -> {
                Expr e = tuple(true, true);
                endOfTag();
                yield new Do(off, e);
            }
            case "generation", "autoescape", "block" -> scoped(off, t.text());
            case "import", "include", "extends", "from" -> load(off, t.text());
            default -> throw new JinjaSyntaxError("unknown tag '" + t.text() + "'", off);
        };
        return s;
    }

    private If ifStatement(int off) throws JinjaSyntaxError {
        List<Expr> tests = new ArrayList<>();
        List<List<Stmt>> bodies = new ArrayList<>();
        List<Stmt> orElse = List.of();
        tests.add(tuple(false, true));
        endOfTag();
        while (true) {
            bodies.add(subparse(List.of("elif", "else", "endif")));
            String end = endTag();
            if (end.equals("elif")) {
                tests.add(tuple(false, true));
                endOfTag();
            } else if (end.equals("else")) {
                endOfTag();
                orElse = subparse(List.of("endif"));
                endTag();
                endOfTag();
                break;
            } else {
                endOfTag();
                break;
            }
        }
        return new If(off, tests, bodies, orElse);
    }

    private For forStatement(int off) throws JinjaSyntaxError {
        Expr target = assignTarget(false);
        if (!skipName("in")) {
            throw unexpected("'in'");
        }
        Expr iter = tuple(true, false);
        Expr filter = null;
        if (skipName("if")) {
            filter = expression(true);
        }
        boolean recursive = skipName("recursive");
        endOfTag();
        List<Stmt> body = subparse(List.of("else", "endfor"));
        List<Stmt> orElse = List.of();
        if (endTag().equals("else")) {
            endOfTag();
            orElse = subparse(List.of("endfor"));
            endTag();
        }
        endOfTag();
        return new For(off, target, iter, filter, recursive, body, orElse);
    }

    private Stmt setStatement(int off) throws JinjaSyntaxError {
        Expr target = assignTarget(true);
        if (skipOp("=")) {
            Expr value = tuple(true, true);
            endOfTag();
            return new Set(off, target, value);
        }
        Expr filter = filterChain(new Hole(peek().offset()));
        endOfTag();
        List<Stmt> body = subparse(List.of("endset"));
        endTag();
        endOfTag();
        return new SetBlock(off, target, filter, body);
    }

    /** Filters applied to {@code base} ({@code | f(args) | g}); returns null when there are none. */
    private Expr filterChain(Expr base) throws JinjaSyntaxError {
        Expr e = base;
        boolean any = false;
        while (peek().isOp("|")) {
            e = filter(e);
            any = true;
        }
        return any ? e : null;
    }

    private Macro macro(int off) throws JinjaSyntaxError {
        String name = expectName();
        List<String> params = new ArrayList<>();
        List<Expr> defaults = new ArrayList<>();
        signature(params, defaults);
        endOfTag();
        List<Stmt> body = subparse(List.of("endmacro"));
        endTag();
        skipName(name);
        endOfTag();
        return new Macro(off, name, params, defaults, body);
    }

    private void signature(List<String> params, List<Expr> defaults) throws JinjaSyntaxError {
        expectOp("(");
        while (!peek().isOp(")")) {
            if (!params.isEmpty()) {
                expectOp(",");
                if (peek().isOp(")")) {
                    break;
                }
            }
            params.add(expectName());
            defaults.add(skipOp("=") ? expression(true) : null);
        }
        expectOp(")");
    }

    private CallBlock callBlock(int off) throws JinjaSyntaxError {
        List<String> params = new ArrayList<>();
        List<Expr> defaults = new ArrayList<>();
        if (peek().isOp("(")) {
            signature(params, defaults);
        }
        Expr call = expression(true);
        if (!(call instanceof Call c)) {
            throw new JinjaSyntaxError("expected a call after 'call'", call.offset());
        }
        endOfTag();
        List<Stmt> body = subparse(List.of("endcall"));
        endTag();
        endOfTag();
        return new CallBlock(off, c, params, defaults, body);
    }

    private FilterBlock filterBlock(int off) throws JinjaSyntaxError {
        Expr base = new Hole(peek().offset());
        Expr f = filter(base, false);
        while (peek().isOp("|")) {
            f = filter(f);
        }
        endOfTag();
        List<Stmt> body = subparse(List.of("endfilter"));
        endTag();
        endOfTag();
        return new FilterBlock(off, f, body);
    }

    private With with(int off) throws JinjaSyntaxError {
        List<Expr> targets = new ArrayList<>();
        List<Expr> values = new ArrayList<>();
        while (peek().kind() != Kind.BLOCK_END) {
            if (!targets.isEmpty()) {
                expectOp(",");
            }
            targets.add(assignTarget(false));
            expectOp("=");
            values.add(expression(true));
        }
        endOfTag();
        List<Stmt> body = subparse(List.of("endwith"));
        endTag();
        endOfTag();
        return new With(off, targets, values, body);
    }

    private Scoped scoped(int off, String tag) throws JinjaSyntaxError {
        Expr arg = null;
        if (tag.equals("block")) {
            arg = new Const(peek().offset(), expectName());
            skipName("scoped");
            skipName("required");
        } else if (tag.equals("autoescape")) {
            arg = expression(true);
        }
        endOfTag();
        List<Stmt> body = subparse(List.of("end" + tag));
        endTag();
        if (tag.equals("block") && peek().kind() == Kind.NAME) {
            next();
        }
        endOfTag();
        return new Scoped(off, tag, arg, body);
    }

    /** import/from/include/extends: the template expression is kept; the rest of the tag is skipped. */
    private Load load(int off, String tag) throws JinjaSyntaxError {
        Expr template = expression(true);
        while (peek().kind() != Kind.BLOCK_END && peek().kind() != Kind.EOF) {
            next();
        }
        endOfTag();
        return new Load(off, tag, template);
    }

    /** A name, {@code ns.attr} (when {@code withAttr}), or a tuple of names, optionally in parentheses. */
    private Expr assignTarget(boolean withAttr) throws JinjaSyntaxError {
        enter();
        int off = peek().offset();
        List<Expr> items = new ArrayList<>();
        boolean comma = false;
        while (true) {
            Expr item;
            if (skipOp("(")) {
                item = assignTarget(withAttr);
                expectOp(")");
            } else {
                JinjaToken t = expect(Kind.NAME, "a name to assign to");
                item = new Name(t.offset(), t.text());
                if (withAttr && peek().isOp(".") && peek(1).kind() == Kind.NAME) {
                    next();
                    JinjaToken a = next();
                    item = new GetAttr(a.offset(), item, a.text());
                }
            }
            items.add(item);
            if (!skipOp(",")) {
                break;
            }
            comma = true;
            if (peek().kind() != Kind.NAME && !peek().isOp("(")) {
                break;
            }
        }
        depth--;
        return comma ? new ListLit(off, items, true) : items.get(0);
    }

    // ------------------------------------------------------------------ expressions

    /** Comma-separated expressions; a tuple when there is a comma (or when empty and allowed). */
    private Expr tuple(boolean withCondExpr, boolean explicitEndOnly) throws JinjaSyntaxError {
        int off = peek().offset();
        List<Expr> items = new ArrayList<>();
        boolean comma = false;
        while (true) {
            if (!items.isEmpty()) {
                if (!skipOp(",")) {
                    break;
                }
                comma = true;
            }
            if (tupleEnds(explicitEndOnly)) {
                break;
            }
            items.add(expression(withCondExpr));
        }
        if (items.isEmpty()) {
            throw unexpected("an expression");
        }
        return comma ? new ListLit(off, items, true) : items.get(0);
    }

    private boolean tupleEnds(boolean explicitEndOnly) {
        JinjaToken t = peek();
        if (t.kind() == Kind.VAR_END || t.kind() == Kind.BLOCK_END || t.kind() == Kind.EOF) {
            return true;
        }
        if (t.isOp(")") || t.isOp("]") || t.isOp("}")) {
            return true;
        }
        return !explicitEndOnly && (t.isName("if") || t.isName("recursive"));
    }

    private Expr expression(boolean withCondExpr) throws JinjaSyntaxError {
        enter();
        Expr e = withCondExpr ? condExpr() : or();
        depth--;
        return e;
    }

    private Expr condExpr() throws JinjaSyntaxError {
        Expr e = or();
        while (peek().isName("if")) {
            int off = next().offset();
            Expr test = or();
            Expr orElse = null;
            if (skipName("else")) {
                enter();
                orElse = condExpr();
                depth--;
            }
            e = new CondExpr(off, test, e, orElse);
        }
        return e;
    }

    private Expr or() throws JinjaSyntaxError {
        return chain(this::and, Kind.NAME, List.of("or"));
    }

    private Expr and() throws JinjaSyntaxError {
        return chain(this::not, Kind.NAME, List.of("and"));
    }

    /** The parser of the operands of one precedence level. */
    private interface Operand {
        Expr parse() throws JinjaSyntaxError;
    }

    /**
     * A left-associative chain {@code operand (op operand)*}, {@code op} being one of {@code ops}
     * (tokens of {@code kind}: operators, or the keywords and/or). Each link makes the tree one
     * level deeper, so it counts against the nesting limit like brackets do.
     */
    private Expr chain(Operand operand, Kind kind, List<String> ops) throws JinjaSyntaxError {
        Expr e = operand.parse();
        int links = 0;
        while (peek().kind() == kind && ops.contains(peek().text())) {
            enter();
            links++;
            JinjaToken t = next();
            e = new Binary(t.offset(), t.text(), e, operand.parse());
        }
        depth -= links;
        return e;
    }

    private Expr not() throws JinjaSyntaxError {
        if (peek().isName("not")) {
            int off = next().offset();
            enter();
            Expr e = new Unary(off, "not", not());
            depth--;
            return e;
        }
        return compare();
    }

    private Expr compare() throws JinjaSyntaxError {
        int off = peek().offset();
        Expr first = add();
        List<String> ops = new ArrayList<>();
        List<Expr> operands = new ArrayList<>();
        while (true) {
            JinjaToken t = peek();
            String op = null;
            if (t.kind() == Kind.OP) {
                op = switch (t.text()) {
                    case "==" -> "eq";
                    case "!=" -> "ne";
                    case "<" -> "lt";
                    case "<=" -> "lteq";
                    case ">" -> "gt";
                    case ">=" -> "gteq";
                    default -> null;
                };
                if (op != null) {
                    next();
                }
            } else if (t.isName("in")) {
                next();
                op = "in";
            } else if (t.isName("not") && peek(1).isName("in")) {
                next();
                next();
                op = "notin";
            }
            if (op == null) {
                break;
            }
            ops.add(op);
            operands.add(add());
        }
        return ops.isEmpty() ? first : new Compare(off, first, ops, operands);
    }

    private Expr add() throws JinjaSyntaxError {
        return chain(this::concat, Kind.OP, List.of("+", "-"));
    }

    private Expr concat() throws JinjaSyntaxError {
        return chain(this::mul, Kind.OP, List.of("~"));
    }

    private Expr mul() throws JinjaSyntaxError {
        return chain(this::pow, Kind.OP, List.of("*", "/", "//", "%"));
    }

    private Expr pow() throws JinjaSyntaxError {
        return chain(() -> unary(true), Kind.OP, List.of("**"));
    }

    private Expr unary(boolean withFilter) throws JinjaSyntaxError {
        enter();
        Expr e;
        if (peek().isOp("-") || peek().isOp("+")) {
            JinjaToken t = next();
            e = new Unary(t.offset(), t.text(), unary(false));
        } else {
            e = postfix(primary());
        }
        if (withFilter) {
            e = filterExpr(e);
        }
        depth--;
        return e;
    }

    private Expr primary() throws JinjaSyntaxError {
        JinjaToken t = peek();
        switch (t.kind()) {
            case NAME -> {
                next();
                return switch (t.text()) {
                    case "true", "True" -> new Const(t.offset(), Boolean.TRUE);
                    case "false", "False" -> new Const(t.offset(), Boolean.FALSE);
                    case "none", "None" -> new Const(t.offset(), null);
                    default -> new Name(t.offset(), t.text());
                };
            }
            case STRING -> {
                StringBuilder sb = new StringBuilder();
                while (peek().kind() == Kind.STRING) {
                    sb.append(next().text());
                }
                return new Const(t.offset(), sb.toString());
            }
            case INT, FLOAT -> {
                next();
                return new Const(t.offset(), t.number());
            }
            default -> {
            }
        }
        if (t.isOp("(")) {
            next();
            if (skipOp(")")) {
                return new ListLit(t.offset(), List.of(), true);
            }
            Expr e = tuple(true, true);
            expectOp(")");
            return e;
        }
        if (t.isOp("[")) {
            next();
            List<Expr> items = new ArrayList<>();
            while (!peek().isOp("]")) {
                if (!items.isEmpty()) {
                    expectOp(",");
                    if (peek().isOp("]")) {
                        break;
                    }
                }
                items.add(expression(true));
            }
            expectOp("]");
            return new ListLit(t.offset(), items, false);
        }
        if (t.isOp("{")) {
            next();
            List<Expr> keys = new ArrayList<>();
            List<Expr> values = new ArrayList<>();
            while (!peek().isOp("}")) {
                if (!keys.isEmpty()) {
                    expectOp(",");
                    if (peek().isOp("}")) {
                        break;
                    }
                }
                keys.add(expression(true));
                expectOp(":");
                values.add(expression(true));
            }
            expectOp("}");
            return new DictLit(t.offset(), keys, values);
        }
        throw unexpected("an expression");
    }

    private Expr postfix(Expr e) throws JinjaSyntaxError {
        // each link makes the tree one level deeper, so it counts against the nesting limit
        int links = 0;
        while (true) {
            JinjaToken t = peek();
            if (t.isOp(".") || t.isOp("[") || t.isOp("(")) {
                enter();
                links++;
            }
            if (t.isOp(".")) {
                next();
                JinjaToken a = next();
                if (a.kind() == Kind.NAME) {
                    e = new GetAttr(a.offset(), e, a.text());
                } else if (a.kind() == Kind.INT) {
                    e = new GetItem(a.offset(), e, new Const(a.offset(), a.number()));
                } else {
                    pos--;
                    throw unexpected("an attribute name");
                }
            } else if (t.isOp("[")) {
                next();
                e = new GetItem(t.offset(), e, subscript());
            } else if (t.isOp("(")) {
                e = new Call(t.offset(), e, args());
            } else {
                depth -= links;
                return e;
            }
        }
    }

    private Expr subscript() throws JinjaSyntaxError {
        int off = peek().offset();
        List<Expr> items = new ArrayList<>();
        while (true) {
            items.add(subscribed());
            if (!skipOp(",")) {
                break;
            }
            if (peek().isOp("]")) {
                break;
            }
        }
        expectOp("]");
        return items.size() == 1 ? items.get(0) : new ListLit(off, items, true);
    }

    private Expr subscribed() throws JinjaSyntaxError {
        int off = peek().offset();
        Expr start = null;
        if (!peek().isOp(":")) {
            start = expression(true);
            if (!peek().isOp(":")) {
                return start;
            }
        }
        next();
        Expr stop = null;
        Expr step = null;
        if (!peek().isOp("]") && !peek().isOp(",") && !peek().isOp(":")) {
            stop = expression(true);
        }
        if (skipOp(":")) {
            if (!peek().isOp("]") && !peek().isOp(",")) {
                step = expression(true);
            }
        }
        return new Slice(off, start, stop, step);
    }

    private Args args() throws JinjaSyntaxError {
        expectOp("(");
        List<Expr> positional = new ArrayList<>();
        List<String> names = new ArrayList<>();
        List<Expr> values = new ArrayList<>();
        Expr star = null;
        Expr dstar = null;
        boolean first = true;
        while (!peek().isOp(")")) {
            if (!first) {
                expectOp(",");
                if (peek().isOp(")")) {
                    break;
                }
            }
            first = false;
            if (skipOp("*")) {
                star = expression(true);
            } else if (skipOp("**")) {
                dstar = expression(true);
            } else if (peek().kind() == Kind.NAME && peek(1).isOp("=")) {
                names.add(next().text());
                next();
                values.add(expression(true));
            } else {
                positional.add(expression(true));
            }
        }
        expectOp(")");
        return new Args(positional, names, values, star, dstar);
    }

    private Expr filterExpr(Expr e) throws JinjaSyntaxError {
        int links = 0;
        while (true) {
            if (peek().isOp("|") || peek().isName("is") || peek().isOp("(")) {
                enter(); // each link makes the tree one level deeper
                links++;
            }
            if (peek().isOp("|")) {
                e = filter(e);
            } else if (peek().isName("is")) {
                e = test(e);
            } else if (peek().isOp("(")) {
                e = new Call(peek().offset(), e, args());
            } else {
                depth -= links;
                return e;
            }
        }
    }

    private Expr filter(Expr value) throws JinjaSyntaxError {
        return filter(value, true);
    }

    private Expr filter(Expr value, boolean pipe) throws JinjaSyntaxError {
        if (pipe) {
            expectOp("|");
        }
        JinjaToken t = expect(Kind.NAME, "a filter name");
        StringBuilder name = new StringBuilder(t.text());
        while (peek().isOp(".") && peek(1).kind() == Kind.NAME) {
            next();
            name.append('.').append(next().text());
        }
        Args a = peek().isOp("(") ? args() : Args.NONE;
        return new Filter(t.offset(), value, name.toString(), a);
    }

    private Expr test(Expr value) throws JinjaSyntaxError {
        next(); // is
        boolean negated = skipName("not");
        JinjaToken t = expect(Kind.NAME, "a test name");
        StringBuilder name = new StringBuilder(t.text());
        while (peek().isOp(".") && peek(1).kind() == Kind.NAME) {
            next();
            name.append('.').append(next().text());
        }
        Args a = Args.NONE;
        if (peek().isOp("(")) {
            a = args();
        } else {
            JinjaToken n = peek();
            boolean argStarts = switch (n.kind()) {
                case NAME -> !(n.text().equals("else") || n.text().equals("or") || n.text().equals("and")
                        || n.text().equals("if") || n.text().equals("in") || n.text().equals("not")
                        || n.text().equals("is") || n.text().equals("recursive"));
                case STRING, INT, FLOAT -> true;
                case OP -> n.text().equals("[") || n.text().equals("{");
                default -> false;
            };
            if (argStarts) {
                enter();
                Expr arg = postfix(primary());
                depth--;
                a = new Args(List.of(arg), List.of(), List.of(), null, null);
            }
        }
        return new Test(t.offset(), value, name.toString(), a, negated);
    }
}
