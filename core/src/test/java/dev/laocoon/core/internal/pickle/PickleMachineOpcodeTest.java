package dev.laocoon.core.internal.pickle;

import static org.assertj.core.api.Assertions.assertThat;

import dev.laocoon.core.internal.pickle.TraceEvent.CallKind;
import dev.laocoon.core.source.ArrayByteSource;
import dev.laocoon.core.testutil.PickleBuilder;
import java.util.List;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/** Opcode families of the symbolic machine, each as a positive and a negative case. */
class PickleMachineOpcodeTest {

    static PickleTrace run(byte[] data) {
        return PickleMachine.run(new ArrayByteSource(data));
    }

    static List<String> imports(PickleTrace t) {
        return t.pickles().stream().flatMap(p -> p.events().stream())
                .filter(e -> e instanceof TraceEvent.Import)
                .map(e -> ((TraceEvent.Import) e).name().display()).toList();
    }

    static List<TraceEvent.Invoke> invokes(PickleTrace t) {
        return t.pickles().stream().flatMap(p -> p.events().stream())
                .filter(e -> e instanceof TraceEvent.Invoke).map(e -> (TraceEvent.Invoke) e).toList();
    }

    @Nested
    class Globals {
        @Test
        void globalOpcodeRecordsTheImportWithItsOffset() {
            PickleTrace t = run(PickleBuilder.call("os", "system", "echo hi"));
            assertThat(t.clean()).isTrue();
            assertThat(imports(t)).containsExactly("os.system");
            assertThat(t.pickles().get(0).events().get(0).offset()).isEqualTo(2);
        }

        @Test
        void plainDataImportsNothing() {
            PickleTrace t = run(PickleBuilder.create().proto(4).emptyDict().str("a").binint1(1).setitem().stop().bytes());
            assertThat(t.clean()).isTrue();
            assertThat(imports(t)).isEmpty();
            assertThat(t.pickles().get(0).result().render(80)).isEqualTo("{'a': 1}");
        }

        @Test
        void stackGlobalTakesItsOperandsFromTheMemo() {
            byte[] p = PickleBuilder.create().proto(4)
                    .str("decoy").memoize().pop()
                    .str("os").memoize().str("system").memoize().pop().pop()
                    .binget(1).binget(2).stackGlobal()
                    .str("id").tuple1().reduce().stop().bytes();
            PickleTrace t = run(p);
            assertThat(t.clean()).isTrue();
            assertThat(imports(t)).containsExactly("os.system");
        }

        @Test
        void stackGlobalWithNonStringOperandIsAnError() {
            byte[] p = PickleBuilder.create().proto(4).str("os").binint1(3).stackGlobal().stop().bytes();
            PickleTrace t = run(p);
            assertThat(imports(t)).isEmpty();
            assertThat(t.firstError().kind()).isEqualTo(PickleError.Kind.MALFORMED);
            assertThat(t.firstError().getMessage()).contains("STACK_GLOBAL requires str");
        }

        @Test
        void stackGlobalWithComputedOperandIsRecordedAsUnresolved() {
            byte[] p = PickleBuilder.create().proto(4)
                    .global("builtins", "str").str("o").tuple1().reduce()
                    .str("system").stackGlobal().stop().bytes();
            PickleTrace t = run(p);
            List<TraceEvent> ev = t.pickles().get(0).events();
            TraceEvent.Import last = (TraceEvent.Import) ev.get(ev.size() - 1);
            assertThat(last.name().known()).isFalse();
        }

        @Test
        void pythonTwoNamesAreRenamedBelowProtocolThree() {
            PickleTrace t = run(PickleBuilder.create().proto(2).global("__builtin__", "eval").stop().bytes());
            GlobalName g = ((TraceEvent.Import) t.pickles().get(0).events().get(0)).name();
            assertThat(g.path()).isEqualTo("builtins.eval");
            assertThat(g.remapped()).isTrue();
        }

        @Test
        void noProtoMeansProtocolZeroAndTheMappingApplies() {
            PickleTrace t = run(PickleBuilder.create().global("commands", "getoutput").stop().bytes());
            assertThat(imports(t)).containsExactly("subprocess.getoutput");
        }

