package dev.laocoon.core.internal.format.jinja;

import dev.laocoon.core.internal.format.jinja.JinjaToken.Kind;
import java.util.List;

/**
 * The position in a template's tokens and the current nesting depth, shared by {@link JinjaParser}
 * (statements) and {@link JinjaExpressionParser} (expressions) so that one limit,
 * {@link JinjaParser#MAX_DEPTH}, covers both.
 */
final class JinjaTokenCursor {
    private final List<JinjaToken> toks;
    private int pos;
    private int depth;

    JinjaTokenCursor(List<JinjaToken> toks) {
        this.toks = toks;
    }

    JinjaToken peek() {
        return toks.get(pos);
    }

    JinjaToken peek(int ahead) {
        return toks.get(Math.min(pos + ahead, toks.size() - 1));
    }

    JinjaToken next() {
        JinjaToken t = toks.get(pos);
        if (t.kind() != Kind.EOF) {
            pos++;
        }
        return t;
    }

    boolean skipOp(String op) {
        if (peek().isOp(op)) {
            pos++;
            return true;
        }
        return false;
    }

    boolean skipName(String name) {
        if (peek().isName(name)) {
            pos++;
            return true;
        }
        return false;
    }

    JinjaToken expectOp(String op) throws JinjaSyntaxError {
        if (!peek().isOp(op)) {
            throw unexpected("'" + op + "'");
        }
        return next();
    }

    JinjaToken expect(Kind k, String what) throws JinjaSyntaxError {
        if (peek().kind() != k) {
            throw unexpected(what);
        }
        return next();
    }

    String expectName() throws JinjaSyntaxError {
        return expect(Kind.NAME, "a name").text();
    }

    JinjaSyntaxError unexpected(String wanted) {
        JinjaToken t = peek();
        String got = switch (t.kind()) {
            case EOF -> "end of template";
            case BLOCK_END, VAR_END -> "end of tag";
            case STRING -> "a string";
            default -> "'" + t.text() + "'";
        };
        return new JinjaSyntaxError("expected " + wanted + ", found " + got, t.offset());
    }

    void enter() throws JinjaSyntaxError {
        if (++depth > JinjaParser.MAX_DEPTH) {
            throw new JinjaSyntaxError("nested deeper than " + JinjaParser.MAX_DEPTH + " levels", peek().offset());
        }
    }

    /** Leaves one level entered with {@link #enter()}. */
    void leave() {
        depth--;
    }

    /** Leaves {@code levels} levels entered with {@link #enter()}. */
    void leave(int levels) {
        depth -= levels;
    }

    /** Steps back one token. */
    void back() {
        pos--;
    }
}
