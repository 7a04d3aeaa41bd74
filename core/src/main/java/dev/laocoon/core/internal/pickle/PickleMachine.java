package dev.laocoon.core.internal.pickle;

import dev.laocoon.core.internal.pickle.PickleError.Kind;
import dev.laocoon.core.internal.pickle.TraceEvent.CallKind;
import dev.laocoon.core.source.ByteSource;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * Symbolic execution of a pickle stream with the semantics of CPython's C unpickler: the same
 * stack, mark stack and memo, the same operand parsing and the same errors at the same places,
 * but every import and call is recorded instead of performed. Pickles are read one after the
 * other, as a loader calling {@code pickle.load} repeatedly on one file does, until the data
 * ends or a pickle fails.
 */
public final class PickleMachine {
    private static final int PREVIEW_CHARS = 256;
    private static final int HIGHEST_PROTOCOL = 5;
    private static final int PREVIEW_CONTAINERS = 20_000;

    private final PickleInput in;
    private final ByteSource source;
    private final RawData rawData;
    /** Pickles a loader reads in the middle of the current one (joblib object arrays). */
    private final List<PickleResult> embedded = new ArrayList<>();
    private int nextIndex;
    private final PickleLimits limits;
    private final long deadline;
    private long totalOpcodes;
    private long keptBytes;
    private int variables;
    private int previewContainers;

    // per pickle
    private Value[] stack = new Value[64];
    private int sp;
    private int[] marks = new int[16];
    private int nmarks;
    private int fence;
    private Memo memo;
    /** Current lengths of bytearrays that APPEND(S) extended. */
    private final Map<Value.Bytes, Long> byteArrayLengths = new IdentityHashMap<>();
    /** Read-only memoryviews READONLY_BUFFER made of bytearrays. */
    private final Map<Value, Boolean> readOnlyViews = new IdentityHashMap<>();
    private int proto;
    private List<TraceEvent> events;
    private long opOffset;

    private PickleMachine(ByteSource source, long start, PickleLimits limits, RawData rawData, long deadline) {
        this.source = source;
        this.rawData = rawData;
        this.limits = limits;
        this.in = new PickleInput(source, start, limits.bufferSize(), limits.maxLine() + 64 * 1024);
        this.deadline = deadline;
    }

    /** Runs every pickle in {@code source} from {@code start} to the end of the data or the first failure. */
    public static PickleTrace run(ByteSource source, long start, PickleLimits limits) {
        return new PickleMachine(source, start, limits, null, System.nanoTime() + limits.maxTime().toNanos()).runStream();
    }

    /** As {@link #run(ByteSource, long, PickleLimits)}, with raw data read after BUILDs as {@code rawData} says. */
    public static PickleTrace run(ByteSource source, long start, PickleLimits limits, RawData rawData) {
        return run(source, start, limits, rawData, System.nanoTime() + limits.maxTime().toNanos());
    }

    /**
     * As {@link #run(ByteSource, long, PickleLimits, RawData)}, stopping (with a limit error) at the
     * absolute {@link System#nanoTime()} value {@code deadline} or when the thread is interrupted.
     */
    public static PickleTrace run(ByteSource source, long start, PickleLimits limits, RawData rawData, long deadline) {
        return new PickleMachine(source, start, limits, rawData, deadline).runStream();
    }

    public static PickleTrace run(ByteSource source) {
        return run(source, 0, PickleLimits.DEFAULT);
    }

    private PickleTrace runStream() {
        List<PickleResult> results = new ArrayList<>();
        long trailing = -1;
        while (true) {
            in.beginPickle();
            long start = in.position();
            if (start >= in.size()) {
                break;
            }
            if (System.nanoTime() > deadline) {
                results.add(new PickleResult(results.size(), start, start, 0, 0, List.of(), null,
                        new PickleError(Kind.LIMIT, start, "analysis took longer than " + limits.maxTime().toSeconds() + " s")));
                break;
            }
            if (results.size() >= limits.maxPickles()) {
                results.add(new PickleResult(results.size(), start, start, 0, 0, List.of(), null,
                        new PickleError(Kind.LIMIT, start, "more than " + limits.maxPickles() + " pickles in one stream")));
                break;
            }
            nextIndex = results.size() + 1;
            embedded.clear();
            PickleResult r = runOne(results.size(), start);
            if (r.error() != null && !results.isEmpty() && r.events().isEmpty() && r.error().kind() != Kind.LIMIT) {
                // Bytes after a complete pickle that run nothing: data a single load() ignores.
                trailing = start;
                break;
            }
            results.add(r);
            results.addAll(embedded);
            if (r.error() != null) {
                break;
            }
            in.endPickle();
            if (rawData != null) {
                RawData.Counted c = rawData.afterPickle(r.index(), r.result());
                if (c != null && !skipCounted(c, results)) {
                    break;
                }
            }
        }
        return new PickleTrace(List.copyOf(results), in.size(), trailing);
    }

    /** Skips the raw bytes a loader reads between pickles; false (with an error result) when they run out. */
    private boolean skipCounted(RawData.Counted c, List<PickleResult> results) {
        in.beginPickle();
        long at = in.position();
        try {
            long count = in.littleEndian(in.readInto(c.countWidth(), at), c.countWidth());
            java.math.BigInteger n = java.math.BigInteger.valueOf(count).multiply(java.math.BigInteger.valueOf(c.unit()))
                    .add(java.math.BigInteger.valueOf(c.extra()));
            if (count < 0 || n.bitLength() > 62 || n.longValue() > in.size()) {
                throw new PickleError(Kind.TRUNCATED, at, c.what() + ": " + count + " items run past the end of the data");
            }
            in.readInto(n.longValue(), at);
            return true;
        } catch (PickleError e) {
            results.add(new PickleResult(results.size(), at, at, 0, 0, List.of(), null, e));
            return false;
        }
    }

