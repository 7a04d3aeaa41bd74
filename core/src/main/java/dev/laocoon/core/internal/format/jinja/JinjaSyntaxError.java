package dev.laocoon.core.internal.format.jinja;

/** A template Jinja would reject (or one too deep to analyse), with the character offset where it happened. */
public final class JinjaSyntaxError extends Exception {
    private final int offset;

    public JinjaSyntaxError(String message, int offset) {
        super(message, null, false, false);
        this.offset = offset;
    }

    public int offset() {
        return offset;
    }
}
