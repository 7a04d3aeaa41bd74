package dev.laocoon.core.pickle;

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

    static void assertSound(byte[] b, String what) {
        if (!walk(b)) {
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

    @Test
    void importsCallsAndTextOpcodesGoToTheMachine() {
        assertThat(walk(PickleBuilder.call("os", "system", "id"))).isFalse();
        assertThat(walk(PickleBuilder.create().intText("1").stop().bytes())).isFalse();
        assertThat(walk(PickleBuilder.create().proto(2).none().stop().raw(0xff).bytes())).isFalse();
        assertThat(walk(PickleBuilder.create().proto(4).frame(2).str("ab").stop().bytes())).isFalse();
        assertThat(walk(PickleBuilder.create().proto(2).emptyList().stop().bytes())).isTrue();
    }
}
