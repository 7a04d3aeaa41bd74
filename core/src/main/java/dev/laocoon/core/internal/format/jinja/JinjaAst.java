package dev.laocoon.core.internal.format.jinja;

import java.util.List;

/**
 * The syntax tree of a Jinja template. Every node carries the character offset where it starts
 * (for attribute access: where the attribute name starts), so findings can point at it.
 */
public final class JinjaAst {
    private JinjaAst() {
    }

    /** Any node. */
    public sealed interface Node permits Stmt, Expr {
        int offset();
    }

    /** Statements: what a template body is made of. */
    public sealed interface Stmt extends Node {
    }

    /** Expressions. */
    public sealed interface Expr extends Node {
    }

    // ------------------------------------------------------------------ statements

    public record Text(int offset, String text) implements Stmt {
    }

    public record Output(int offset, Expr expr) implements Stmt {
    }

    /** {@code if}/{@code elif} branches in order, then the {@code else} body (maybe empty). */
    public record If(int offset, List<Expr> tests, List<List<Stmt>> bodies, List<Stmt> orElse) implements Stmt {
    }

    public record For(int offset, Expr target, Expr iter, Expr filter, boolean recursive, List<Stmt> body,
            List<Stmt> orElse) implements Stmt {
    }

    /** {@code {% set target = value %}}; the target is a name, a tuple of names or {@code ns.attr}. */
    public record Set(int offset, Expr target, Expr value) implements Stmt {
    }

    /** {@code {% set target | filters %}body{% endset %}}; {@code filter} is applied to a {@link Hole} (or null). */
    public record SetBlock(int offset, Expr target, Expr filter, List<Stmt> body) implements Stmt {
    }

    public record Macro(int offset, String name, List<String> params, List<Expr> defaults, List<Stmt> body)
            implements Stmt {
    }

    /** {@code {% call(params) macro(args) %}body{% endcall %}}. */
    public record CallBlock(int offset, Call call, List<String> params, List<Expr> defaults, List<Stmt> body)
            implements Stmt {
    }

    /** {@code {% filter f %}body{% endfilter %}}: {@code filter} is applied to a {@link Hole}. */
    public record FilterBlock(int offset, Expr filter, List<Stmt> body) implements Stmt {
    }

    public record With(int offset, List<Expr> targets, List<Expr> values, List<Stmt> body) implements Stmt {
    }

    /** A block with no semantics of its own for the analysis: {@code generation}, {@code autoescape}, {@code block}. */
    public record Scoped(int offset, String tag, Expr argument, List<Stmt> body) implements Stmt {
    }

    /** {@code break} or {@code continue}. */
    public record LoopControl(int offset, String tag) implements Stmt {
    }

    public record Do(int offset, Expr expr) implements Stmt {
    }

    /** {@code import}, {@code from}, {@code include} or {@code extends}: the template names another template. */
    public record Load(int offset, String tag, Expr template) implements Stmt {
    }

    // ------------------------------------------------------------------ expressions

    /** A literal: {@code String}, {@code BigInteger}, {@code Double}, {@code Boolean}, or null for none. */
    public record Const(int offset, Object value) implements Expr {
    }

    public record Name(int offset, String name) implements Expr {
    }

    /** The value a filter block or a block set filters (their body's output). */
    public record Hole(int offset) implements Expr {
    }

    public record ListLit(int offset, List<Expr> items, boolean tuple) implements Expr {
    }

    public record DictLit(int offset, List<Expr> keys, List<Expr> values) implements Expr {
    }

    /** {@code not}, unary {@code -} or {@code +}. */
    public record Unary(int offset, String op, Expr operand) implements Expr {
    }

    /** {@code or and + - * / // % ** ~}. */
    public record Binary(int offset, String op, Expr left, Expr right) implements Expr {
    }

    /** {@code a < b == c in d not in e}: operators are {@code eq ne lt lteq gt gteq in notin}. */
    public record Compare(int offset, Expr first, List<String> ops, List<Expr> operands) implements Expr {
    }

    public record CondExpr(int offset, Expr test, Expr then, Expr orElse) implements Expr {
    }

    /** {@code obj.name}; the offset is that of the name. */
    public record GetAttr(int offset, Expr obj, String name) implements Expr {
    }

    public record GetItem(int offset, Expr obj, Expr key) implements Expr {
    }

    public record Slice(int offset, Expr start, Expr stop, Expr step) implements Expr {
    }

    /** Call arguments: positional, keyword (names and values in order), {@code *args}, {@code **kwargs}. */
    public record Args(List<Expr> positional, List<String> keywordNames, List<Expr> keywordValues, Expr star,
            Expr doubleStar) {

        public static final Args NONE = new Args(List.of(), List.of(), List.of(), null, null);

        /** The keyword argument {@code name}, or null. */
        public Expr keyword(String name) {
            int i = keywordNames.indexOf(name);
            return i < 0 ? null : keywordValues.get(i);
        }
    }

    public record Call(int offset, Expr callee, Args args) implements Expr {
    }

    /** {@code value|name(args)}; the offset is that of the filter name. */
    public record Filter(int offset, Expr value, String name, Args args) implements Expr {
    }

    /** {@code value is [not] name(args)}. */
    public record Test(int offset, Expr value, String name, Args args, boolean negated) implements Expr {
    }
}