        @Test
        void pythonTwoNamesAreNotRenamedAtProtocolThree() {
            PickleTrace t = run(PickleBuilder.create().proto(3).global("__builtin__", "eval").stop().bytes());
            assertThat(imports(t)).containsExactly("__builtin__.eval");
        }

        @Test
        void instImportsAndCalls() {
            byte[] p = PickleBuilder.create().mark().string("'id'").inst("os", "system").stop().bytes();
            PickleTrace t = run(p);
            assertThat(t.clean()).isTrue();
            assertThat(imports(t)).containsExactly("os.system");
            assertThat(invokes(t)).singleElement().satisfies(i -> assertThat(i.opcode()).isEqualTo(Opcode.INST));
        }

        @Test
        void instWithoutMarkFails() {
            PickleTrace t = run(PickleBuilder.create().inst("os", "system").stop().bytes());
            assertThat(imports(t)).isEmpty();
            assertThat(t.firstError().getMessage()).contains("could not find MARK");
        }
    }

    @Nested
    class Calls {
        @Test
        void reduceRecordsTheCallEvenWhenItsResultIsPopped() {
            byte[] p = PickleBuilder.create().proto(2).global("os", "system").str("id").tuple1().reduce().pop()
                    .none().stop().bytes();
            PickleTrace t = run(p);
            assertThat(t.clean()).isTrue();
            assertThat(invokes(t)).singleElement().satisfies(i -> {
                assertThat(i.kind()).isEqualTo(CallKind.CALL);
                assertThat(i.args().render(40)).isEqualTo("('id',)");
            });
        }

        @Test
        void reduceWithNonTupleArgumentsFailsLikeCPython() {
            byte[] p = PickleBuilder.create().proto(2).global("os", "system").str("id").reduce().stop().bytes();
            PickleTrace t = run(p);
            assertThat(invokes(t)).isEmpty();
            assertThat(t.firstError().getMessage()).contains("must be a tuple");
        }

        @Test
        void objAndNewobjAndNewobjExAreCalls() {
            byte[] p = PickleBuilder.create().proto(4)
                    .mark().global("a", "A").binint1(1).obj().pop()
                    .global("b", "B").emptyTuple().newobj().pop()
                    .global("c", "C").emptyTuple().emptyDict().newobjEx().pop()
                    .none().stop().bytes();
            PickleTrace t = run(p);
            assertThat(t.clean()).isTrue();
            assertThat(invokes(t)).extracting(TraceEvent.Invoke::opcode)
                    .containsExactly(Opcode.OBJ, Opcode.NEWOBJ, Opcode.NEWOBJ_EX);
        }

        @Test
        void newobjOnAConstantFails() {
            PickleTrace t = run(PickleBuilder.create().proto(2).binint1(1).emptyTuple().newobj().stop().bytes());
            assertThat(invokes(t)).isEmpty();
            assertThat(t.firstError()).isNotNull();
        }

        @Test
        void buildIsASetstateCall() {
            byte[] p = PickleBuilder.create().proto(2).global("x", "C").emptyTuple().newobj()
                    .emptyDict().str("k").binint1(1).setitem().build().stop().bytes();
            PickleTrace t = run(p);
            assertThat(invokes(t)).extracting(TraceEvent.Invoke::kind).containsExactly(CallKind.NEW, CallKind.SETSTATE);
        }

        @Test
        void buildOnADictFails() {
            PickleTrace t = run(PickleBuilder.create().proto(2).emptyDict().emptyDict().build().stop().bytes());
            assertThat(t.firstError()).isNotNull();
        }

        @Test
        void appendsOnAnObjectIsAMethodCall() {
            byte[] p = PickleBuilder.create().proto(2).global("collections", "deque").emptyTuple().reduce()
                    .mark().binint1(1).binint1(2).appends().stop().bytes();
            PickleTrace t = run(p);
            assertThat(invokes(t)).extracting(TraceEvent.Invoke::kind).containsExactly(CallKind.CALL, CallKind.METHOD);
        }
    }