    private PickleResult runOne(int index, long start) {
        sp = 0;
        nmarks = 0;
        fence = 0;
        memo = new Memo();
        byteArrayLengths.clear();
        readOnlyViews.clear();
        proto = 0;
        events = new ArrayList<>();
        repeats = null;
        setstates = 0;
        long opcodes = 0;
        PickleError error = null;
        Value result = null;
        try {
            while (true) {
                opOffset = in.position();
                int op = in.readOpcode();
                if (op < 0) {
                    throw new PickleError(Kind.TRUNCATED, opOffset,
                            opcodes == 0 ? "no data" : "pickle data ended before STOP (Ran out of input)");
                }
                opcodes++;
                if ((++totalOpcodes & 0xffff) == 0) {
                    checkBudget();
                }
                if (op == '.') {
                    in.endPickle();
                    result = pop();
                    break;
                }
                step(op);
                checkFrame(op);
            }
        } catch (PickleError e) {
            error = e;
        } catch (LimitExceeded e) {
            error = new PickleError(Kind.LIMIT, opOffset, e.getMessage());
        }
        long end = error == null ? in.position() : opOffset;
        List<TraceEvent> ev = events;
        events = null;
        memo = null;
        Arrays.fill(stack, 0, sp, null);
        return new PickleResult(index, start, end, proto, opcodes, ev, result, error);
    }

    private void checkBudget() {
        if (totalOpcodes > limits.maxOpcodes()) {
            throw new LimitExceeded("more than " + limits.maxOpcodes() + " opcodes");
        }
        if (System.nanoTime() > deadline) {
            throw new LimitExceeded("analysis took longer than " + limits.maxTime().toSeconds() + " s");
        }
        if (Thread.currentThread().isInterrupted()) {
            throw new LimitExceeded("the scan was cancelled");
        }
    }

    /** Frame checks after each opcode; cheap unless a frame is open and this opcode ran past it. */
    private void checkFrame(int op) {
        if (in.frameSkipped) {
            in.frameSkipped = false;
            event(new TraceEvent.FrameIssue(opOffset, Opcode.of(op),
                    "the C unpickler drops bytes " + in.skippedFrom() + ".." + in.skippedTo()
                            + " of a frame because this opcode does not fit in it"));
        }
        long fe = in.frameEnd();
        if (fe >= 0 && op != 0x95 && in.position() > fe) {
            if (opOffset < fe) {
                event(new TraceEvent.FrameIssue(opOffset, Opcode.of(op),
                        "opcode crosses the end of its frame at " + fe));
            }
            in.clearFrame();
        }
    }

    // ------------------------------------------------------------------ opcodes

