package dev.laocoon.core.internal.pickle;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.laocoon.core.source.FileByteSource;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs {@code oracle.py}: CPython's C unpickler loading files pickle after pickle with a
 * recording, never-importing {@code find_class}. Used by the differential test and by focused
 * tests that check a hand-built stream against the real loader when {@code python3} exists.
 */
final class CPythonOracle {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static Boolean available;

    private CPythonOracle() {
    }

    /** What CPython did with one file. */
    record Result(List<List<String>> imports, int loads, boolean clean, String errorType, String errorMessage,
                  int bufferSize) {
        String error() {
            return clean ? "none" : errorType + ": " + errorMessage;
        }
    }

    /** True when python3 runs and its pickle.Unpickler is the C unpickler. */
    static synchronized boolean available() {
        if (available == null) {
            try {
                Process p = new ProcessBuilder("python3", "-c",
                        "import pickle, _pickle, sys; sys.exit(0 if pickle.Unpickler is _pickle.Unpickler else 1)")
                        .redirectErrorStream(true).start();
                p.getInputStream().readAllBytes();
                available = p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
            } catch (IOException | InterruptedException e) {
                available = false;
            }
        }
        return available;
    }

    static Path script() {
        try {
            return Path.of(CPythonOracle.class.getResource("oracle.py").toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Runs the oracle once over all files; results in the same order. */
    static List<Result> run(List<Path> files, Path workDir) throws IOException, InterruptedException {
        Path list = Files.createTempFile(workDir, "oracle", ".lst");
        StringBuilder sb = new StringBuilder();
        for (Path f : files) {
            sb.append(f.toAbsolutePath()).append('\n');
        }
        Files.writeString(list, sb, StandardCharsets.UTF_8);
        Path out = Files.createTempFile(workDir, "oracle", ".out");
        Path err = Files.createTempFile(workDir, "oracle", ".err");
        Process p = new ProcessBuilder("python3", script().toString(), "--list", list.toString())
                .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IllegalStateException("oracle.py timed out");
        }
        if (p.exitValue() != 0) {
            throw new IllegalStateException("oracle.py failed: " + Files.readString(err));
        }
        List<Result> results = new ArrayList<>();
        for (String line : Files.readAllLines(out, StandardCharsets.UTF_8)) {
            if (!line.isBlank()) {
                results.add(parse(JSON.readTree(line)));
            }
        }
        if (results.size() != files.size()) {
            throw new IllegalStateException("oracle.py answered " + results.size() + " of " + files.size() + " files");
        }
        return results;
    }

    /** Convenience for focused tests: one stream written to a temporary file. */
    static Result run(byte[] data) {
        try {
            Path dir = Files.createTempDirectory("laocoon-oracle");
            try {
                Path f = dir.resolve("case.pkl");
                Files.write(f, data);
                return run(List.of(f), dir).get(0);
            } finally {
                try (var s = Files.list(dir)) {
                    for (Path p : (Iterable<Path>) s::iterator) {
                        Files.deleteIfExists(p);
                    }
                }
                Files.deleteIfExists(dir);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static Result parse(JsonNode n) {
        List<List<String>> imports = new ArrayList<>();
        for (JsonNode pair : n.get("imports")) {
            imports.add(List.of(pair.get(0).asText(), pair.get(1).asText()));
        }
        JsonNode e = n.get("error");
        boolean clean = n.get("clean").asBoolean();
        return new Result(imports, n.get("loads").asInt(), clean,
                e == null || e.isNull() ? null : e.get("type").asText(),
                e == null || e.isNull() ? null : e.get("message").asText(),
                n.path("bufsize").asInt(PickleInput.DEFAULT_BUFFER_SIZE));
    }

    /** The machine's run of a file, with the buffer size CPython's open() used for it. */
    static PickleTrace machine(Path file, int bufferSize) throws IOException {
        try (FileByteSource src = new FileByteSource(file)) {
            return PickleMachine.run(src, 0, PickleLimits.DEFAULT.withBufferSize(bufferSize));
        }
    }

    static PickleTrace machine(Path file) throws IOException {
        return machine(file, PickleInput.DEFAULT_BUFFER_SIZE);
    }

    static PickleTrace machine(byte[] data) {
        try {
            Path f = Files.createTempFile("laocoon-case", ".pkl");
            try {
                Files.write(f, data);
                return machine(f);
            } finally {
                Files.deleteIfExists(f);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static List<List<String>> imports(PickleTrace trace) {
        List<List<String>> out = new ArrayList<>();
        for (PickleResult r : trace.pickles()) {
            for (TraceEvent e : r.events()) {
                if (e instanceof TraceEvent.Import imp) {
                    out.add(List.of(imp.name().module(), imp.name().name()));
                }
            }
        }
        return out;
    }

    /**
     * The comparison rule. Returns null when the machine agrees with CPython, else why not.
     * CPython clean: same imports, same number of pickles, no error. CPython failed: its imports
     * are a prefix of ours, and a structural error of ours means CPython failed too (given).
     */
    static String disagreement(Result py, PickleTrace ours) {
        List<List<String>> mine = imports(ours);
        PickleError err = ours.firstError();
        if (py.clean()) {
            if (!mine.equals(py.imports())) {
                return "CPython loaded cleanly; imports differ";
            }
            if (err != null) {
                return "CPython loaded cleanly; machine reports " + err.kind() + " at " + err.offset() + ": "
                        + err.getMessage();
            }
            if (ours.trailingStart() >= 0) {
                return "CPython loaded cleanly; machine reports trailing data at " + ours.trailingStart();
            }
            if (ours.pickles().size() != py.loads()) {
                return "CPython loaded " + py.loads() + " pickles, machine " + ours.pickles().size();
            }
            return null;
        }
        if (mine.size() < py.imports().size() || !mine.subList(0, py.imports().size()).equals(py.imports())) {
            return "CPython's imports are not a prefix of the machine's";
        }
        if (err == null && ours.trailingStart() < 0 && !ours.pickles().isEmpty() && !stubWorldError(py)) {
            return "CPython raised an error the machine does not see";
        }
        return null;
    }

    /**
     * Errors CPython raises only because the oracle's objects are inert stubs: the machine cannot
     * know the type of a call's result, so it goes on. TypeError and AttributeError count only
     * when they name the stub class (or type, for the class itself); the unpickler's own type
     * checks cannot tell, so they always count. Then the environment: MemoryError comes from
     * the oracle's address-space cap (huge memo index or operand length), EXT codes are not
     * registered, and NEXT_BUFFER needs buffers passed to the loader (the machine assumes a
     * loader that does).
     */
    static boolean stubWorldError(Result py) {
        String t = py.errorType();
        String m = py.errorMessage() == null ? "" : py.errorMessage();
        if ("TypeError".equals(t) || "AttributeError".equals(t)) {
            return m.contains("LaocoonStub") || m.contains("'type'") || m.contains("not type")
                    || m.contains("type object") || m.contains("must be a tuple") || m.contains("must be a dict")
                    // calling a class with a **kwargs dict whose keys are not all str: the
                    // stub's __new__ is Python code; some classes would not mind
                    || m.contains("keywords must be strings");
        }
        return "MemoryError".equals(t)
                || m.contains("unregistered extension code")
                || m.contains("out-of-band data")
                || m.contains("class argument")
                || m.contains("state is not a dictionary")
                || m.contains("STACK_GLOBAL requires str")
                || m.contains("must be a tuple")
                || m.contains("must be a dict");
    }
}
