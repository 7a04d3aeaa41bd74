package dev.laocoon.core.internal.format.jinja;

import dev.laocoon.core.internal.format.jinja.JinjaAst.Call;
import dev.laocoon.core.internal.format.jinja.JinjaAst.CallBlock;
import dev.laocoon.core.internal.format.jinja.JinjaAst.Const;
import dev.laocoon.core.internal.format.jinja.JinjaAst.Do;
import dev.laocoon.core.internal.format.jinja.JinjaAst.Expr;
import dev.laocoon.core.internal.format.jinja.JinjaAst.FilterBlock;
import dev.laocoon.core.internal.format.jinja.JinjaAst.For;
import dev.laocoon.core.internal.format.jinja.JinjaAst.GetAttr;
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
import dev.laocoon.core.internal.format.jinja.JinjaAst.Stmt;
import dev.laocoon.core.internal.format.jinja.JinjaAst.Text;
import dev.laocoon.core.internal.format.jinja.JinjaAst.With;
import dev.laocoon.core.internal.format.jinja.JinjaToken.Kind;
import java.util.ArrayList;
import java.util.List;

/**
 * Recursive-descent parser for Jinja templates: text, output and block tags here, expressions in
 * {@link JinjaExpressionParser}; both read one {@link JinjaTokenCursor}. Nesting is capped, so a
 * hostile template ends in a {@link JinjaSyntaxError}, never in a stack overflow.
 */
public final class JinjaParser {
    /** Maximum nesting of statements plus expressions. */
    public static final int MAX_DEPTH = 200;

    private final JinjaTokenCursor cur;
    private final JinjaExpressionParser expr;

    private JinjaParser(List<JinjaToken> toks) {
        this.cur = new JinjaTokenCursor(toks);
        this.expr = new JinjaExpressionParser(cur);
    }

    public static List<Stmt> parse(String template) throws JinjaSyntaxError {
        JinjaParser p = new JinjaParser(JinjaLexer.tokenize(template));
        List<Stmt> body = p.subparse(List.of());
        if (p.cur.peek().kind() != Kind.EOF) {
            JinjaToken t = p.cur.peek();
            throw new JinjaSyntaxError("unexpected '" + t.text() + "' (no block is open)", t.offset());
        }
        return body;
    }

    // ------------------------------------------------------------------ statements

    /** Parses statements until a block tag whose name is in {@code ends} (left unconsumed, after its {%). */
    private List<Stmt> subparse(List<String> ends) throws JinjaSyntaxError {
        cur.enter();
        List<Stmt> body = new ArrayList<>();
        while (true) {
            JinjaToken t = cur.peek();
            switch (t.kind()) {
                case EOF -> {
                    if (!ends.isEmpty()) {
                        throw new JinjaSyntaxError("missing '" + ends.get(ends.size() - 1)
                                + "' (end of template reached)", t.offset());
                    }
                    cur.leave();
                    return body;
                }
                case TEXT -> body.add(new Text(cur.next().offset(), t.text()));
                case VAR_BEGIN -> {
                    cur.next();
                    Expr e = expr.tuple(true, true);
                    cur.expect(Kind.VAR_END, "'}}'");
                    body.add(new Output(t.offset(), e));
                }
                case BLOCK_BEGIN -> {
                    JinjaToken name = cur.peek(1);
                    if (name.kind() == Kind.NAME && ends.contains(name.text())) {
                        cur.next();
                        cur.leave();
                        return body;
                    }
                    cur.next();
                    body.add(statement());
                }
                default -> throw cur.unexpected("text or a tag");
            }
        }
    }

    /** The tag name that ended a body: consumes it and returns its name. */
    private String endTag() {
        return cur.next().text();
    }

    private void endOfTag() throws JinjaSyntaxError {
        cur.expect(Kind.BLOCK_END, "'%}'");
    }