    private void step(int op) throws PickleError {
        switch (op) {
            case '(' -> {
                if (nmarks >= limits.maxMarks()) {
                    throw new LimitExceeded("more than " + limits.maxMarks() + " nested marks");
                }
                if (nmarks == marks.length) {
                    marks = Arrays.copyOf(marks, nmarks * 2);
                }
                marks[nmarks++] = sp;
                fence = sp;
            }
            case '0' -> {
                if (nmarks > 0 && marks[nmarks - 1] == sp) {
                    popMark();
                } else {
                    pop();
                }
            }
            case '1' -> clearTo(marker());
            case '2' -> {
                if (sp <= fence) {
                    throw underflow();
                }
                push(stack[sp - 1]);
            }
            case 'F' -> {
                byte[] l = line();
                Double d = TextOperands.parseFloat(l);
                if (d == null) {
                    throw malformed("could not convert string to float");
                }
                push(new Value.Float(d));
            }
            case 'I' -> {
                byte[] l = line();
                Object v = TextOperands.parseIntOpcode(l);
                if (v == null) {
                    throw malformed("could not convert string to int");
                }
                push(v instanceof Boolean b ? (b ? Value.TRUE : Value.FALSE) : Value.Int.of((BigInteger) v));
            }
            case 'J' -> push(Value.Int.of((int) in.littleEndian(in.read(4, opOffset), 4)));
            case 'K' -> push(Value.Int.of(in.byteAt(in.read(1, opOffset))));
            case 'M' -> push(Value.Int.of(in.littleEndian(in.read(2, opOffset), 2)));
            case 'L' -> {
                byte[] l = line();
                BigInteger v = TextOperands.parseLongOpcode(l);
                if (v == null) {
                    throw malformed("invalid literal for int() in LONG");
                }
                push(Value.Int.of(v));
            }
            case 'N' -> push(Value.NONE);
            case 'P' -> {
                byte[] l = lineAllowEmpty();
                for (byte b : l) {
                    if (b < 0) {
                        throw malformed("persistent IDs in protocol 0 must be ASCII strings");
                    }
                }
                persistent(Value.Str.latin1(l));
            }
            case 'Q' -> persistent(pop());
            case 'R' -> {
                Value args = pop();
                Value callable = pop();
                call(Opcode.REDUCE, callable, args);
            }
            case 'S' -> {
                byte[] l = lineAllowEmpty();
                int len = l.length;
                if (!(len >= 2 && l[0] == l[len - 1] && (l[0] == '\'' || l[0] == '"'))) {
                    throw malformed("the STRING opcode argument must be quoted");
                }
                byte[] raw = TextOperands.decodeStringEscapes(l, 1, len - 1);
                if (raw == null) {
                    throw malformed("invalid escape in STRING");
                }
                push(latin1(raw, raw.length));
            }
            case 'T' -> binString(size(4));
            case 'U' -> binString(in.byteAt(in.read(1, opOffset)));
            case 'V' -> {
                byte[] l = lineAllowEmpty();
                String s = TextOperands.decodeRawUnicodeEscape(l);
                if (s == null) {
                    throw malformed("truncated or out-of-range \\u escape in UNICODE");
                }
                push(new Value.Str(s));
            }
            case 'X' -> binUnicode(size(4));
            case 'a' -> {
                if (sp - 1 <= fence) {
                    throw underflow();
                }
                doAppend(sp - 1);
            }
            case 'b' -> build();
            case 'c' -> {
                byte[] module = line();
                String m = utf8Strict(module);
                byte[] name = line();
                String n = utf8Strict(name);
                push(importGlobal(Opcode.GLOBAL, m, n));
            }
            case 'd' -> {
                int i = marker();
                if ((sp - i) % 2 != 0) {
                    throw malformed("odd number of items for DICT");
                }
                Value.Container d = container(Value.Kind.DICT);
                for (int k = i; k < sp; k += 2) {
                    hashable(stack[k]);
                    d.put(stack[k], stack[k + 1]);
                }
                clearTo(i);
                push(d);
            }
            case '}' -> push(container(Value.Kind.DICT));
            case 'e' -> doAppend(marker());
            case 'g' -> {
                byte[] l = line();
                Long idx = TextOperands.parseMemoIndex(l);
                if (idx == null) {
                    throw malformed("invalid GET argument");
                }
                push(memoGet(idx));
            }
            case 'h' -> push(memoGet(in.byteAt(in.read(1, opOffset))));
            case 'j' -> push(memoGet(in.littleEndian(in.read(4, opOffset), 4)));
            case 'i' -> {
                int i = marker();
                byte[] module = line();
                String m = ascii(module);
                byte[] name = line();
                String n = ascii(name);
                Value cls = importGlobal(Opcode.INST, m, n);
                Value.Container args = tupleFrom(i);
                instantiate(Opcode.INST, cls, args);
            }
            case 'l' -> {
                int i = marker();
                Value.Container l = container(Value.Kind.LIST);
                for (int k = i; k < sp; k++) {
                    l.add(stack[k]);
                }
                clearTo(i);
                push(l);
            }
            case ']' -> push(container(Value.Kind.LIST));
            case 'o' -> {
                int i = marker();
                if (sp - i < 1) {
                    throw underflow();
                }
                Value.Container args = tupleFrom(i + 1);
                Value cls = pop();
                instantiate(Opcode.OBJ, cls, args);
            }
            case 'p' -> {
                byte[] l = line();
                if (sp <= fence) {
                    throw underflow();
                }
                Long idx = TextOperands.parseMemoIndex(l);
                if (idx == null) {
                    throw malformed("invalid PUT argument");
                }
                if (idx < 0) {
                    throw malformed("negative PUT argument");
                }
                memoPut(idx, stack[sp - 1]);
            }
            case 'q' -> {
                long idx = in.byteAt(in.read(1, opOffset));
                if (sp <= fence) {
                    throw underflow();
                }
                memoPut(idx, stack[sp - 1]);
            }
            case 'r' -> {
                long idx = in.littleEndian(in.read(4, opOffset), 4);
                if (sp <= fence) {
                    throw underflow();
                }
                memoPut(idx, stack[sp - 1]);
            }
            case 's' -> doSetItems(sp - 2);
            case 'u' -> doSetItems(marker());
            case 't' -> push(tupleFrom(marker()));
            case ')' -> push(new Value.Container(Value.Kind.TUPLE));
            case 'G' -> push(new Value.Float(Double.longBitsToDouble(bigEndian8(in.read(8, opOffset)))));
            case 0x80 -> {
                int v = in.byteAt(in.read(1, opOffset));
                if (v > HIGHEST_PROTOCOL) {
                    throw malformed("unsupported pickle protocol: " + v);
                }
                proto = v;
            }
            case 0x81 -> {
                Value args = pop();
                Value cls = pop();
                newObject(Opcode.NEWOBJ, cls, args, null);
            }
            case 0x92 -> {
                Value kwargs = pop();
                Value args = pop();
                Value cls = pop();
                newObject(Opcode.NEWOBJ_EX, cls, args, kwargs);
            }
            case 0x82 -> extension(Opcode.EXT1, in.byteAt(in.read(1, opOffset)));
            case 0x83 -> extension(Opcode.EXT2, in.littleEndian(in.read(2, opOffset), 2));
            case 0x84 -> extension(Opcode.EXT4, (int) in.littleEndian(in.read(4, opOffset), 4));
            case 0x85 -> push(countedTuple(1));
            case 0x86 -> push(countedTuple(2));
            case 0x87 -> push(countedTuple(3));
            case 0x88 -> push(Value.TRUE);
            case 0x89 -> push(Value.FALSE);
            case 0x8a -> countedLong(in.byteAt(in.read(1, opOffset)));
            case 0x8b -> {
                int n = (int) in.littleEndian(in.read(4, opOffset), 4);
                if (n < 0) {
                    throw malformed("LONG pickle has negative byte count");
                }
                countedLong(n);
            }
            case 'B' -> binBytes(size(4), false);
            case 'C' -> binBytes(in.byteAt(in.read(1, opOffset)), false);
            case 0x8e -> binBytes(size(8), false);
            case 0x96 -> binBytes(size(8), true);
            case 0x8c -> binUnicode(in.byteAt(in.read(1, opOffset)));
            case 0x8d -> binUnicode(size(8));
            case 0x8f -> push(container(Value.Kind.SET));
            case 0x90 -> addItems();
            case 0x91 -> {
                int i = marker();
                Value.Container f = container(Value.Kind.FROZENSET);
                for (int k = i; k < sp; k++) {
                    hashable(stack[k]);
                    f.add(stack[k]);
                }
                clearTo(i);
                push(f);
            }
            case 0x93 -> stackGlobal();
            case 0x94 -> {
                if (sp <= fence) {
                    throw underflow();
                }
                memoPut(memo.length(), stack[sp - 1]);
            }
            case 0x95 -> {
                long len = size(8);
                long fe = in.frameEnd();
                if (fe >= 0 && opOffset < fe) {
                    event(new TraceEvent.FrameIssue(opOffset, Opcode.FRAME,
                            "a new FRAME starts before the current frame ends at " + fe));
                }
                in.frame(len, opOffset);
            }
            case 0x97 -> {
                event(new TraceEvent.OutOfBand(opOffset, Opcode.NEXT_BUFFER));
                push(new Value.Opaque("<out-of-band buffer>"));
            }
            case 0x98 -> {
                if (sp <= fence) {
                    throw underflow();
                }
                Value top = stack[sp - 1];
                if (top.isBuiltin() && !(top instanceof Value.Bytes)) {
                    throw malformed("READONLY_BUFFER on an object without the buffer interface");
                }
                if (top instanceof Value.Bytes b && b.kind() == Value.Kind.BYTEARRAY && !readOnlyViews.containsKey(b)) {
                    // replaced by a read-only memoryview: no extend/append, no item assignment,
                    // and still unhashable (hashing a view hashes the bytearray)
                    Value.Bytes view = new Value.Bytes(b.data(), byteArrayLength(b), false, true);
                    readOnlyViews.put(view, Boolean.TRUE);
                    stack[sp - 1] = view;
                }
            }
            default -> {
                String shown = op >= 0x20 && op <= 0x7e && op != '\'' && op != '\\'
                        ? "'" + (char) op + "'" : String.format("'\\x%02x'", op);
                throw malformed("invalid load key, " + shown + ".");
            }
        }
    }