    @Nested
    class StackAndMemo {
        @Test
        void popOnEmptyStackIsUnderflow() {
            PickleTrace t = run(PickleBuilder.create().pop().stop().bytes());
            assertThat(t.firstError().getMessage()).isEqualTo("unpickling stack underflow");
        }

        @Test
        void popRemovesAMarkWhenTheMarkIsOnTop() {
            PickleTrace t = run(PickleBuilder.create().none().mark().pop().stop().bytes());
            assertThat(t.clean()).isTrue();
        }

        @Test
        void operationsCannotReachBelowAMark() {
            byte[] p = PickleBuilder.create().proto(2).global("os", "system").str("x").tuple1().mark().reduce().stop().bytes();
            PickleTrace t = run(p);
            assertThat(t.firstError().getMessage()).isEqualTo("unexpected MARK found");
            assertThat(invokes(t)).isEmpty();
        }

        @Test
        void getOfAMissingKeyFails() {
            PickleTrace t = run(PickleBuilder.create().proto(2).binget(7).stop().bytes());
            assertThat(t.firstError().getMessage()).contains("Memo value not found");
        }

        @Test
        void memoizeUsesTheNumberOfEntriesAsKey() {
            // PUT 5 then MEMOIZE: the memo has one entry, so MEMOIZE stores at index 1.
            byte[] p = PickleBuilder.create().proto(4).str("a").binput(5).str("b").memoize().pop().pop()
                    .binget(1).stop().bytes();
            PickleTrace t = run(p);
            assertThat(t.clean()).isTrue();
            assertThat(t.pickles().get(0).result().render(20)).isEqualTo("'b'");
        }

        @Test
        void aHugeMemoIndexDoesNotAllocateAHugeArray() {
            // 200 pickles each putting at index 16,777,214: a dense memo would allocate gigabytes.
            PickleBuilder b = PickleBuilder.create();
            for (int i = 0; i < 200; i++) {
                b.proto(2).none().longBinput(0xfffffe).pop().longBinget(0xfffffe).stop();
            }
            long before = Runtime.getRuntime().totalMemory() - Runtime.getRuntime().freeMemory();
            PickleTrace t = run(b.bytes());
            assertThat(t.clean()).isTrue();
            assertThat(t.pickles()).hasSize(200);
            assertThat(before).isNotNegative();
        }

        @Test
        void memoKeysMovingFromSparseToDenseKeepTheirCount() {
            // PUT 100 (kept sparse), then MEMOIZEs at 1, 2, ... 99; at 100 the memo holds 100 keys,
            // so like CPython every further MEMOIZE overwrites index 100.
            PickleBuilder b = PickleBuilder.create().proto(4).str("x").longBinput(100).pop();
            for (int i = 0; i < 120; i++) {
                b.none().memoize().pop();
            }
            b.str("last").memoize().pop().longBinget(100).stop();
            PickleTrace t = run(b.bytes());
            assertThat(t.clean()).isTrue();
            assertThat(t.pickles().get(0).result().render(20)).isEqualTo("'last'");
        }

        @Test
        void textPutAndGet() {
            byte[] p = PickleBuilder.create().string("'v'").put(3).pop().get(3).stop().bytes();
            assertThat(run(p).pickles().get(0).result().render(10)).isEqualTo("'v'");
        }

        @Test
        void dupCopiesTheTop() {
            byte[] p = PickleBuilder.create().proto(2).binint1(9).dup().tuple2().stop().bytes();
            assertThat(run(p).pickles().get(0).result().render(20)).isEqualTo("(9, 9)");
        }
    }

    @Nested
    class TextOperandsAsCPython {
        @Test
        void intZeroOneAreBooleans() {
            assertThat(run(PickleBuilder.create().intText("01").stop().bytes()).pickles().get(0).result())
                    .isSameAs(Value.TRUE);
        }

        @Test
        void intFallsBackToPythonIntSyntax() {
            Value v = run(PickleBuilder.create().intText("1_000").stop().bytes()).pickles().get(0).result();
            assertThat(v.render(20)).isEqualTo("1000");
        }

        @Test
        void badIntIsAnError() {
            assertThat(run(PickleBuilder.create().intText("12x").stop().bytes()).firstError()).isNotNull();
        }

