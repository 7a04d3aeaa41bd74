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
import dev.laocoon.core.internal.format.jinja.JinjaAst.ListLit;
import dev.laocoon.core.internal.format.jinja.JinjaAst.Name;
import dev.laocoon.core.internal.format.jinja.JinjaAst.Slice;
import dev.laocoon.core.internal.format.jinja.JinjaAst.Test;
import dev.laocoon.core.internal.format.jinja.JinjaAst.Unary;
import dev.laocoon.core.internal.format.jinja.JinjaToken.Kind;
import java.util.ArrayList;
import java.util.List;

/**
 * The expression grammar of {@link JinjaParser} (precedence from lowest: conditional, {@code or},
 * {@code and}, {@code not}, comparisons, {@code + -}, {@code ~}, {@code * / // %}, {@code **}, unary,
 * then postfix, filters and tests), reading the statement parser's {@link JinjaTokenCursor}. Each
 * level of nesting counts against {@link JinjaParser#MAX_DEPTH} on that cursor.
 */
final class JinjaExpressionParser {
    private final JinjaTokenCursor cur;

    JinjaExpressionParser(JinjaTokenCursor cur) {
        this.cur = cur;
    }

    /** Comma-separated expressions; a tuple when there is a comma (or when empty and allowed). */
    Expr tuple(boolean withCondExpr, boolean explicitEndOnly) throws JinjaSyntaxError {
        int off = cur.peek().offset();
        List<Expr> items = new ArrayList<>();
        boolean comma = false;
        while (true) {
            if (!items.isEmpty()) {
                if (!cur.skipOp(",")) {
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
            throw cur.unexpected("an expression");
        }
        return comma ? new ListLit(off, items, true) : items.get(0);
    }

    private boolean tupleEnds(boolean explicitEndOnly) {
        JinjaToken t = cur.peek();
        if (t.kind() == Kind.VAR_END || t.kind() == Kind.BLOCK_END || t.kind() == Kind.EOF) {
            return true;
        }
        if (t.isOp(")") || t.isOp("]") || t.isOp("}")) {
            return true;
        }
        return !explicitEndOnly && (t.isName("if") || t.isName("recursive"));
    }

    Expr expression(boolean withCondExpr) throws JinjaSyntaxError {
        cur.enter();
        Expr e = withCondExpr ? condExpr() : or();
        cur.leave();
        return e;
    }

    private Expr condExpr() throws JinjaSyntaxError {
        Expr e = or();
        while (cur.peek().isName("if")) {
            int off = cur.next().offset();
            Expr test = or();
            Expr orElse = null;
            if (cur.skipName("else")) {
                cur.enter();
                orElse = condExpr();
                cur.leave();
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
        while (cur.peek().kind() == kind && ops.contains(cur.peek().text())) {
            cur.enter();
            links++;
            JinjaToken t = cur.next();
            e = new Binary(t.offset(), t.text(), e, operand.parse());
        }
        cur.leave(links);
        return e;
    }

    private Expr not() throws JinjaSyntaxError {
        if (cur.peek().isName("not")) {
            int off = cur.next().offset();
            cur.enter();
            Expr e = new Unary(off, "not", not());
            cur.leave();
            return e;
        }
        return compare();
    }

    private Expr compare() throws JinjaSyntaxError {
        int off = cur.peek().offset();
        Expr first = add();
        List<String> ops = new ArrayList<>();
        List<Expr> operands = new ArrayList<>();
        while (true) {
            JinjaToken t = cur.peek();
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
                    cur.next();
                }
            } else if (t.isName("in")) {
                cur.next();
                op = "in";
            } else if (t.isName("not") && cur.peek(1).isName("in")) {
                cur.next();
                cur.next();
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
        cur.enter();
        Expr e;
        if (cur.peek().isOp("-") || cur.peek().isOp("+")) {
            JinjaToken t = cur.next();
            e = new Unary(t.offset(), t.text(), unary(false));
        } else {
            e = postfix(primary());
        }
        if (withFilter) {
            e = filterExpr(e);
        }
        cur.leave();
        return e;
    }

    private Expr primary() throws JinjaSyntaxError {
        JinjaToken t = cur.peek();
        switch (t.kind()) {
            case NAME -> {
                cur.next();
                return switch (t.text()) {
                    case "true", "True" -> new Const(t.offset(), Boolean.TRUE);
                    case "false", "False" -> new Const(t.offset(), Boolean.FALSE);
                    case "none", "None" -> new Const(t.offset(), null);
                    default -> new Name(t.offset(), t.text());
                };
            }
            case STRING -> {
                StringBuilder sb = new StringBuilder();
                while (cur.peek().kind() == Kind.STRING) {
                    sb.append(cur.next().text());
                }
                return new Const(t.offset(), sb.toString());
            }
            case INT, FLOAT -> {
                cur.next();
                return new Const(t.offset(), t.number());
            }
            default -> {
            }
        }
        if (t.isOp("(")) {
            cur.next();
            if (cur.skipOp(")")) {
                return new ListLit(t.offset(), List.of(), true);
            }
            Expr e = tuple(true, true);
            cur.expectOp(")");
            return e;
        }
        if (t.isOp("[")) {
            cur.next();
            List<Expr> items = new ArrayList<>();
            while (!cur.peek().isOp("]")) {
                if (!items.isEmpty()) {
                    cur.expectOp(",");
                    if (cur.peek().isOp("]")) {
                        break;
                    }
                }
                items.add(expression(true));
            }
            cur.expectOp("]");
            return new ListLit(t.offset(), items, false);
        }
        if (t.isOp("{")) {
            cur.next();
            List<Expr> keys = new ArrayList<>();
            List<Expr> values = new ArrayList<>();
            while (!cur.peek().isOp("}")) {
                if (!keys.isEmpty()) {
                    cur.expectOp(",");
                    if (cur.peek().isOp("}")) {
                        break;
                    }
                }
                keys.add(expression(true));
                cur.expectOp(":");
                values.add(expression(true));
            }
            cur.expectOp("}");
            return new DictLit(t.offset(), keys, values);
        }
        throw cur.unexpected("an expression");
    }

    private Expr postfix(Expr e) throws JinjaSyntaxError {
        // each link makes the tree one level deeper, so it counts against the nesting limit
        int links = 0;
        while (true) {
            JinjaToken t = cur.peek();
            if (t.isOp(".") || t.isOp("[") || t.isOp("(")) {
                cur.enter();
                links++;
            }
            if (t.isOp(".")) {
                cur.next();
                JinjaToken a = cur.next();
                if (a.kind() == Kind.NAME) {
                    e = new GetAttr(a.offset(), e, a.text());
                } else if (a.kind() == Kind.INT) {
                    e = new GetItem(a.offset(), e, new Const(a.offset(), a.number()));
                } else {
                    cur.back();
                    throw cur.unexpected("an attribute name");
                }
            } else if (t.isOp("[")) {
                cur.next();
                e = new GetItem(t.offset(), e, subscript());
            } else if (t.isOp("(")) {
                e = new Call(t.offset(), e, args());
            } else {
                cur.leave(links);
                return e;
            }
        }
    }

    private Expr subscript() throws JinjaSyntaxError {
        int off = cur.peek().offset();
        List<Expr> items = new ArrayList<>();
        while (true) {
            items.add(subscribed());
            if (!cur.skipOp(",")) {
                break;
            }
            if (cur.peek().isOp("]")) {
                break;
            }
        }
        cur.expectOp("]");
        return items.size() == 1 ? items.get(0) : new ListLit(off, items, true);
    }

    private Expr subscribed() throws JinjaSyntaxError {
        int off = cur.peek().offset();
        Expr start = null;
        if (!cur.peek().isOp(":")) {
            start = expression(true);
            if (!cur.peek().isOp(":")) {
                return start;
            }
        }
        cur.next();
        Expr stop = null;
        Expr step = null;
        if (!cur.peek().isOp("]") && !cur.peek().isOp(",") && !cur.peek().isOp(":")) {
            stop = expression(true);
        }
        if (cur.skipOp(":")) {
            if (!cur.peek().isOp("]") && !cur.peek().isOp(",")) {
                step = expression(true);
            }
        }
        return new Slice(off, start, stop, step);
    }

    private Args args() throws JinjaSyntaxError {
        cur.expectOp("(");
        List<Expr> positional = new ArrayList<>();
        List<String> names = new ArrayList<>();
        List<Expr> values = new ArrayList<>();
        Expr star = null;
        Expr dstar = null;
        boolean first = true;
        while (!cur.peek().isOp(")")) {
            if (!first) {
                cur.expectOp(",");
                if (cur.peek().isOp(")")) {
                    break;
                }
            }
            first = false;
            if (cur.skipOp("*")) {
                star = expression(true);
            } else if (cur.skipOp("**")) {
                dstar = expression(true);
            } else if (cur.peek().kind() == Kind.NAME && cur.peek(1).isOp("=")) {
                names.add(cur.next().text());
                cur.next();
                values.add(expression(true));
            } else {
                positional.add(expression(true));
            }
        }
        cur.expectOp(")");
        return new Args(positional, names, values, star, dstar);
    }

    private Expr filterExpr(Expr e) throws JinjaSyntaxError {
        int links = 0;
        while (true) {
            if (cur.peek().isOp("|") || cur.peek().isName("is") || cur.peek().isOp("(")) {
                cur.enter(); // each link makes the tree one level deeper
                links++;
            }
            if (cur.peek().isOp("|")) {
                e = filter(e);
            } else if (cur.peek().isName("is")) {
                e = test(e);
            } else if (cur.peek().isOp("(")) {
                e = new Call(cur.peek().offset(), e, args());
            } else {
                cur.leave(links);
                return e;
            }
        }
    }

    Expr filter(Expr value) throws JinjaSyntaxError {
        return filter(value, true);
    }

    Expr filter(Expr value, boolean pipe) throws JinjaSyntaxError {
        if (pipe) {
            cur.expectOp("|");
        }
        JinjaToken t = cur.expect(Kind.NAME, "a filter name");
        StringBuilder name = new StringBuilder(t.text());
        while (cur.peek().isOp(".") && cur.peek(1).kind() == Kind.NAME) {
            cur.next();
            name.append('.').append(cur.next().text());
        }
        Args a = cur.peek().isOp("(") ? args() : Args.NONE;
        return new Filter(t.offset(), value, name.toString(), a);
    }

    private Expr test(Expr value) throws JinjaSyntaxError {
        cur.next(); // is
        boolean negated = cur.skipName("not");
        JinjaToken t = cur.expect(Kind.NAME, "a test name");
        StringBuilder name = new StringBuilder(t.text());
        while (cur.peek().isOp(".") && cur.peek(1).kind() == Kind.NAME) {
            cur.next();
            name.append('.').append(cur.next().text());
        }
        Args a = Args.NONE;
        if (cur.peek().isOp("(")) {
            a = args();
        } else {
            JinjaToken n = cur.peek();
            boolean argStarts = switch (n.kind()) {
                case NAME -> !(n.text().equals("else") || n.text().equals("or") || n.text().equals("and")
                        || n.text().equals("if") || n.text().equals("in") || n.text().equals("not")
                        || n.text().equals("is") || n.text().equals("recursive"));
                case STRING, INT, FLOAT -> true;
                case OP -> n.text().equals("[") || n.text().equals("{");
                default -> false;
            };
            if (argStarts) {
                cur.enter();
                Expr arg = postfix(primary());
                cur.leave();
                a = new Args(List.of(arg), List.of(), List.of(), null, null);
            }
        }
        return new Test(t.offset(), value, name.toString(), a, negated);
    }
}
