package dev.laocoon.core.internal.pickle;

/** Why a pickle stops where it does: what a loader would raise, or a safety limit. */
public final class PickleError extends Exception {

    public enum Kind {
        /** The data ends before the opcode or its argument is complete ("pickle data was truncated"). */
        TRUNCATED,
        /** The loader would raise: bad opcode, bad operand, stack underflow, missing memo key, ... */
        MALFORMED,
        /** A Laocoon safety cap was hit; the loader itself might have continued. */
        LIMIT
    }

    private final Kind kind;
    private final long offset;

    public PickleError(Kind kind, long offset, String message) {
        super(message, null, false, false);
        this.kind = kind;
        this.offset = offset;
    }

    public Kind kind() {
        return kind;
    }

    /** Byte offset of the opcode being executed when the error happened. */
    public long offset() {
        return offset;
    }
}