        @Test
        void longWithTrailingL() {
            Value v = run(PickleBuilder.create().longText("123456789012345678901234567890L").stop().bytes())
                    .pickles().get(0).result();
            assertThat(v.render(40)).isEqualTo("123456789012345678901234567890");
        }

        @Test
        void floatAndOverflow() {
            assertThat(run(PickleBuilder.create().floatText("1.5e3").stop().bytes()).pickles().get(0).result()
                    .render(10)).isEqualTo("1500.0");
            assertThat(run(PickleBuilder.create().floatText("1e400").stop().bytes()).firstError()).isNotNull();
        }

        @Test
        void stringMustBeQuotedAndEscapesDecode() {
            assertThat(run(PickleBuilder.create().string("'a\\x41\\n'").stop().bytes()).pickles().get(0).result()
                    .render(20)).isEqualTo("'aA\\n'");
            assertThat(run(PickleBuilder.create().string("abc").stop().bytes()).firstError().getMessage())
                    .contains("must be quoted");
            assertThat(run(PickleBuilder.create().string("'\\x4'").stop().bytes()).firstError()).isNotNull();
        }

        @Test
        void unicodeRawEscapes() {
            assertThat(run(PickleBuilder.create().unicode("a\\u0041").stop().bytes()).pickles().get(0).result()
                    .render(20)).isEqualTo("'aA'");
            assertThat(run(PickleBuilder.create().unicode("a\\u00").stop().bytes()).firstError()).isNotNull();
        }

        @Test
        void binunicodeAcceptsEncodedSurrogatesButNotInvalidUtf8() {
            byte[] ok = PickleBuilder.create().proto(2).raw('X', 3, 0, 0, 0, 0xed, 0xa0, 0x80).stop().bytes();
            assertThat(run(ok).clean()).isTrue();
            byte[] bad = PickleBuilder.create().proto(2).raw('X', 2, 0, 0, 0, 0xc3, 0x28).stop().bytes();
            assertThat(run(bad).firstError()).isNotNull();
        }
    }

    @Nested
    class Streams {
        @Test
        void truncatedStreamKeepsWhatCameBefore() {
            byte[] full = PickleBuilder.call("os", "system", "echo hi");
            byte[] cut = java.util.Arrays.copyOf(full, full.length - 1); // no STOP
            PickleTrace t = run(cut);
            assertThat(imports(t)).containsExactly("os.system");
            assertThat(invokes(t)).hasSize(1);
            assertThat(t.firstError().kind()).isEqualTo(PickleError.Kind.TRUNCATED);
        }

        @Test
        void invalidOpcodeAfterPayloadReportsItsOffset() {
            byte[] p = PickleBuilder.create().proto(2).global("os", "system").str("id").tuple1().reduce()
                    .raw(0xff).bytes();
            PickleTrace t = run(p);
            assertThat(invokes(t)).hasSize(1);
            assertThat(t.firstError().offset()).isEqualTo(p.length - 1);
            assertThat(t.firstError().getMessage()).contains("invalid load key");
        }

        @Test
        void everyPickleOfAStreamIsAnalysed() {
            byte[] first = PickleBuilder.create().proto(2).none().stop().bytes();
            byte[] second = PickleBuilder.call("os", "system", "id");
            PickleTrace t = run(PickleBuilder.create().raw(first).raw(second).bytes());
            assertThat(t.pickles()).hasSize(2);
            assertThat(imports(t)).containsExactly("os.system");
            assertThat(t.pickles().get(1).start()).isEqualTo(first.length);
        }

        @Test
        void junkAfterTheLastPickleIsTrailingData() {
            byte[] p = PickleBuilder.create().proto(2).none().stop().raw(0xff, 0xfe).bytes();
            PickleTrace t = run(p);
            assertThat(t.pickles()).hasSize(1);
            assertThat(t.trailingStart()).isEqualTo(4);
        }

        @Test
        void unsupportedProtocolIsAnError() {
            assertThat(run(PickleBuilder.create().proto(6).none().stop().bytes()).firstError().getMessage())
                    .contains("unsupported pickle protocol");
        }
    }

