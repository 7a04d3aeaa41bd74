package dev.laocoon.core.internal.pickle;

import static org.assertj.core.api.Assertions.assertThat;

import dev.laocoon.core.source.ArrayByteSource;
import dev.laocoon.core.testutil.PickleBuilder;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The data-only walk may only say "clean" when the full machine finds no event, no error and no
 * trailing bytes. Checked on random data-only pickles, on mutations of them (which the walk
 * must reject whenever the machine sees a problem) and on the oracle's generated streams.
 */
class DataOnlyWalkTest {

    static boolean walk(byte[] b) {
        return DataOnlyWalk.clean(b, b.length, System.nanoTime() + 10_000_000_000L);
    }

    /** The same walk through a window that slides every few dozen bytes. */
    static boolean walkSliding(byte[] b, PickleLimits limits) {
        try {
            return DataOnlyWalk.clean(new ArrayByteSource(b), limits, System.nanoTime() + 10_000_000_000L, 16, 16);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    static void assertSound(byte[] b, String what) {
        boolean whole = walk(b);
        assertThat(walkSliding(b, PickleLimits.DEFAULT)).as("sliding window agrees for %s", what).isEqualTo(whole);
        if (!whole) {
            return;
        }
        PickleTrace t = PickleMachine.run(new ArrayByteSource(b));
        assertThat(t.clean()).as("machine clean for %s", what).isTrue();
        assertThat(t.trailingStart()).as(what).isEqualTo(-1);
        assertThat(t.pickles()).as(what).allSatisfy(p -> assertThat(p.events()).isEmpty());
    }

    /** A random nest of lists, dicts, tuples, sets and scalars, with memo use, as pickle writers emit. */
    static byte[] randomData(Random r) {
        int proto = 2 + r.nextInt(4);
        PickleBuilder b = PickleBuilder.create().proto(proto);
        int[] memo = {0};
        value(b, r, 4, proto, memo);
        byte[] body = b.stop().bytes();
        if (proto >= 4 && r.nextBoolean()) {
            byte[] framed = PickleBuilder.create().raw(body, 0, 2).frame(body.length - 2)
                    .raw(Arrays.copyOfRange(body, 2, body.length)).bytes();
            return framed;
        }
        return body;
    }

    private static void value(PickleBuilder b, Random r, int depth, int proto, int[] memo) {
        int k = depth <= 0 ? r.nextInt(6) : r.nextInt(11);
        switch (k) {
            case 0 -> b.none();
            case 1 -> b.binint(r.nextInt());
            case 2 -> b.binint1(r.nextInt(256));
            case 3 -> b.str("s" + r.nextInt(1000) + (r.nextInt(5) == 0 ? "\u00e9\u4e2d" : ""));
            case 4 -> b.binfloat(r.nextDouble());
            case 5 -> b.bytes(new byte[r.nextInt(20)]);
            case 6 -> {
                b.emptyList();
                memoize(b, r, proto, memo);
                int n = r.nextInt(4);
                if (n > 0) {
                    b.mark();
                    for (int i = 0; i < n; i++) {
                        value(b, r, depth - 1, proto, memo);
                    }
                    b.appends();
                }
            }
            case 7 -> {
                b.emptyDict();
                memoize(b, r, proto, memo);
                int n = r.nextInt(4);
                if (n > 0) {
                    b.mark();
                    for (int i = 0; i < n; i++) {
                        b.str("k" + i);
                        value(b, r, depth - 1, proto, memo);
                    }
                    b.setitems();
                }
            }
            case 8 -> {
                int n = r.nextInt(4);
                if (n == 0) {
                    b.emptyTuple();
                } else {
                    for (int i = 0; i < n; i++) {
                        value(b, r, depth - 1, proto, memo);
                    }
                    b.raw(0x84 + n);
                }
            }
            case 9 -> {
                if (proto >= 4) {
                    b.emptySet().mark().binint1(r.nextInt(9)).str("x").additems();
                } else {
                    b.mark().binint1(1).binint1(2).tuple();
                }
            }
            default -> {
                if (memo[0] > 0) {
                    b.binget(r.nextInt(Math.min(memo[0], 255)));
                } else {
                    b.none();
                }
            }
        }
    }

    private static void memoize(PickleBuilder b, Random r, int proto, int[] memo) {
        if (memo[0] < 255 && r.nextBoolean()) {
            if (proto >= 4) {
                b.memoize();
            } else {
                b.binput(memo[0]);
            }
            memo[0]++;
        }
    }

    @Test
    void randomDataPicklesAreCleanAndTheMachineAgrees() {
        Random r = new Random(20261125);
        int clean = 0;
        for (int i = 0; i < 3000; i++) {
            byte[] p = randomData(r);
            if (walk(p)) {
                clean++;
            }
            assertSound(p, "random data #" + i);
        }
        // most well-formed data pickles take the fast path (memo gets are random, some miss)
        assertThat(clean).isGreaterThan(2000);
    }

    @Test
    void mutatedDataPicklesAreNeverCleanWhenTheMachineDisagrees() {
        Random r = new Random(7);
        for (int i = 0; i < 20000; i++) {
            byte[] p = randomData(r);
            byte[] m = p.clone();
            switch (r.nextInt(4)) {
                case 0 -> m[r.nextInt(m.length)] = (byte) r.nextInt(256);
                case 1 -> m = Arrays.copyOf(m, r.nextInt(m.length));
                case 2 -> {
                    int at = r.nextInt(m.length);
                    byte[] n = new byte[m.length + 1];
                    System.arraycopy(m, 0, n, 0, at);
                    n[at] = (byte) r.nextInt(256);
                    System.arraycopy(m, at, n, at + 1, m.length - at);
                    m = n;
                }
                default -> {
                    // a second pickle, then cut somewhere in it
                    byte[] next = randomData(r);
                    byte[] two = Arrays.copyOf(m, m.length + next.length);
                    System.arraycopy(next, 0, two, m.length, next.length);
                    m = Arrays.copyOf(two, m.length + r.nextInt(next.length + 1));
                }
            }
            assertSound(m, "mutation #" + i);
        }
    }

    @Test
    void generatedOracleStreamsAreSound() {
        for (long seed = 1; seed <= 3; seed++) {
            PickleGenerator g = new PickleGenerator(seed);
            for (int i = 0; i < 1000; i++) {
                byte[] s = g.stream(new StringBuilder());
                assertSound(s, "oracle stream " + seed + "/" + i);
            }
        }
    }

    /** A large data pickle as pickle.dump writes it at protocol 4: a list in batches, in frames. */
    static byte[] framedList(Random r, int items) {
        PickleBuilder body = PickleBuilder.create().emptyList().memoize();
        int[] memo = {1};
        for (int i = 0; i < items; i += 7) {
            body.mark();
            for (int j = i; j < Math.min(items, i + 7); j++) {
                value(body, r, 3, 4, memo);
            }
            body.appends();
        }
        byte[] ops = body.stop().bytes();
        PickleBuilder out = PickleBuilder.create().proto(4);
        for (int at = 0; at < ops.length; ) {
            // frames end on opcode boundaries only by luck here, so cut where the walk can check:
            // one frame for everything, or none
            int len = ops.length - at;
            if (r.nextBoolean()) {
                out.frame(len);
            }
            out.raw(Arrays.copyOfRange(ops, at, at + len));
            at += len;
        }
        return out.bytes();
    }

    @Test
    void aSlidingWindowGivesTheSameAnswerOnLargePickles() {
        Random r = new Random(11);
        int clean = 0;
        for (int i = 0; i < 300; i++) {
            byte[] p = framedList(r, 50 + r.nextInt(400));
            if (walk(p)) {
                clean++;
            }
            assertSound(p, "large #" + i);
            byte[] m = p.clone();
            m[r.nextInt(m.length)] = (byte) r.nextInt(256);
            assertSound(m, "large mutated #" + i);
            assertSound(Arrays.copyOf(p, r.nextInt(p.length)), "large cut #" + i);
        }
        assertThat(clean).isGreaterThan(100);
    }

    @Test
    void longOperandsPastTheWindowAreSkippedOrValidatedInPieces() {
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < 3000; i++) {
            text.append(i % 3 == 0 ? "\u00e9" : i % 3 == 1 ? "\u4e2d" : "x");
        }
        byte[] good = PickleBuilder.create().proto(4).emptyList().mark().binunicode(text.toString())
                .bytes(new byte[70_000]).binint1(1).appends().stop().bytes();
        assertThat(walk(good)).isTrue();
        assertThat(walkSliding(good, PickleLimits.DEFAULT)).isTrue();
        assertSound(good, "long operands");

        // an invalid UTF-8 byte deep inside the long string: CPython cannot decode it
        byte[] bad = good.clone();
        int at = indexOf(bad, (byte) 0xe4, 4000);
        bad[at] = (byte) 0xff;
        assertThat(walk(bad)).isFalse();
        assertThat(walkSliding(bad, PickleLimits.DEFAULT)).isFalse();
        assertThat(PickleMachine.run(new ArrayByteSource(bad)).clean()).isFalse();

        // a long bytes operand that runs past the end of the data
        byte[] cut = PickleBuilder.create().proto(4).bytes(new byte[70_000]).stop().bytes();
        cut = Arrays.copyOf(cut, cut.length - 100);
        assertThat(walk(cut)).isFalse();
        assertThat(walkSliding(cut, PickleLimits.DEFAULT)).isFalse();
    }

    private static int indexOf(byte[] b, byte x, int from) {
        for (int i = from; i < b.length; i++) {
            if (b[i] == x) {
                return i;
            }
        }
        throw new AssertionError("not found");
    }

    @Test
    void theWalkGivesUpBeforeAnyLimitOfTheMachine() {
        // 300 items on the stack; the machine allows 100 here and reports the limit
        PickleBuilder deep = PickleBuilder.create().proto(2);
        for (int i = 0; i < 300; i++) {
            deep.none();
        }
        byte[] tall = deep.raw('l').stop().bytes(); // LIST without MARK: not data-clean anyway
        PickleBuilder ok = PickleBuilder.create().proto(2).mark();
        for (int i = 0; i < 300; i++) {
            ok.none();
        }
        byte[] list = ok.list().stop().bytes();
        assertThat(walk(list)).isTrue();
        PickleLimits small = PickleLimits.DEFAULT.withMaxStack(100);
        assertThat(walkSliding(list, small)).isFalse();
        assertThat(PickleMachine.run(new ArrayByteSource(list), 0, small).clean()).isFalse();
        assertThat(walk(tall)).isFalse();

        // three pickles where two are allowed
        byte[] one = PickleBuilder.create().proto(2).none().stop().bytes();
        byte[] three = new byte[one.length * 3];
        for (int i = 0; i < 3; i++) {
            System.arraycopy(one, 0, three, i * one.length, one.length);
        }
        assertThat(walk(three)).isTrue();
        PickleLimits two = PickleLimits.DEFAULT.withMaxPickles(2);
        assertThat(walkSliding(three, two)).isFalse();
        assertThat(PickleMachine.run(new ArrayByteSource(three), 0, two).clean()).isFalse();
    }

    /** {@code ]} (DUP when the size is odd), {@code Na} (APPEND None) pairs, STOP: one opcode per byte. */
    static byte[] oneBytePerOpcode(int size) {
        byte[] b = new byte[size];
        b[0] = ']';
        int i = 1;
        if (size % 2 != 0) {
            b[i++] = '2';
        }
        for (; i + 1 < size; i += 2) {
            b[i] = 'N';
            b[i + 1] = 'a';
        }
        b[size - 1] = '.';
        return b;
    }

    @Test
    void theWalkGivesUpBeforeTheMachinesOpcodeLimitInTheLastSegment() throws Exception {
        // 131072 opcodes, one per byte. The machine checks its opcode count every 65536 opcodes,
        // so a limit of 131071 is reported at the STOP (opcode 131072). The walk compared the
        // limit with the position before each segment only: its last segment started at 114688
        // (below the limit) and ran to the STOP, so it said clean.
        byte[] b = oneBytePerOpcode(131072);
        PickleLimits limits = PickleLimits.DEFAULT.withMaxOpcodes(131071);
        assertThat(PickleMachine.run(new ArrayByteSource(b), 0, limits).clean()).isFalse();
        assertThat(DataOnlyWalk.clean(new ArrayByteSource(b), limits, System.nanoTime() + 10_000_000_000L)).isFalse();
        assertThat(walkSliding(b, limits)).isFalse();
        // the default limit is checked the same way (200,015,872 = 3052 * 65536 = 12208 * 16384)
        assertThat(walk(b)).isTrue();
        assertSound(b, "one byte per opcode");

        // around the limit: whenever the walk says clean, the machine does not reach its limit
        for (int size : new int[] {65536, 65537, 131072, 131073}) {
            byte[] p = oneBytePerOpcode(size);
            for (long max = 65536 - 2 * DataOnlyWalk.SEGMENT - 3; max <= size + 3; max += 4099) {
                for (long m : new long[] {max, max == 65536 - 2 * DataOnlyWalk.SEGMENT - 3 ? 65535 : size - 1L}) {
                    PickleLimits l = PickleLimits.DEFAULT.withMaxOpcodes(m);
                    boolean whole = DataOnlyWalk.clean(new ArrayByteSource(p), l, System.nanoTime() + 10_000_000_000L);
                    if (whole || walkSliding(p, l)) {
                        assertThat(PickleMachine.run(new ArrayByteSource(p), 0, l).clean())
                                .as("size %d, limit %d", size, m).isTrue();
                    }
                }
            }
        }
    }

    @Test
    void manySmallPicklesAfterOneWithAHugeMemoDoNotEachClearThatMemo() throws Exception {
        // a list memoized 4 million times (a 4 MB memo), then 99,999 pickles "None": clearing
        // the whole memo at the start of each pickle took seconds (15 s with an 8 MB memo), so
        // the walk ran out of time and the machine did all the work again
        int n = 4_000_000;
        byte[] b = new byte[1 + n + 1 + 2 * 99_999];
        b[0] = ']';
        Arrays.fill(b, 1, 1 + n, (byte) 0x94);
        b[1 + n] = '.';
        for (int i = 2 + n; i < b.length; i += 2) {
            b[i] = 'N';
            b[i + 1] = '.';
        }
        assertThat(DataOnlyWalk.clean(new ArrayByteSource(b), PickleLimits.DEFAULT, System.nanoTime() + 3_000_000_000L))
                .isTrue();
        // and a memo entry of the big pickle is gone in the next one
        byte[] get = Arrays.copyOf(b, 1 + n + 1 + 4);
        get[get.length - 4] = 'h';
        get[get.length - 3] = (byte) 200;
        get[get.length - 2] = '.';
        get = Arrays.copyOf(get, get.length - 1);
        assertThat(walk(get)).isFalse();
    }

    @Test
    void theWalkGivesUpAtTheMachinesMarkLimitEvenBelowItsFirstArraySize() throws Exception {
        PickleLimits d = PickleLimits.DEFAULT;
        for (int max = 0; max <= 40; max++) {
            PickleLimits limits = new PickleLimits(d.maxOpcodes(), d.maxMemo(), d.maxStack(), max, d.maxEvents(),
                    d.maxLine(), d.keepString(), d.keepBudget(), d.maxPickles(), d.bufferSize(), d.maxTime(),
                    d.containerItems());
            for (int depth = 1; depth <= 40; depth++) {
                // depth nested empty lists: MARK ... MARK EMPTY_LIST LIST ... LIST
                PickleBuilder p = PickleBuilder.create().proto(2);
                for (int i = 0; i < depth; i++) {
                    p.mark();
                }
                p.emptyList();
                for (int i = 0; i < depth; i++) {
                    p.list();
                }
                byte[] b = p.stop().bytes();
                boolean machineClean = PickleMachine.run(new ArrayByteSource(b), 0, limits).clean();
                assertThat(machineClean).isEqualTo(depth <= max);
                if (!machineClean) {
                    assertThat(walkSliding(b, limits)).as("%d marks, limit %d", depth, max).isFalse();
                    assertThat(DataOnlyWalk.clean(new ArrayByteSource(b), limits, System.nanoTime() + 10_000_000_000L))
                            .isFalse();
                }
            }
        }
    }

    @Test
    void theWarmUpSampleIsCleanDataAndTheWarmUpSaysSo() {
        assertThat(DataOnlyWalk.warmUp()).isTrue();
    }

    @Test
    void importsCallsAndTextOpcodesGoToTheMachine() {
        assertThat(walk(PickleBuilder.call("os", "system", "id"))).isFalse();
        assertThat(walk(PickleBuilder.create().intText("1").stop().bytes())).isFalse();
        assertThat(walk(PickleBuilder.create().proto(2).none().stop().raw(0xff).bytes())).isFalse();
        assertThat(walk(PickleBuilder.create().proto(4).frame(2).str("ab").stop().bytes())).isFalse();
        assertThat(walk(PickleBuilder.create().proto(2).emptyList().stop().bytes())).isTrue();
    }
}
