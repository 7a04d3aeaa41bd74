package dev.laocoon.core.internal.format.jinja;

/**
 * One token of a Jinja template. {@code text} is the source spelling (operators, names) or the
 * decoded value of a string literal or a text run; {@code number} holds numeric literal values.
 */
public record JinjaToken(Kind kind, String text, Number number, int offset) {

    /** Token kinds; {@code VAR_*} delimit {@code {{ }}}, {@code BLOCK_*} delimit {@code {% %}}. */
    public enum Kind { TEXT, VAR_BEGIN, VAR_END, BLOCK_BEGIN, BLOCK_END, NAME, STRING, INT, FLOAT, OP, EOF }

    public boolean is(Kind k, String s) {
        return kind == k && text.equals(s);
    }

    public boolean isOp(String s) {
        return is(Kind.OP, s);
    }

    public boolean isName(String s) {
        return is(Kind.NAME, s);
    }
}