    // ------------------------------------------------------------------ stack

    private void push(Value v) {
        if (sp == stack.length) {
            if (sp >= limits.maxStack()) {
                throw new LimitExceeded("stack deeper than " + limits.maxStack());
            }
            stack = Arrays.copyOf(stack, Math.min(sp * 2, limits.maxStack() + 1));
        }
        stack[sp++] = v;
    }

    private Value pop() throws PickleError {
        if (sp <= fence) {
            throw underflow();
        }
        Value v = stack[--sp];
        stack[sp] = null;
        return v;
    }

    private PickleError underflow() {
        return malformed(nmarks > 0 ? "unexpected MARK found" : "unpickling stack underflow");
    }

    private PickleError malformed(String message) {
        return new PickleError(Kind.MALFORMED, opOffset, message);
    }

    private int marker() throws PickleError {
        if (nmarks < 1) {
            throw malformed("could not find MARK");
        }
        int mark = marks[--nmarks];
        fence = nmarks > 0 ? marks[nmarks - 1] : 0;
        return mark;
    }

    private void popMark() {
        nmarks--;
        fence = nmarks > 0 ? marks[nmarks - 1] : 0;
    }

    private void clearTo(int i) {
        if (i < sp) {
            Arrays.fill(stack, i, sp, null);
            sp = i;
        }
    }

    private Value.Container tupleFrom(int start) throws PickleError {
        if (start < fence) {
            throw underflow();
        }
        Value.Container t = new Value.Container(Value.Kind.TUPLE, Math.max(Value.PREVIEW_ITEMS, limits.containerItems()));
        for (int k = start; k < sp; k++) {
            t.add(stack[k]);
        }
        clearTo(start);
        return t;
    }

    private Value.Container countedTuple(int n) throws PickleError {
        if (sp < n) {
            throw underflow();
        }
        return tupleFrom(sp - n);
    }

    private void hashable(Value v) throws PickleError {
        if (v.unhashable()) {
            throw malformed("unhashable type: '" + v.kind().name().toLowerCase() + "'");
        }
    }

    // ------------------------------------------------------------------ operands

    /** A text operand line without its newline; CPython reports lines shorter than 2 bytes as truncated. */
    private byte[] line() throws PickleError {
        byte[] l = lineAllowEmpty();
        if (l.length < 1) {
            throw new PickleError(Kind.TRUNCATED, opOffset, "pickle data was truncated");
        }
        return l;
    }

    private byte[] lineAllowEmpty() throws PickleError {
        long[] r = in.readLine(opOffset);
        long len = r[1] - 1;
        if (len > limits.maxLine()) {
            throw new LimitExceeded("text operand longer than " + limits.maxLine() + " bytes");
        }
        return in.bytes(r[0], (int) len);
    }

    private long size(int nbytes) throws PickleError {
        long v = in.littleEndian(in.read(nbytes, opOffset), nbytes);
        if (nbytes == 8 && v < 0) {
            throw malformed("length exceeds the system's maximum size");
        }
        return v;
    }

    private long bigEndian8(long pos) {
        long v = 0;
        for (int i = 0; i < 8; i++) {
            v = (v << 8) | in.byteAt(pos + i);
        }
        return v;
    }

