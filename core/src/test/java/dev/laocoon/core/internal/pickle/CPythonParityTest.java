package dev.laocoon.core.internal.pickle;

import static org.assertj.core.api.Assertions.assertThat;

import dev.laocoon.core.testutil.PickleBuilder;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Divergences from CPython's C unpickler found by {@link OracleDifferentialTest}, each pinned
 * with a hand-built stream. Every stream is also checked against python3 when it is available.
 */
class CPythonParityTest {

    /** Runs the machine and, when python3 is there, checks that CPython agrees. */
    private static PickleTrace run(byte[] data, boolean cpythonLoadsIt) {
        PickleTrace t = CPythonOracle.machine(data);
        if (CPythonOracle.available()) {
            CPythonOracle.Result py = CPythonOracle.run(data);
            assertThat(py.clean()).as("CPython loads it cleanly (%s)", py.error()).isEqualTo(cpythonLoadsIt);
            assertThat(CPythonOracle.disagreement(py, t)).as("disagreement with CPython").isNull();
        }
        return t;
    }

    private static void assertLoads(PickleTrace t, List<List<String>> imports) {
        assertThat(t.firstError()).isNull();
        assertThat(t.clean()).isTrue();
        assertThat(CPythonOracle.imports(t)).isEqualTo(imports);
    }

    private static void assertFails(PickleTrace t, PickleError.Kind kind) {
        assertThat(t.firstError()).isNotNull();
        assertThat(t.firstError().kind()).isEqualTo(kind);
    }

    // ------------------------------------------------------------------ BUILD on builtin objects

    @Test
    void buildWithNoneStateOnABuiltinObjectIsANoOp() {
        // CPython's default BUILD (no __setstate__) does nothing for state None: loading goes on.
        byte[] data = PickleBuilder.create().proto(4)
                .str("x").none().build().pop()
                .global("os", "system").stop().bytes();
        assertLoads(run(data, true), List.of(List.of("os", "system")));
    }

    @Test
    void buildOnABuiltinObjectPassesWhenTheStateSetsNothing() {
        byte[] data = PickleBuilder.create().proto(4)
                .str("x").none().build()
                .none().emptyDict().tuple2().build().pop()
                .global("os", "system").stop().bytes();
        assertLoads(run(data, true), List.of(List.of("os", "system")));
    }

    @Test
    void buildOnABuiltinObjectFailsWhenTheStateSetsSomething() {
        byte[] withDict = PickleBuilder.create().proto(4)
                .emptyList().emptyDict().build().pop()
                .global("os", "system").stop().bytes();
        assertFails(run(withDict, false), PickleError.Kind.MALFORMED);
        byte[] withSlots = PickleBuilder.create().proto(4)
                .emptyList().none().emptyDict().str("a").binint1(1).setitem().tuple2().build().pop()
                .global("os", "system").stop().bytes();
        assertFails(run(withSlots, false), PickleError.Kind.MALFORMED);
        // the C unpickler wants a dict as slot state, even when the state part is None
        byte[] noneSlots = PickleBuilder.create().proto(4)
                .str("x").none().none().tuple2().build().pop()
                .global("os", "system").stop().bytes();
        assertFails(run(noneSlots, false), PickleError.Kind.MALFORMED);
    }

    @Test
    void buildWithAComputedStateOnABuiltinObjectGoesOn() {
        // The state is the result of a call: it may well be None at load time.
        PickleTrace t = CPythonOracle.machine(PickleBuilder.create().proto(4)
                .str("x").global("builtins", "print").emptyTuple().reduce().build().pop()
                .global("os", "system").stop().bytes());
        assertThat(t.firstError()).isNull();
        assertThat(CPythonOracle.imports(t)).containsExactly(List.of("builtins", "print"), List.of("os", "system"));
    }

    // ------------------------------------------------------------------ builtin containers

    @Test
    void appendsExtendABytearrayWithSmallInts() {
        // bytearray has extend(): APPEND(S) of ints in range(256) (bools too) succeed
        byte[] data = PickleBuilder.create().proto(5)
                .bytearray8(new byte[] {1}).mark().binint1(7).newTrue().binint1(255).appends()
                .binint1(0).append().pop()
                .global("os", "system").stop().bytes();
        assertLoads(run(data, true), List.of(List.of("os", "system")));
        byte[] big = PickleBuilder.create().proto(5)
                .bytearray8(new byte[0]).binint2(256).append().pop()
                .global("os", "system").stop().bytes();
        assertFails(run(big, false), PickleError.Kind.MALFORMED);
        byte[] str = PickleBuilder.create().proto(5)
                .bytearray8(new byte[0]).str("a").append().pop()
                .global("os", "system").stop().bytes();
        assertFails(run(str, false), PickleError.Kind.MALFORMED);
    }

