package dev.laocoon.core.internal.pickle;

import static org.assertj.core.api.Assertions.assertThat;

import dev.laocoon.core.source.ArrayByteSource;
import dev.laocoon.core.testutil.PickleBuilder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Boundary sweeps of the data-only walk: framed pickles cut at every length, shifted by every
 * small offset and with one byte replaced anywhere, walked with the default window and with
 * windows and segments so small that every operand, frame end and STOP meets a window or
 * segment end somewhere. Every walk must give the same answer, and "clean" must mean the
 * machine finds no event, no error and no trailing data.
 */
class DataOnlyWalkBoundaryTest {
    /** {segment, window}: tiny ones slide at nearly every opcode. */
    private static final int[][] TINY = {{1, 1}, {2, 3}, {3, 7}, {16, 16}, {16, 100}};
    private static final byte[] SPECIAL = {0, (byte) 0xff, (byte) 0x94, '.', (byte) 0x95, 'h', 'j', (byte) 0x8c};

    private static boolean walk(byte[] b, int segment, int window) {
        try {
            return DataOnlyWalk.clean(new ArrayByteSource(b), PickleLimits.DEFAULT, System.nanoTime() + 10_000_000_000L,
                    segment, window);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Checks one input; returns whether the walk said clean. */
    private static boolean check(byte[] b, String what) {
        if (b.length == 0) {
            return false;
        }
        boolean whole = walk(b, DataOnlyWalk.SEGMENT, DataOnlyWalk.WINDOW);
        for (int[] c : TINY) {
            assertThat(walk(b, c[0], c[1])).as("segment %d window %d agree for %s", c[0], c[1], what).isEqualTo(whole);
        }
        if (whole) {
            PickleTrace t = PickleMachine.run(new ArrayByteSource(b));
            assertThat(t.clean()).as("machine clean for %s", what).isTrue();
            assertThat(t.trailingStart()).as(what).isEqualTo(-1);
            assertThat(t.pickles()).as(what).allSatisfy(p -> assertThat(p.events()).isEmpty());
        }
        return whole;
    }

    private static String text(int n) {
        StringBuilder s = new StringBuilder();
        for (int i = 0; s.length() < n; i++) {
            s.append(i % 5 == 0 ? "\u00e9" : i % 7 == 0 ? "\u4e2d" : i % 11 == 0 ? "\ud83d\ude00" : "x");
        }
        return s.toString();
    }

    /** A protocol 4 pickle with its opcodes after PROTO in frames of the given sizes (the rest unframed). */
    private static byte[] framed(byte[] ops, int... frames) {
        PickleBuilder out = PickleBuilder.create().proto(4);
        int at = 0;
        for (int f : frames) {
            int len = Math.min(f, ops.length - at);
            out.frame(len).raw(ops, at, at + len);
            at += len;
        }
        return out.raw(ops, at, ops.length).bytes();
    }

    /** Data pickles whose frames end on opcode boundaries, with long operands and fused memo puts. */
    private static List<byte[]> samples() {
        List<byte[]> out = new ArrayList<>();
        // ] MEMOIZE ( 'abc' MEMOIZE BINUNICODE(600) BINGET 0 K G ) e STOP
        PickleBuilder a = PickleBuilder.create().emptyList().memoize().mark().str("abc").memoize()
                .binunicode(text(600)).binget(0).binint1(5).binfloat(1.5).emptyTuple().appends();
        byte[] ops = a.stop().bytes();
        out.add(framed(ops, ops.length));
        out.add(framed(ops, 3, ops.length)); // ] MEMOIZE ( | the rest
        out.add(framed(ops, 1, 0, ops.length)); // ] | empty frame | the rest: MEMOIZE first in its frame
        out.add(framed(ops, 0));

        // { MEMOIZE ( key BINBYTES(700) key LONG_BINPUT 7 ... LONG_BINGET 7 ) u STOP, then a second pickle
        PickleBuilder d = PickleBuilder.create().emptyDict().memoize().mark().str("k").bytes(new byte[700])
                .str("t").binint1(1).binint1(2).tuple2().longBinput(7).str("u").longBinget(7).setitems();
        byte[] dops = d.stop().bytes();
        byte[] second = PickleBuilder.create().proto(2).emptyList().binput(0).none().append().binget(0).tuple1()
                .memoize().stop().bytes();
        byte[] one = framed(dops, 2, dops.length - 2);
        byte[] two = Arrays.copyOf(one, one.length + second.length);
        System.arraycopy(second, 0, two, one.length, second.length);
        out.add(two);

        // frames that end right after a push whose MEMOIZE follows outside the frame
        out.add(PickleBuilder.create().proto(4).frame(1).emptyDict().memoize().frame(5).binint1(1).binint1(2).tuple2()
                .memoize().frame(1).emptyList().memoize().frame(3).str("s").memoize().append().setitem()
                .frame(1).stop().bytes());
        return out;
    }

    @Test
    void everyCutShiftAndByteOfFramedPicklesIsSound() {
        int clean = 0;
        int inputs = 0;
        for (byte[] s : samples()) {
            assertThat(check(s, "sample")).as("a well-formed sample is clean").isTrue();
            for (int shift : new int[] {0, 1, 2, 3, 5, 8, 15, 16}) {
                // a pickle of shift + 2 bytes first (Nones, STOP) moves every position of the sample
                byte[] pre = new byte[shift + 2];
                Arrays.fill(pre, 0, shift + 1, (byte) 'N');
                pre[shift + 1] = '.';
                byte[] b = Arrays.copyOf(pre, pre.length + s.length);
                System.arraycopy(s, 0, b, pre.length, s.length);
                assertThat(check(b, "shift " + shift)).isTrue();
                for (int cut = 0; cut < b.length; cut++) {
                    inputs++;
                    if (check(Arrays.copyOf(b, cut), "shift " + shift + " cut " + cut)) {
                        clean++;
                    }
                }
                if (shift != 0 && shift != 15) {
                    continue;
                }
                for (int at = pre.length; at < b.length; at++) {
                    for (byte x : SPECIAL) {
                        byte[] m = b.clone();
                        m[at] = x;
                        inputs++;
                        if (check(m, "shift " + shift + " byte " + at + " = " + x)) {
                            clean++;
                        }
                    }
                }
            }
        }
        assertThat(inputs).isGreaterThan(10_000);
        assertThat(clean).isGreaterThan(100);
    }

    @Test
    void framesAndOperandsAtTheVeryEndOfTheData() {
        byte[] none = PickleBuilder.create().proto(4).none().stop().bytes();
        // FRAME as the last bytes, whole or cut; FRAME(0) then nothing; a frame past the end
        for (int k = 0; k <= 9; k++) {
            byte[] f = PickleBuilder.create().raw(none).frame(0).bytes();
            assertThat(check(Arrays.copyOf(f, none.length + k), "FRAME cut to " + k)).isEqualTo(k == 0);
        }
        assertThat(check(PickleBuilder.create().proto(4).frame(3).none().stop().bytes(), "frame past the end")).isFalse();
        assertThat(check(PickleBuilder.create().proto(4).frame(1).none().stop().bytes(), "STOP after the frame")).isTrue();
        assertThat(check(PickleBuilder.create().proto(4).frame(1).none().frame(1).stop().bytes(), "frame then frame"))
                .isTrue();
        assertThat(check(PickleBuilder.create().proto(4).frame(11).none().frame(1).stop().bytes(), "frame in a frame"))
                .isFalse();
        // fixed-size operands crossing the frame end or the data end, whatever follows
        for (int op : new int[] {'K', 'M', 'J', 'G', 'h', 'j', 'q', 'r', 0x8c, 0x8a, 'C', 'U', 'X', 'B', 'T', 0x80}) {
            for (int inFrame = 0; inFrame < 9; inFrame++) {
                for (int after : new int[] {0, '.', 0x94, 0xff}) {
                    PickleBuilder p = PickleBuilder.create().proto(4).emptyList().memoize();
                    byte[] body = new byte[1 + inFrame];
                    body[0] = (byte) op;
                    p.frame(body.length).raw(body).raw(after);
                    byte[] b = p.bytes();
                    check(b, "opcode " + op + " with " + inFrame + " operand bytes in its frame, then " + after);
                    check(Arrays.copyOf(b, b.length - 1), "opcode " + op + " cut at the data end");
                }
            }
        }
        // memo indices: BINPUT far past the memo, LONG_BINPUT / LONG_BINGET with huge indices
        for (long idx : new long[] {255, 1023, 1024, 1025, 2047, 2048, 3000, 1L << 26, (1L << 31) - 1, 1L << 31,
            0xffffffffL}) {
            byte[] put = PickleBuilder.create().proto(2).none().longBinput(idx).longBinget(idx).tuple2().stop().bytes();
            assertThat(check(put, "LONG_BINPUT " + idx)).isEqualTo(idx <= 1024);
            byte[] get = PickleBuilder.create().proto(2).none().longBinget(idx).stop().bytes();
            assertThat(check(get, "LONG_BINGET " + idx)).isFalse();
        }
    }
    @Test
    void aStopInsideALargeFrameIsNeverClean() {
        // CPython's C unpickler reads a frame of 128 KiB or more from the file in one piece; a
        // STOP inside it leaves the rest of the frame unread, and the next load() starts after
        // the frame. Walking on from the STOP would read those bytes as the next pickle: here
        // None and a BINBYTES that swallows a GLOBAL os.system call made after the frame.
        byte[] call = PickleBuilder.create().global("os", "system").mark().string("'id'").tuple().reduce().stop().bytes();
        byte[] body = PickleBuilder.create().bytes(new byte[140_000]).stop().none().raw('B').raw(call.length, 0, 0, 0)
                .bytes();
        byte[] b = PickleBuilder.create().proto(4).frame(body.length).raw(body).raw(call).raw('.').bytes();
        PickleTrace t = PickleMachine.run(new ArrayByteSource(b));
        assertThat(t.pickles()).anySatisfy(p -> assertThat(p.events()).isNotEmpty());
        assertThat(check(b, "STOP inside a large frame")).isFalse();
    }
}