    private String utf8Strict(byte[] b) throws PickleError {
        if (!Utf8.valid(b, false)) {
            throw malformed("'utf-8' codec can't decode the global name");
        }
        return Utf8.decode(b, b.length);
    }

    private String ascii(byte[] b) throws PickleError {
        for (byte x : b) {
            if (x < 0) {
                throw malformed("'ascii' codec can't decode the INST name");
            }
        }
        return new String(b, StandardCharsets.ISO_8859_1);
    }

    /** How much of an operand to keep: all of it up to the cap while the budget lasts, else a preview. */
    private int keep(long len) {
        if (len <= limits.keepString() && keptBytes + len <= limits.keepBudget()) {
            keptBytes += len;
            return (int) len;
        }
        return (int) Math.min(len, PREVIEW_CHARS);
    }

    private Value latin1(byte[] raw, long fullLength) {
        return raw.length == fullLength ? Value.Str.latin1(raw)
                : Value.Str.partial(new String(raw, StandardCharsets.ISO_8859_1), fullLength);
    }

    private void binString(long n) throws PickleError {
        long start = in.read(n, opOffset);
        int k = keep(n);
        push(latin1(in.bytes(start, k), n));
    }

    private void binUnicode(long n) throws PickleError {
        long start = in.read(n, opOffset);
        int k = keep(n);
        byte[] head = in.bytes(start, k);
        boolean ascii = true;
        for (byte b : head) {
            if (b < 0) {
                ascii = false;
                break;
            }
        }
        if (!ascii || k < n) {
            Utf8 u = new Utf8(true);
            boolean ok = u.feed(head, 0, k);
            if (ok && k < n) {
                byte[] chunk = new byte[64 * 1024];
                for (long p = start + k; ok && p < start + n; p += chunk.length) {
                    checkBudget();
                    int c = (int) Math.min(chunk.length, start + n - p);
                    in.copy(p, chunk, 0, c);
                    ok = u.feed(chunk, 0, c);
                }
            }
            if (!ok || !u.finish()) {
                throw malformed("'utf-8' codec can't decode BINUNICODE data");
            }
        }
        if (k == n) {
            push(ascii ? Value.Str.latin1(head) : new Value.Str(Utf8.decode(head, k)));
        } else {
            push(Value.Str.partial(Utf8.decode(head, k), n));
        }
    }

    private void binBytes(long n, boolean mutable) throws PickleError {
        long start = in.readInto(n, opOffset);
        int k = keep(n);
        push(new Value.Bytes(in.bytes(start, k), n, k == n, mutable));
    }

    private void countedLong(int n) throws PickleError {
        if (n == 0) {
            push(Value.Int.of(0));
            return;
        }
        long start = in.read(n, opOffset);
        int k = Math.min(n, 4096);
        byte[] le = in.bytes(start, k);
        byte[] be = new byte[k];
        for (int i = 0; i < k; i++) {
            be[i] = le[k - 1 - i];
        }
        push(Value.Int.of(new BigInteger(be)));
    }

    // ------------------------------------------------------------------ memo

    private Value memoGet(long idx) throws PickleError {
        Value v = memo.get(idx);
        if (v == null) {
            throw malformed("Memo value not found at index " + idx);
        }
        return v;
    }

    private void memoPut(long idx, Value v) {
        if (memo.length() >= limits.maxMemo() && memo.get(idx) == null) {
            throw new LimitExceeded("more than " + limits.maxMemo() + " memo entries");
        }
        memo.put(idx, v);
    }

    /**
     * Dense array for keys that come roughly in order (MEMOIZE, BINPUT of a counter), a map for
     * the rest, so that one PUT of a huge index cannot make the scanner allocate a huge array.
     * length counts keys set, as CPython's memo_len does (MEMOIZE stores at that index).
     */
    private static final class Memo {
        private Value[] dense = new Value[32];
        private Map<Long, Value> sparse;
        private int length;

        Value get(long idx) {
            if (idx >= 0 && idx < dense.length) {
                Value v = dense[(int) idx];
                if (v != null || sparse == null) {
                    return v;
                }
            }
            return sparse == null ? null : sparse.get(idx);
        }

        void put(long idx, Value v) {
            if (idx >= dense.length && idx >= 0 && idx <= 2L * length + 64 && idx < Integer.MAX_VALUE - 8) {
                dense = Arrays.copyOf(dense, (int) Math.min(Integer.MAX_VALUE - 8, Math.max(idx + 1, dense.length * 2L)));
            }
            if (idx >= 0 && idx < dense.length) {
                if (dense[(int) idx] == null && (sparse == null || sparse.remove(idx) == null)) {
                    length++;
                }
                dense[(int) idx] = v;
                return;
            }
            if (sparse == null) {
                sparse = new HashMap<>();
            }
            if (sparse.put(idx, v) == null) {
                length++;
            }
        }

        int length() {
            return length;
        }
    }

    // ------------------------------------------------------------------ imports and calls

    /**
     * Calls of one callable kept in the trace before further calls like them are only counted.
     * Ordinary large data repeats the same few reconstructors (a tensor rebuild per tensor, an array
     * allocation and BUILD per array): kept, 80,000 tensors would reach the event limit. A call
     * is only dropped when nothing new could be learnt from it: its callable was called this often
     * before, its arguments hold no imported object the earlier calls did not hand it, and no result
     * of a name-resolving helper (getattr, ...). Where containers keep every item (convert),
     * everything is kept.
     */
    static final int REPEATS_KEPT = 1000;
    private static final java.util.Set<String> RESOLVERS = java.util.Set.of("getattr", "_ufunc_reconstruct", "getitem", "type");