    @Test
    void setitemsOnABytearrayAssignBytesInRange() {
        // the bytearray grew to 2 bytes through APPENDS: index 1 and -2 are valid, 2 is not
        byte[] data = PickleBuilder.create().proto(5)
                .bytearray8(new byte[0]).mark().binint1(1).binint1(2).appends()
                .mark().binint1(1).binint1(9).binint(-2).newFalse().setitems().pop()
                .global("os", "system").stop().bytes();
        assertLoads(run(data, true), List.of(List.of("os", "system")));
        byte[] outOfRange = PickleBuilder.create().proto(5)
                .bytearray8(new byte[] {1, 2}).binint1(2).binint1(0).setitem().pop()
                .global("os", "system").stop().bytes();
        assertFails(run(outOfRange, false), PickleError.Kind.MALFORMED);
    }

    @Test
    void listIndexesMayBeBoolsOrComputedValues() {
        byte[] bools = PickleBuilder.create().proto(4)
                .mark().none().none().list().newTrue().binint1(5).setitem().pop()
                .global("os", "system").stop().bytes();
        assertLoads(run(bools, true), List.of(List.of("os", "system")));
        // an index computed at load time may be a valid int: the loader may well go on
        PickleTrace t = CPythonOracle.machine(PickleBuilder.create().proto(4)
                .mark().none().list().global("builtins", "len").emptyTuple().reduce().none().setitem().pop()
                .global("os", "system").stop().bytes());
        assertThat(t.firstError()).isNull();
        assertThat(CPythonOracle.imports(t)).containsExactly(List.of("builtins", "len"), List.of("os", "system"));
        byte[] strIndex = PickleBuilder.create().proto(4)
                .mark().none().list().str("0").none().setitem().pop()
                .global("os", "system").stop().bytes();
        assertFails(run(strIndex, false), PickleError.Kind.MALFORMED);
    }

    @Test
    void readonlyBufferOfABytearrayIsAReadOnlyUnhashableView() {
        byte[] extend = PickleBuilder.create().proto(5)
                .bytearray8(new byte[] {1}).readonlyBuffer().binint1(1).append().pop()
                .global("os", "system").stop().bytes();
        assertFails(run(extend, false), PickleError.Kind.MALFORMED);
        byte[] key = PickleBuilder.create().proto(5)
                .emptyDict().bytearray8(new byte[] {1}).readonlyBuffer().none().setitem().pop()
                .global("os", "system").stop().bytes();
        assertFails(run(key, false), PickleError.Kind.MALFORMED);
        // bytes stay bytes: hashable
        byte[] bytesKey = PickleBuilder.create().proto(5)
                .emptyDict().bytes(new byte[] {1}).readonlyBuffer().none().setitem().pop()
                .global("os", "system").stop().bytes();
        assertLoads(run(bytesKey, true), List.of(List.of("os", "system")));
    }

    // ------------------------------------------------------------------ text operands

    @Test
    void integerTextOperandsAcceptOnlyCWhitespace() {
        // PyLong_FromString skips Py_ISSPACE (space, \t, \n, \v, \f, \r), not \x1c..\x1f
        assertFails(run(PickleBuilder.create().intText("\u001c7").pop().global("os", "system").stop().bytes(), false),
                PickleError.Kind.MALFORMED);
        assertFails(run(PickleBuilder.create().longText("\u001f7L").pop().global("os", "system").stop().bytes(), false),
                PickleError.Kind.MALFORMED);
        assertFails(run(PickleBuilder.create().none().put(0).raw('g').ascii("\u001e0").raw('\n')
                .global("os", "system").stop().bytes(), false), PickleError.Kind.MALFORMED);
    }

    @Test
    void decimalIntegerTextOperandsHaveAtMost4300Digits() {
        // CPython's default int_max_str_digits; underscores do not count
        String ok = "1".repeat(4300);
        String tooLong = "9" + "1".repeat(4300);
        String hex = "0x" + "f".repeat(5000); // power-of-two bases have no limit
        assertLoads(run(PickleBuilder.create().intText(ok).pop().longText(ok + "L").pop()
                .longText("1_".repeat(4299) + "1").pop().intText(hex).pop()
                .global("os", "system").stop().bytes(), true), List.of(List.of("os", "system")));
        assertFails(run(PickleBuilder.create().intText(tooLong).pop().global("os", "system").stop().bytes(), false),
                PickleError.Kind.MALFORMED);
        assertFails(run(PickleBuilder.create().longText("-" + "1".repeat(4301) + "L").pop()
                .global("os", "system").stop().bytes(), false), PickleError.Kind.MALFORMED);
    }

    @Test
    void integerTextOperandsAcceptCWhitespace() {
        // \v is C whitespace
        assertLoads(run(PickleBuilder.create().longText("\u000b7L").pop().intText("\u000b0x1_0").pop()
                .global("os", "system").stop().bytes(), true), List.of(List.of("os", "system")));
    }
}