    private Stmt statement() throws JinjaSyntaxError {
        JinjaToken t = cur.peek();
        if (t.kind() != Kind.NAME) {
            throw cur.unexpected("a tag name");
        }
        int off = t.offset();
        cur.next();
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
                Expr e = expr.tuple(true, true);
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
        tests.add(expr.tuple(false, true));
        endOfTag();
        while (true) {
            bodies.add(subparse(List.of("elif", "else", "endif")));
            String end = endTag();
            if (end.equals("elif")) {
                tests.add(expr.tuple(false, true));
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
        if (!cur.skipName("in")) {
            throw cur.unexpected("'in'");
        }
        Expr iter = expr.tuple(true, false);
        Expr filter = null;
        if (cur.skipName("if")) {
            filter = expr.expression(true);
        }
        boolean recursive = cur.skipName("recursive");
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
        if (cur.skipOp("=")) {
            Expr value = expr.tuple(true, true);
            endOfTag();
            return new Set(off, target, value);
        }
        Expr filter = filterChain(new Hole(cur.peek().offset()));
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
        while (cur.peek().isOp("|")) {
            e = expr.filter(e);
            any = true;
        }
        return any ? e : null;
    }

    private Macro macro(int off) throws JinjaSyntaxError {
        String name = cur.expectName();
        List<String> params = new ArrayList<>();
        List<Expr> defaults = new ArrayList<>();
        signature(params, defaults);
        endOfTag();
        List<Stmt> body = subparse(List.of("endmacro"));
        endTag();
        cur.skipName(name);
        endOfTag();
        return new Macro(off, name, params, defaults, body);
    }

    private void signature(List<String> params, List<Expr> defaults) throws JinjaSyntaxError {
        cur.expectOp("(");
        while (!cur.peek().isOp(")")) {
            if (!params.isEmpty()) {
                cur.expectOp(",");
                if (cur.peek().isOp(")")) {
                    break;
                }
            }
            params.add(cur.expectName());
            defaults.add(cur.skipOp("=") ? expr.expression(true) : null);
        }
        cur.expectOp(")");
    }

    private CallBlock callBlock(int off) throws JinjaSyntaxError {
        List<String> params = new ArrayList<>();
        List<Expr> defaults = new ArrayList<>();
        if (cur.peek().isOp("(")) {
            signature(params, defaults);
        }
        Expr call = expr.expression(true);
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
        Expr base = new Hole(cur.peek().offset());
        Expr f = expr.filter(base, false);
        while (cur.peek().isOp("|")) {
            f = expr.filter(f);
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
        while (cur.peek().kind() != Kind.BLOCK_END) {
            if (!targets.isEmpty()) {
                cur.expectOp(",");
            }
            targets.add(assignTarget(false));
            cur.expectOp("=");
            values.add(expr.expression(true));
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
            arg = new Const(cur.peek().offset(), cur.expectName());
            cur.skipName("scoped");
            cur.skipName("required");
        } else if (tag.equals("autoescape")) {
            arg = expr.expression(true);
        }
        endOfTag();
        List<Stmt> body = subparse(List.of("end" + tag));
        endTag();
        if (tag.equals("block") && cur.peek().kind() == Kind.NAME) {
            cur.next();
        }
        endOfTag();
        return new Scoped(off, tag, arg, body);
    }

    /** import/from/include/extends: the template expression is kept; the rest of the tag is skipped. */
    private Load load(int off, String tag) throws JinjaSyntaxError {
        Expr template = expr.expression(true);
        while (cur.peek().kind() != Kind.BLOCK_END && cur.peek().kind() != Kind.EOF) {
            cur.next();
        }
        endOfTag();
        return new Load(off, tag, template);
    }

    /** A name, {@code ns.attr} (when {@code withAttr}), or a tuple of names, optionally in parentheses. */
    private Expr assignTarget(boolean withAttr) throws JinjaSyntaxError {
        cur.enter();
        int off = cur.peek().offset();
        List<Expr> items = new ArrayList<>();
        boolean comma = false;
        while (true) {
            Expr item;
            if (cur.skipOp("(")) {
                item = assignTarget(withAttr);
                cur.expectOp(")");
            } else {
                JinjaToken t = cur.expect(Kind.NAME, "a name to assign to");
                item = new Name(t.offset(), t.text());
                if (withAttr && cur.peek().isOp(".") && cur.peek(1).kind() == Kind.NAME) {
                    cur.next();
                    JinjaToken a = cur.next();
                    item = new GetAttr(a.offset(), item, a.text());
                }
            }
            items.add(item);
            if (!cur.skipOp(",")) {
                break;
            }
            comma = true;
            if (cur.peek().kind() != Kind.NAME && !cur.peek().isOp("(")) {
                break;
            }
        }
        cur.leave();
        return comma ? new ListLit(off, items, true) : items.get(0);
    }
}