    /** Per callable (identity of the import): calls seen, and the globals its kept calls were handed. */
    private static final class Repeats {
        int calls;
        final java.util.Set<GlobalName> handed = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
    }

    private Map<GlobalName, Repeats> repeats;
    private int setstates;

    private boolean repeated(TraceEvent e) {
        if (limits.containerItems() > Value.PREVIEW_ITEMS || !(e instanceof TraceEvent.Invoke inv)) {
            return false;
        }
        if (inv.kind() == CallKind.SETSTATE) {
            return inv.target() instanceof Value.Call && !holdsCode(inv.args(), null) && ++setstates > REPEATS_KEPT;
        }
        if ((inv.kind() != CallKind.CALL && inv.kind() != CallKind.NEW) || !(inv.target() instanceof Value.Global g)
                || RESOLVERS.contains(g.name().resolvedName())) {
            return false;
        }
        if (repeats == null) {
            repeats = new IdentityHashMap<>();
        }
        Repeats r = repeats.get(g.name()); // no lambda: start-up time
        if (r == null) {
            r = new Repeats();
            repeats.put(g.name(), r);
        }
        if (r.calls < REPEATS_KEPT) {
            r.calls++;
            remember(inv.args(), r.handed);
            remember(inv.kwargs(), r.handed);
            return false;
        }
        return !holdsCode(inv.args(), r.handed) && !holdsCode(inv.kwargs(), r.handed);
    }

    private static void remember(Value v, java.util.Set<GlobalName> into) {
        if (v instanceof Value.Global g) {
            into.add(g.name());
        } else if (v instanceof Value.Container c) {
            for (int i = 0; i < c.globalCount(); i++) {
                into.add(c.global(i).name());
            }
        }
    }

    /** True when {@code v} holds a global not in {@code seen}, or a result of a name-resolving helper. */
    private static boolean holdsCode(Value v, java.util.Set<GlobalName> seen) {
        if (v == null) {
            return false;
        }
        if (v instanceof Value.Global g) {
            return seen == null || !seen.contains(g.name());
        }
        if (v instanceof Value.Call c) {
            GlobalName root = c.rootGlobal();
            return root == null || RESOLVERS.contains(root.resolvedName());
        }
        if (v instanceof Value.Container c) {
            if (c.globalsOverflow()) {
                return true;
            }
            for (int i = 0; i < c.globalCount(); i++) {
                if (seen == null || !seen.contains(c.global(i).name())) {
                    return true;
                }
            }
            for (int i = 0; i < c.keptCount(); i++) {
                if (c.item(i) instanceof Value.Call call) {
                    GlobalName root = call.rootGlobal();
                    if (root == null || RESOLVERS.contains(root.resolvedName())) {
                        return true;
                    }
                }
            }
        }
        return false;
    }

    private void event(TraceEvent e) {
        if (repeated(e)) {
            return;
        }
        if (events.size() >= limits.maxEvents()) {
            throw new LimitExceeded("more than " + limits.maxEvents() + " imports and calls");
        }
        events.add(e);
    }

    private Value importGlobal(Opcode op, String module, String name) {
        GlobalName g = CompatNames.resolve(module, name, proto);
        event(new TraceEvent.Import(opOffset, op, g));
        return new Value.Global(g);
    }

    private void stackGlobal() throws PickleError {
        Value name = pop();
        Value module = pop();
        boolean certainStr = module instanceof Value.Str && name instanceof Value.Str;
        if ((module.isBuiltin() && !(module instanceof Value.Str)) || (name.isBuiltin() && !(name instanceof Value.Str))) {
            throw malformed("STACK_GLOBAL requires str");
        }
        if (certainStr) {
            Value.Str m = (Value.Str) module;
            Value.Str n = (Value.Str) name;
            GlobalName g = CompatNames.resolve(m.text(), n.text(), proto);
            if (!m.complete() || !n.complete()) {
                g = new GlobalName(m.text(), n.text(), m.text(), n.text(), proto, false);
            }
            event(new TraceEvent.Import(opOffset, Opcode.STACK_GLOBAL, g));
            push(new Value.Global(g));
            return;
        }
        // An operand computed at load time: the scanner cannot know what is imported.
        String m = module.render(60);
        String n = name.render(60);
        GlobalName g = new GlobalName(m, n, m, n, proto, false);
        event(new TraceEvent.Import(opOffset, Opcode.STACK_GLOBAL, g));
        push(new Value.Global(g));
    }

    /**
     * A new list, dict, set or frozenset. Their items are kept for previews only, so after
     * {@link #PREVIEW_CONTAINERS} of them a stream's containers track just their size: memory
     * then grows with the memo alone. Tuples (call arguments) always keep their first items.
     */
    private Value.Container container(Value.Kind kind) {
        if (limits.containerItems() > Value.PREVIEW_ITEMS) {
            return new Value.Container(kind, limits.containerItems());
        }
        return new Value.Container(kind, previewContainers++ < PREVIEW_CONTAINERS);
    }

    private Value.Call newCall(Value callee, Value args) {
        return new Value.Call(callee, args, "_v" + (variables++));
    }

    private static boolean callable(Value v) {
        return !v.isBuiltin();
    }

    private void call(Opcode op, Value callable, Value args) throws PickleError {
        if (args.isBuiltin() && args.kind() != Value.Kind.TUPLE) {
            throw malformed("argument list must be a tuple");
        }
        if (!callable(callable)) {
            throw malformed("'" + callable.kind().name().toLowerCase() + "' object is not callable");
        }
        Value.Call result = newCall(callable, args);
        event(new TraceEvent.Invoke(opOffset, op, CallKind.CALL, callable, args, null, result, null));
        push(result);
    }

