package dev.laocoon.core.internal.pickle;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.laocoon.core.internal.analysis.PickleAnalyzer;
import dev.laocoon.core.explain.PickleExplainer;
import dev.laocoon.core.finding.Finding;
import dev.laocoon.core.finding.Location;
import dev.laocoon.core.kb.KnowledgeBase;
import dev.laocoon.core.source.ArrayByteSource;
import dev.laocoon.core.source.ByteSource;
import java.io.IOException;
import java.time.Duration;
import java.util.List;

/**
 * Fuzz target for the pickle machine, the analyser and the explainer.
 *
 * <p>{@code mvn test} replays the seeds in {@code PickleMachineFuzzTestInputs/fuzzPickle/} (and
 * the empty input) as ordinary parameterized tests. To fuzz:
 * {@code JAZZER_FUZZ=1 mvn -pl core test -Dtest=PickleMachineFuzzTest -DargLine=-Xmx256m} (5 minutes,
 * see maxDuration; add {@code -Djazzer.keep_going=20} to go on after a finding); findings are written
 * next to the seeds as {@code crash-<sha1>} and then replayed by every later run. Jazzer's agent
 * costs a few seconds even when only replaying; {@code -Djazzer.hooks=false} avoids that for a
 * replay-only run (never when fuzzing: it also turns off coverage).
 *
 * <p>What must hold for any input: no exception escapes (a loader error is a {@link PickleError}
 * inside the trace, never thrown), the trace is consistent with the input (offsets inside it,
 * one error at most and only in the last pickle) and every cap in the limits is respected.
 */
class PickleMachineFuzzTest {

    /** Small caps so that each input runs in milliseconds and the caps themselves get exercised. */
    static final PickleLimits LIMITS = new PickleLimits(
            100_000, 5_000, 5_000, 500, 500,
            4096, 4096, 64 * 1024, 50,
            PickleInput.DEFAULT_BUFFER_SIZE, Duration.ofSeconds(2), Value.PREVIEW_ITEMS);

    /** A tiny read buffer makes short inputs cross io.BufferedReader blocks, as large files do. */
    static final PickleLimits SMALL_BUFFER = LIMITS.withBufferSize(7);

    private static final boolean KB_PRESENT = kbPresent();

    private static boolean kbPresent() {
        for (String f : List.of("globals-data.txt", "globals-libraries.txt", "globals-dangerous.txt", "module-aliases.txt")) {
            if (KnowledgeBase.class.getResource("/dev/laocoon/kb/" + f) == null) {
                return false;
            }
        }
        return true;
    }

    // No JUnit @Timeout: jazzer-junit 0.24 turns it into libFuzzer's -timeout but JUnit then also
    // applies it to the whole fuzzing invocation, which fails every campaign longer than the timeout.
    @FuzzTest(maxDuration = "5m")
    void fuzzPickle(byte[] data) {
        check(data, LIMITS);
        check(data, SMALL_BUFFER);
        // The data-only fast path may only say "clean" when the machine finds nothing at all.
        boolean clean = DataOnlyWalk.clean(data, data.length, System.nanoTime() + 2_000_000_000L);
        // ... and a window that slides every few dozen bytes gives the same answer.
        boolean sliding;
        try {
            sliding = DataOnlyWalk.clean(new ArrayByteSource(data), PickleLimits.DEFAULT,
                    System.nanoTime() + 2_000_000_000L, 16, 16);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        if (sliding != clean) {
            throw new AssertionError("the sliding window disagrees with the whole window: " + sliding);
        }
        if (clean) {
            PickleTrace t = PickleMachine.run(new ArrayByteSource(data), 0, PickleLimits.DEFAULT);
            if (!t.clean() || t.pickles().stream().anyMatch(p -> !p.events().isEmpty())) {
                throw new AssertionError("data-only walk said clean but the machine disagrees");
            }
        }
    }

    private static void check(byte[] data, PickleLimits limits) {
        long t0 = System.nanoTime();
        PickleTrace trace = PickleMachine.run(new CheckingSource(new ArrayByteSource(data)), 0, limits);
        long elapsed = System.nanoTime() - t0;
        // Not a timing test: only a machine ignoring its own time limit by seconds fails this.
        assertThat(elapsed).as("machine time for %d bytes (limit %s)", data.length, limits.maxTime())
                .isLessThan(limits.maxTime().plusSeconds(5).toNanos());
        checkTrace(trace, data.length, limits);
        if (KB_PRESENT) {
            Location where = Location.of("fuzz");
            List<Finding> findings = new PickleAnalyzer(KnowledgeBase.builtin(), limits).analyze(trace, where);
            for (Finding f : findings) {
                assertThat(f.rule()).isNotNull();
                assertThat(f.severity()).isNotNull();
                assertThat(f.message()).isNotNull();
                assertThat(f.location().offset()).isBetween(-1L, (long) data.length);
            }
            String text = PickleExplainer.explain(trace, findings, where);
            assertThat(text).isNotNull();
        }
    }

    static void checkTrace(PickleTrace trace, long size, PickleLimits limits) {
        assertThat(trace.size()).isEqualTo(size);
        assertThat(trace.trailingStart()).isBetween(-1L, size);
        List<PickleResult> ps = trace.pickles();
        assertThat(ps.size()).isLessThanOrEqualTo(limits.maxPickles() + 1);
        long previousEnd = 0;
        for (int i = 0; i < ps.size(); i++) {
            PickleResult p = ps.get(i);
            assertThat(p.index()).isEqualTo(i);
            assertThat(p.start()).as("start of pickle %d", i).isBetween(previousEnd, size);
            assertThat(p.end()).as("end of pickle %d", i).isBetween(p.start(), size);
            assertThat(p.protocol()).isBetween(0, 5);
            assertThat(p.opcodes()).isBetween(0L, Math.max(0L, p.end() - p.start() + 1));
            assertThat(p.events().size()).isLessThanOrEqualTo(limits.maxEvents());
            for (TraceEvent e : p.events()) {
                assertThat(e.offset()).as("event offset in pickle %d", i).isBetween(p.start(), p.end());
                assertThat(e.opcode()).isNotNull();
            }
            PickleError err = p.error();
            if (err == null) {
                assertThat(p.result()).as("a pickle without error returns an object").isNotNull();
                assertThat(p.result().render(200).length()).isLessThan(8192);
            } else {
                assertThat(i).as("only the last pickle fails").isEqualTo(ps.size() - 1);
                assertThat(err.kind()).isNotNull();
                assertThat(err.getMessage()).isNotEmpty();
                assertThat(err.offset()).as("error offset").isBetween(0L, size);
                assertThat(p.result()).isNull();
            }
            previousEnd = p.end();
        }
        if (trace.trailingStart() >= 0) {
            assertThat(trace.trailingStart()).isGreaterThanOrEqualTo(previousEnd);
        }
    }

    /** Fails on a read the machine should never issue (negative position, bad buffer bounds). */
    static final class CheckingSource implements ByteSource {
        private final ByteSource inner;

        CheckingSource(ByteSource inner) {
            this.inner = inner;
        }

        @Override
        public long size() {
            return inner.size();
        }

        @Override
        public int read(long position, byte[] dst, int off, int len) throws IOException {
            if (position < 0 || off < 0 || len < 0 || off + len > dst.length) {
                throw new AssertionError("bad read: position " + position + ", off " + off + ", len " + len
                        + ", buffer " + dst.length);
            }
            return inner.read(position, dst, off, len);
        }
    }
}
