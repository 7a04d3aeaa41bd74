package dev.laocoon.core.pickle;

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
        // \v is C whitespace
        assertLoads(run(PickleBuilder.create().longText("\u000b7L").pop().intText("\u000b0x1_0").pop()
                .global("os", "system").stop().bytes(), true), List.of(List.of("os", "system")));
    }
}