    private void instantiate(Opcode op, Value cls, Value.Container args) throws PickleError {
        if (!callable(cls)) {
            throw malformed("'" + cls.kind().name().toLowerCase() + "' object is not callable");
        }
        Value.Call result = newCall(cls, args);
        event(new TraceEvent.Invoke(opOffset, op, CallKind.CALL, cls, args, null, result, null));
        push(result);
    }

    private void newObject(Opcode op, Value cls, Value args, Value kwargs) throws PickleError {
        String name = op == Opcode.NEWOBJ ? "NEWOBJ" : "NEWOBJ_EX";
        if (cls.isBuiltin()) {
            throw malformed(name + " class argument must be a type");
        }
        if (args.isBuiltin() && args.kind() != Value.Kind.TUPLE) {
            throw malformed(name + " args argument must be a tuple");
        }
        if (kwargs != null && kwargs.isBuiltin() && kwargs.kind() != Value.Kind.DICT) {
            throw malformed(name + " kwargs argument must be a dict");
        }
        Value.Call result = newCall(cls, args);
        event(new TraceEvent.Invoke(opOffset, op, CallKind.NEW, cls, args, kwargs, result, null));
        push(result);
    }

    private void build() throws PickleError {
        if (sp - 2 < fence) {
            throw underflow();
        }
        Value state = pop();
        Value inst = stack[sp - 1];
        if (inst.isBuiltin()) {
            // Builtin objects have no __setstate__ and no __dict__: CPython's default BUILD only
            // succeeds when the state sets nothing: None, or (None, {}) (a slot state must be a dict).
            if (!setsNothing(state)) {
                throw malformed("BUILD on a " + inst.kind().name().toLowerCase() + " object");
            }
            return;
        }
        if (inst instanceof Value.Call c) {
            c.setState(state);
        }
        event(new TraceEvent.Invoke(opOffset, Opcode.BUILD, CallKind.SETSTATE, inst, state, null, null, "__setstate__"));
        if (rawData != null) {
            RawData.Plan plan = rawData.afterBuild(inst, state);
            if (plan != null) {
                readRaw(plan);
            }
        }
    }

    /** Consumes what the loader reads from the file after this BUILD (never interpreted as opcodes). */
    private void readRaw(RawData.Plan plan) throws PickleError {
        long start = in.position();
        long fe = in.frameEnd();
        if (fe >= 0) {
            // The writer ends its frame before raw data; data inside a frame is read twice differently.
            if (start < fe) {
                event(new TraceEvent.FrameIssue(opOffset, Opcode.BUILD,
                        "raw data read after BUILD starts inside a frame that ends at " + fe));
            }
            in.clearFrame();
        }
        if (plan.pickle()) {
            PickleMachine sub = new PickleMachine(source, start, limits, rawData, deadline);
            sub.nextIndex = nextIndex + 1;
            sub.in.beginPickle();
            PickleResult r = sub.runOne(nextIndex++, start);
            embedded.add(r);
            embedded.addAll(sub.embedded);
            nextIndex += sub.embedded.size();
            if (r.error() != null) {
                throw new PickleError(r.error().kind(), r.error().offset(), "embedded pickle: " + r.error().getMessage());
            }
            in.readInto(r.end() - start, opOffset);
            event(new TraceEvent.RawBytes(opOffset, Opcode.BUILD, start, r.end() - start, plan.what()));
            return;
        }
        if (plan.alignmentPadding()) {
            int pad = in.byteAt(in.readInto(1, opOffset));
            in.readInto(pad, opOffset);
        }
        long dataStart = in.position();
        in.readInto(plan.bytes(), opOffset);
        event(new TraceEvent.RawBytes(opOffset, Opcode.BUILD, dataStart, plan.bytes(), plan.what()));
    }

    /**
     * Whether CPython's default BUILD (no {@code __setstate__}) may leave an object without
     * {@code __dict__} alone: state None, or a (state, slotstate) pair whose state is None and
     * whose slotstate is an empty dict (None is "slot state is not a dictionary" in the C
     * unpickler). Values computed at load time may be anything.
     */
    private static boolean setsNothing(Value state) {
        if (!state.isBuiltin() || state.kind() == Value.Kind.NONE) {
            return true;
        }
        if (state.kind() == Value.Kind.TUPLE && state instanceof Value.Container t && t.size() == 2) {
            Value s = t.item(0);
            Value slots = t.item(1);
            boolean stateOk = !s.isBuiltin() || s.kind() == Value.Kind.NONE;
            boolean slotsOk = !slots.isBuiltin()
                    || (slots.kind() == Value.Kind.DICT && ((Value.Container) slots).size() == 0);
            return stateOk && slotsOk;
        }
        return false;
    }

    private void persistent(Value pid) {
        event(new TraceEvent.PersistentLoad(opOffset, Opcode.of(in.byteAt(opOffset)), pid));
        push(new Value.Persistent(pid));
    }

    private void extension(Opcode op, long code) throws PickleError {
        if (code <= 0) {
            throw malformed("EXT specifies code <= 0");
        }
        event(new TraceEvent.Extension(opOffset, op, code));
        push(new Value.Opaque("<extension " + code + ">"));
    }

