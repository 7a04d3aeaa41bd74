package dev.laocoon.bench;

import dev.laocoon.core.kb.KnowledgeBase;
import dev.laocoon.core.internal.pickle.DataOnlyWalk;
import dev.laocoon.core.internal.pickle.PickleLimits;
import dev.laocoon.core.internal.pickle.PickleMachine;
import dev.laocoon.core.internal.pickle.PickleTrace;
import dev.laocoon.core.FileReport;
import dev.laocoon.core.Scanner;
import dev.laocoon.core.source.ArrayByteSource;
import dev.laocoon.core.source.FileByteSource;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Throughput of the pickle machine (and of a whole file scan) on an opcode-dense protocol-4
 * pickle of small dicts. {@code file} names a pickle to read (scripts/bench-pickle.sh passes the
 * one it generated with Python); when empty, the same shape is generated in Java with
 * {@code items} dicts. Convert to MB/s and opcodes/s with the size and opcode count printed
 * at set-up ({@code # bench input: ...}); scripts/bench-pickle.sh --jmh does it.
 *
 * <pre>java -Xmx256m -jar bench/target/benchmarks.jar PickleScanBenchmark [-p file=/tmp/x.pkl]</pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xmx256m"})
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class PickleScanBenchmark {

    @Param("")
    public String file;

    @Param("400000")
    public int items;

    private byte[] data;
    private Path path;
    private boolean tempFile;
    private Scanner scanner;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        if (file == null || file.isEmpty()) {
            data = BenchPickle.generate(items);
            path = Files.createTempFile("laocoon-bench", ".pkl");
            Files.write(path, data);
            tempFile = true;
        } else {
            path = Path.of(file);
            data = Files.readAllBytes(path);
        }
        scanner = Scanner.builder().knowledgeBase(KnowledgeBase.builtin()).build();
        PickleTrace t = PickleMachine.run(new ArrayByteSource(data), 0, PickleLimits.DEFAULT);
        if (!t.clean()) {
            throw new IllegalStateException("benchmark pickle does not parse cleanly: " + t.firstError());
        }
        long opcodes = t.pickles().stream().mapToLong(p -> p.opcodes()).sum();
        System.out.println("# bench input: " + (tempFile ? "generated in Java" : path) + ", bytes=" + data.length
                + ", opcodes=" + opcodes);
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        if (tempFile) {
            Files.deleteIfExists(path);
        }
    }

    /** The machine alone on bytes already in memory. */
    @Benchmark
    public PickleTrace machineInMemory() {
        return PickleMachine.run(new ArrayByteSource(data), 0, PickleLimits.DEFAULT);
    }

    /** The machine reading the file with positional reads (page cache warm). */
    @Benchmark
    public PickleTrace machineFromFile() throws IOException {
        try (FileByteSource src = new FileByteSource(path)) {
            return PickleMachine.run(src, 0, PickleLimits.DEFAULT);
        }
    }

    /** The data-only walk reading the file: the fast path a scan of plain data takes. */
    @Benchmark
    public boolean dataOnlyWalk() throws IOException {
        try (FileByteSource src = new FileByteSource(path)) {
            return DataOnlyWalk.clean(src, PickleLimits.DEFAULT, Long.MAX_VALUE);
        }
    }

    /**
     * What {@code laocoon scan FILE} does after start-up: format detection, then the data-only
     * walk, or the machine and the analyser when the walk gives up, and the verdict.
     */
    @Benchmark
    public FileReport scanFile() {
        return scanner.scan(path, "bench");
    }
}
