package dev.laocoon.core;

import dev.laocoon.core.testutil.Pythons;
import static org.assertj.core.api.Assertions.assertThat;

import dev.laocoon.core.finding.Severity;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The false-alarm guard while the pickle policy tightens: files written by real library versions
 * that no one here controls must not be blocked.
 * <ul>
 *   <li>the pickles, arrays and models Debian's packages ship as their own test data (joblib's
 *       pickles of many joblib, Python and NumPy versions, pandas' legacy pickles, NumPy's Python 2
 *       object arrays, SciPy, ONNX, h5py and PyTables data), found under the installed packages;
 *   <li>pickles of ordinary library objects (NumPy, pandas, SciPy, scikit-learn, joblib, PyTorch)
 *       written by the installed libraries with {@code oracle/library_pickles.py}.
 * </ul>
 * Each part skips with a log line where the packages or a Python with them are absent
 * (`.ci/run` installs Debian's python3-torch, -sklearn, -pandas, -joblib, -h5py, -onnx, -tables).
 */
class LibraryDataAcceptanceTest {
    private static final List<Path> ROOTS = List.of(Path.of("/usr/lib/python3/dist-packages"), Path.of("/usr/share/python-tables"));
    private static final List<String> PACKAGES = List.of("joblib", "numpy", "pandas", "scipy", "sklearn", "onnx", "h5py",
            "tables", "torch", "python-tables");
    private static final Pattern DATA = Pattern.compile(
            ".*\\.(pkl|pickle|npy|npz|joblib|onnx|h5|hdf5|pt|pth)(\\.(gz|gzip|bz2|xz|lzma|z|zlib))?", Pattern.CASE_INSENSITIVE);

    @Test
    void debianPackagesTestDataIsNotBlocked() throws IOException {
        List<Path> files = new ArrayList<>();
        for (Path root : ROOTS) {
            if (!Files.isDirectory(root)) {
                continue;
            }
            for (String pkg : PACKAGES) {
                Path dir = root.getFileName().toString().equals(pkg) ? root : root.resolve(pkg);
                if (!Files.isDirectory(dir)) {
                    continue;
                }
                try (Stream<Path> s = Files.walk(dir)) {
                    s.filter(Files::isRegularFile).filter(p -> DATA.matcher(p.getFileName().toString()).matches())
                            .forEach(files::add);
                }
            }
        }
        if (files.isEmpty()) {
            System.out.println("LibraryDataAcceptanceTest: skipped, no Debian package test data under " + ROOTS);
        }
        Assumptions.assumeFalse(files.isEmpty(), "no Debian package test data installed");
        assertNothingBlocked(files);
    }

    @Test
    void picklesOfOrdinaryLibraryObjectsAreNotBlocked(@TempDir Path dir) throws Exception {
        String python = python();
        if (python == null) {
            System.out.println("LibraryDataAcceptanceTest: skipped, no python3 with numpy");
        }
        Assumptions.assumeTrue(python != null, "no python3 with numpy");
        Path script = dir.resolve("library_pickles.py");
        try (InputStream in = getClass().getResourceAsStream("oracle/library_pickles.py")) {
            Files.copy(in, script);
        }
        Path out = dir.resolve("out");
        Process p = new ProcessBuilder(python, script.toString(), out.toString()).redirectErrorStream(true).start();
        String log = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor(600, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(log).isZero();
        List<Path> files;
        try (Stream<Path> s = Files.list(out)) {
            files = s.sorted().toList();
        }
        assertThat(files).as("the oracle wrote NumPy pickles at least").hasSizeGreaterThan(3);
        assertNothingBlocked(files);
    }

    private static void assertNothingBlocked(List<Path> files) {
        Scanner scanner = Scanner.builder().build();
        Map<Severity, Integer> counts = new TreeMap<>();
        List<String> blocked = new ArrayList<>();
        for (Path f : files) {
            FileReport r = scanner.scan(f);
            counts.merge(r.verdict(), 1, Integer::sum);
            if (r.verdict().atLeast(Severity.SUSPICIOUS)) {
                blocked.add(f + ": " + r.verdict().name().toLowerCase(Locale.ROOT) + " " + r.findings());
            }
        }
        System.out.println("LibraryDataAcceptanceTest: " + files.size() + " files: " + counts);
        assertThat(blocked).as("legitimate library files blocked").isEmpty();
    }

    private static String python() {
        return Pythons.with("numpy");
    }
}
