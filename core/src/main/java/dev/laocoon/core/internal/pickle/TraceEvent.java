package dev.laocoon.core.internal.pickle;

/** Something a loader would do while reading a pickle, recorded with the opcode's offset. */
public sealed interface TraceEvent
        permits TraceEvent.Import, TraceEvent.Invoke, TraceEvent.Extension, TraceEvent.PersistentLoad,
                TraceEvent.FrameIssue, TraceEvent.OutOfBand, TraceEvent.RawBytes {

    long offset();

    Opcode opcode();

    /** find_class(module, name): GLOBAL, STACK_GLOBAL, INST. */
    record Import(long offset, Opcode opcode, GlobalName name) implements TraceEvent {
    }

    /** How a call is made. */
    enum CallKind {
        /** callable(*args): REDUCE, INST, OBJ. */
        CALL,
        /** cls.__new__(cls, *args, **kwargs): NEWOBJ, NEWOBJ_EX. */
        NEW,
        /** inst.__setstate__(state) or attribute assignment: BUILD. */
        SETSTATE,
        /** obj.extend/append/add/__setitem__ on an object that is not a builtin container. */
        METHOD
    }

    /**
     * A call. {@code target} is the callable (CALL, NEW) or the object (SETSTATE, METHOD);
     * {@code args} the positional arguments (a tuple) or the state; {@code result} the value the
     * call produced, null for SETSTATE and METHOD. {@code method} names the method for METHOD.
     */
    record Invoke(long offset, Opcode opcode, CallKind kind, Value target, Value args, Value kwargs,
                  Value.Call result, String method) implements TraceEvent {
    }

    /** EXT1/EXT2/EXT4: a callable from the copyreg extension registry. */
    record Extension(long offset, Opcode opcode, long code) implements TraceEvent {
    }

    /** PERSID/BINPERSID: the loader's persistent_load(pid). */
    record PersistentLoad(long offset, Opcode opcode, Value pid) implements TraceEvent {
    }

    /** An inconsistency between FRAME lengths and the opcodes inside them. */
    record FrameIssue(long offset, Opcode opcode, String detail) implements TraceEvent {
    }

    /** Raw bytes the loader reads from the file after this opcode (e.g. joblib array data). */
    record RawBytes(long offset, Opcode opcode, long start, long length, String what) implements TraceEvent {
    }

    /** NEXT_BUFFER: an out-of-band buffer the file does not contain. */
    record OutOfBand(long offset, Opcode opcode) implements TraceEvent {
    }
}