    @Nested
    class Limits {
        @Test
        void memoCapStopsTheAnalysisAsALimit() {
            PickleBuilder b = PickleBuilder.create().proto(4);
            for (int i = 0; i < 50; i++) {
                b.none().memoize().pop();
            }
            PickleTrace t = PickleMachine.run(new ArrayByteSource(b.none().stop().bytes()), 0,
                    PickleLimits.DEFAULT.withMaxMemo(10));
            assertThat(t.firstError().kind()).isEqualTo(PickleError.Kind.LIMIT);
        }

        @Test
        void opcodeCapStopsAnEndlessStream() {
            PickleBuilder b = PickleBuilder.create().proto(4);
            for (int i = 0; i < 200_000; i++) {
                b.none().pop();
            }
            PickleTrace t = PickleMachine.run(new ArrayByteSource(b.none().stop().bytes()), 0,
                    PickleLimits.DEFAULT.withMaxOpcodes(100_000));
            assertThat(t.firstError().kind()).isEqualTo(PickleError.Kind.LIMIT);
        }

        @Test
        void hugeDeclaredLengthIsTruncationNotAllocation() {
            byte[] p = PickleBuilder.create().proto(4).raw(0x8e).raw(0, 0, 0, 0, 0, 0, 0, 0x10).stop().bytes();
            PickleTrace t = run(p);
            assertThat(t.firstError().kind()).isEqualTo(PickleError.Kind.TRUNCATED);
        }

        @Test
        void billionLaughsStaysSmall() {
            // 30 levels of a list holding the previous one twice: 2^30 elements if expanded.
            PickleBuilder b = PickleBuilder.create().proto(4).emptyList().memoize();
            for (int i = 0; i < 30; i++) {
                b.mark().binget(i).binget(i).list().memoize();
            }
            PickleTrace t = run(b.stop().bytes());
            assertThat(t.clean()).isTrue();
            assertThat(t.pickles().get(0).result().render(200).length()).isLessThan(2000);
        }
    }

    @Nested
    class Frames {
        @Test
        void honestFramesAreQuiet() {
            byte[] body = PickleBuilder.create().none().stop().bytes();
            byte[] p = PickleBuilder.create().proto(4).frame(body.length).raw(body).bytes();
            PickleTrace t = run(p);
            assertThat(t.clean()).isTrue();
            assertThat(t.pickles().get(0).events()).isEmpty();
        }

        @Test
        void anOpcodeCrossingTheFrameEndIsReported() {
            // The frame claims 2 bytes but the string opcode inside it is 4 bytes long.
            byte[] p = PickleBuilder.create().proto(4).frame(2).str("ab").stop().bytes();
            PickleTrace t = run(p);
            assertThat(t.pickles().get(0).events()).anyMatch(e -> e instanceof TraceEvent.FrameIssue);
        }

        @Test
        void frameLongerThanTheDataIsTruncation() {
            byte[] p = PickleBuilder.create().proto(4).frame(1000).none().stop().bytes();
            assertThat(run(p).firstError().kind()).isEqualTo(PickleError.Kind.TRUNCATED);
        }

        @Test
        void bytesOfAReadFrameThatDoNotFitAreSkippedByTheCUnpickler() {
            // A 5000-byte frame is read with read(5000) (more than the 4096-byte buffer holds), so an
            // operand crossing its end is read from after the frame and the frame's tail is dropped.
            PickleBuilder body = PickleBuilder.create();
            while (body.size() < 5000 - 3) {
                body.none().pop();
            }
            // 3 bytes left in the frame: SHORT_BINUNICODE, length 4, then 1 byte of the frame
            byte[] head = body.raw(0x8c, 4, 'x').bytes();
            byte[] p = PickleBuilder.create().proto(4).frame(head.length).raw(head)
                    .ascii("abcd").raw(0x85, '.').bytes();
            PickleTrace t = run(p);
            assertThat(t.pickles().get(0).events()).anyMatch(e -> e instanceof TraceEvent.FrameIssue f
                    && f.detail().contains("drops"));
            // the string's four bytes come from after the frame: 'abcd'
            assertThat(t.pickles().get(0).result().render(20)).isEqualTo("('abcd',)");
        }
    }
}