    private void doAppend(int x) throws PickleError {
        int len = sp;
        if (x > len || x <= fence) {
            throw underflow();
        }
        if (len == x) {
            return;
        }
        Value target = stack[x - 1];
        if (target.kind() == Value.Kind.LIST) {
            Value.Container l = (Value.Container) target;
            for (int k = x; k < len; k++) {
                l.add(stack[k]);
            }
        } else if (target.kind() == Value.Kind.BYTEARRAY && !readOnlyViews.containsKey(target)) {
            // bytearray.extend(items): every item must be an int in range(256)
            for (int k = x; k < len; k++) {
                checkByte(stack[k]);
            }
            Value.Bytes b = (Value.Bytes) target;
            byteArrayLengths.put(b, byteArrayLength(b) + (len - x));
        } else if (target.isBuiltin()) {
            throw malformed("'" + target.kind().name().toLowerCase() + "' object has no attribute 'append'");
        } else {
            methodCall(Opcode.of(in.byteAt(opOffset)), target, "extend", x, len, false);
        }
        clearTo(x);
    }

    private void doSetItems(int x) throws PickleError {
        int len = sp;
        if (x > len || x <= fence) {
            throw underflow();
        }
        if (len == x) {
            return;
        }
        if ((len - x) % 2 != 0) {
            throw malformed("odd number of items for SETITEMS");
        }
        Value target = stack[x - 1];
        if (target.kind() == Value.Kind.DICT) {
            Value.Container d = (Value.Container) target;
            for (int k = x; k < len; k += 2) {
                hashable(stack[k]);
                d.put(stack[k], stack[k + 1]);
            }
        } else if (target.isBuiltin()) {
            // obj[key] = value on a list or bytearray: an int index in range (bool is an int)
            long size;
            if (target.kind() == Value.Kind.LIST) {
                size = ((Value.Container) target).size();
            } else if (target.kind() == Value.Kind.BYTEARRAY && !readOnlyViews.containsKey(target)) {
                size = byteArrayLength((Value.Bytes) target);
            } else {
                throw malformed("'" + target.kind().name().toLowerCase() + "' object does not support item assignment");
            }
            for (int k = x; k < len; k += 2) {
                checkIndex(stack[k], size, target.kind());
                if (target.kind() == Value.Kind.BYTEARRAY) {
                    checkByte(stack[k + 1]);
                }
            }
        } else {
            methodCall(Opcode.of(in.byteAt(opOffset)), target, "__setitem__", x, len, true);
        }
        clearTo(x);
    }

    /** An int as {@code __index__} sees it (bool included); null when not an int or not known. */
    private static BigInteger intValue(Value v) {
        if (v instanceof Value.Int i) {
            return i.value();
        }
        if (v.kind() == Value.Kind.BOOL) {
            return v == Value.TRUE ? BigInteger.ONE : BigInteger.ZERO;
        }
        return null;
    }

    /** A list or bytearray index: must be an int in [-size, size); a value computed at load time may be. */
    private void checkIndex(Value key, long size, Value.Kind kind) throws PickleError {
        if (!key.isBuiltin()) {
            return;
        }
        BigInteger i = intValue(key);
        String what = kind == Value.Kind.LIST ? "list" : "bytearray";
        if (i == null) {
            throw malformed(what + " indices must be integers or slices, not " + key.kind().name().toLowerCase());
        }
        if (i.compareTo(BigInteger.valueOf(-size)) < 0 || i.compareTo(BigInteger.valueOf(size)) >= 0) {
            throw malformed(what + " assignment index out of range");
        }
    }

    /** An item stored into a bytearray: an int in range(256), or a value computed at load time. */
    private void checkByte(Value v) throws PickleError {
        if (!v.isBuiltin()) {
            return;
        }
        BigInteger i = intValue(v);
        if (i == null) {
            throw malformed("'" + v.kind().name().toLowerCase() + "' object cannot be interpreted as an integer");
        }
        if (i.signum() < 0 || i.compareTo(BigInteger.valueOf(255)) > 0) {
            throw malformed("byte must be in range(0, 256)");
        }
    }

    /** Length of a bytearray, which APPEND(S) may have grown since BYTEARRAY8 made it. */
    private long byteArrayLength(Value.Bytes b) {
        Long grown = byteArrayLengths.get(b);
        return grown != null ? grown : b.length();
    }

    private void addItems() throws PickleError {
        int mark = marker();
        int len = sp;
        if (mark > len || mark <= fence) {
            throw underflow();
        }
        if (len == mark) {
            return;
        }
        Value target = stack[mark - 1];
        if (target.kind() == Value.Kind.SET) {
            Value.Container s = (Value.Container) target;
            for (int k = mark; k < len; k++) {
                hashable(stack[k]);
                s.add(stack[k]);
            }
        } else if (target.isBuiltin()) {
            throw malformed("'" + target.kind().name().toLowerCase() + "' object has no attribute 'add'");
        } else {
            methodCall(Opcode.ADDITEMS, target, "add", mark, len, false);
        }
        clearTo(mark);
    }

    private void methodCall(Opcode op, Value target, String method, int from, int to, boolean pairs) {
        Value.Container items = new Value.Container(pairs ? Value.Kind.DICT : Value.Kind.LIST,
                Math.max(Value.PREVIEW_ITEMS, limits.containerItems()));
        for (int k = from; k < to; k += pairs ? 2 : 1) {
            if (pairs) {
                items.put(stack[k], stack[k + 1]);
            } else {
                items.add(stack[k]);
            }
        }
        event(new TraceEvent.Invoke(opOffset, op, CallKind.METHOD, target, items, null, null, method));
    }

    /** A safety cap was hit (unchecked so that deep helpers can raise it). */
    private static final class LimitExceeded extends RuntimeException {
        LimitExceeded(String message) {
            super(message, null, false, false);
        }
    }
}
