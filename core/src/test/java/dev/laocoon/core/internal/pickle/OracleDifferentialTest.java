package dev.laocoon.core.internal.pickle;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Differential test against CPython's C unpickler. Random pickle streams (well-formed ones of
 * every protocol, then mutated ones) are written to files, loaded by {@code oracle.py} in one
 * python3 run, and run through {@link PickleMachine}; the sequences of find_class arguments must
 * agree. When CPython loads a stream without error the machine must report exactly the same
 * imports and no error. When CPython raises, its imports must be a prefix of the machine's: in a
 * world of inert stubs CPython stops at type errors the machine cannot see (and EXT codes are not
 * registered there), so the machine may go on; but a structural error of the machine
 * (TRUNCATED, MALFORMED) is only allowed where CPython failed as well.
 *
 * <p>Set {@code -Doracle.dir=/some/dir} to keep the generated files, {@code -Doracle.cases=N}
 * to change the number of cases for the main seed, {@code -Doracle.seed=N} to change that seed,
 * {@code -Doracle.files=a.pkl,b.pkl} to add files, {@code -Doracle.verbose=true} to list the
 * streams only CPython failed on.
 */
class OracleDifferentialTest {
    private static final long MAIN_SEED = Long.getLong("oracle.seed", 0x4C414F434F4F4EL); // "LAOCOON"
    private static final long[] EXTRA_SEEDS = {1, 2, 3, 20240611};
    private static final int MAIN_CASES = Integer.getInteger("oracle.cases", 1200);
    private static final int EXTRA_CASES = 200;

    private record Case(String label, Path file, byte[] data) {
    }

    @Test
    void machineResolvesGlobalsLikeTheCUnpickler(@TempDir Path tmp) throws Exception {
        Assumptions.assumeTrue(CPythonOracle.available(), "python3 with the C unpickler is not available");
        String keep = System.getProperty("oracle.dir");
        Path dir = keep != null ? Files.createDirectories(Path.of(keep)) : tmp;

        List<Case> cases = new ArrayList<>();
        generate(MAIN_SEED, MAIN_CASES, dir, cases);
        for (long seed : EXTRA_SEEDS) {
            generate(seed, EXTRA_CASES, dir, cases);
        }
        String extra = System.getProperty("oracle.files");
        if (extra != null) {
            for (String f : extra.split(",")) {
                Path p = Path.of(f.trim());
                cases.add(new Case("file " + p, p, Files.readAllBytes(p)));
            }
        }

        if (keep != null) {
            Files.write(dir.resolve("labels.txt"), cases.stream().map(c -> c.file().getFileName() + " " + c.label()).toList());
        }
        List<CPythonOracle.Result> expected = CPythonOracle.run(cases.stream().map(Case::file).toList(), dir);

        List<String> mismatches = new ArrayList<>();
        int cpythonClean = 0;
        int machineLenient = 0;
        int frameDrops = 0;
        int frameDropsClean = 0;
        for (int i = 0; i < cases.size(); i++) {
            Case c = cases.get(i);
            CPythonOracle.Result py = expected.get(i);
            PickleTrace ours = CPythonOracle.machine(c.file(), py.bufferSize());
            if (py.clean()) {
                cpythonClean++;
            } else if (ours.firstError() == null && ours.trailingStart() < 0) {
                machineLenient++;
                if (Boolean.getBoolean("oracle.verbose")) {
                    System.out.println("LENIENT " + c.label() + " (" + c.file().getFileName() + "): CPython " + py.error());
                }
            }
            if (dropsFrameBytes(ours)) {
                frameDrops++;
                frameDropsClean += py.clean() ? 1 : 0;
            }
            String why = CPythonOracle.disagreement(py, ours);
            if (why != null) {
                mismatches.add(report(c, py, ours, why));
            }
        }
        System.out.printf("oracle: %d cases, %d loaded cleanly by CPython, %d where only CPython failed,"
                + " %d with frame bytes dropped (%d clean), %d mismatches%n",
                cases.size(), cpythonClean, machineLenient, frameDrops, frameDropsClean, mismatches.size());
        mismatches.forEach(System.out::println);
        assertThat(mismatches).as("disagreements with CPython's C unpickler").isEmpty();
        // the generator must keep producing streams CPython accepts, or the test proves little
        assertThat(cpythonClean).isGreaterThan(cases.size() / 4);
    }

    private static boolean dropsFrameBytes(PickleTrace t) {
        for (PickleResult r : t.pickles()) {
            for (TraceEvent e : r.events()) {
                if (e instanceof TraceEvent.FrameIssue fi && fi.detail().contains("drops bytes")) {
                    return true;
                }
            }
        }
        return false;
    }

    private static void generate(long seed, int count, Path dir, List<Case> out) throws Exception {
        PickleGenerator g = new PickleGenerator(seed);
        for (int i = 0; i < count; i++) {
            StringBuilder label = new StringBuilder("seed " + seed + " #" + i + ": ");
            byte[] data = g.stream(label);
            Path f = dir.resolve("s" + seed + "-" + i + ".pkl");
            Files.write(f, data);
            out.add(new Case(label.toString(), f, data));
        }
    }

    private static String report(Case c, CPythonOracle.Result py, PickleTrace ours, String why) {
        StringBuilder sb = new StringBuilder();
        sb.append("MISMATCH ").append(c.label()).append(" (").append(c.file().getFileName()).append(")\n");
        sb.append("  ").append(why).append('\n');
        sb.append("  CPython: loads=").append(py.loads()).append(" error=").append(py.error()).append('\n');
        sb.append("           imports=").append(py.imports()).append('\n');
        PickleError e = ours.firstError();
        sb.append("  machine: pickles=").append(ours.pickles().size()).append(" trailing=").append(ours.trailingStart())
                .append(" error=").append(e == null ? "none" : e.kind() + " at " + e.offset() + ": " + e.getMessage())
                .append('\n');
        sb.append("           imports=").append(CPythonOracle.imports(ours)).append('\n');
        for (PickleResult r : ours.pickles()) {
            for (TraceEvent ev : r.events()) {
                if (ev instanceof TraceEvent.FrameIssue fi) {
                    sb.append("           frame issue at ").append(fi.offset()).append(": ").append(fi.detail()).append('\n');
                }
            }
        }
        sb.append(hexDump(c.data(), 0, 1024));
        if (e != null && c.data().length > 1024 && e.offset() > 1024 - 128) {
            sb.append("  around the machine's error:\n");
            sb.append(hexDump(c.data(), (int) Math.max(1024, (e.offset() - 128) & ~15L), 256));
        }
        return sb.toString();
    }

    static String hexDump(byte[] data, int from, int max) {
        StringBuilder sb = new StringBuilder();
        int end = (int) Math.min(data.length, (long) from + max);
        for (int off = from; off < end; off += 16) {
            sb.append(String.format("  %08x  ", off));
            StringBuilder text = new StringBuilder();
            for (int k = 0; k < 16; k++) {
                if (off + k < end) {
                    int b = data[off + k] & 0xff;
                    sb.append(String.format("%02x ", b));
                    text.append(b >= 0x20 && b < 0x7f ? (char) b : '.');
                } else {
                    sb.append("   ");
                }
            }
            sb.append(' ').append(text).append('\n');
        }
        if (end < data.length) {
            sb.append("  ... ").append(data.length - end).append(" more bytes (").append(data.length).append(" in all)\n");
        }
        return sb.toString();
    }
}
