package dev.laocoon.core.internal.container;

import static org.assertj.core.api.Assertions.assertThat;

import dev.laocoon.core.FileReport;
import dev.laocoon.core.Scanner;
import dev.laocoon.core.finding.Severity;
import dev.laocoon.core.internal.format.PyLiteral;
import dev.laocoon.core.internal.format.numpy.NpyHeader;
import dev.laocoon.core.source.ArrayByteSource;
import dev.laocoon.core.testutil.PickleBuilder;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Whether a .npy is an object array is decided from its parsed descr as numpy's descr_to_dtype reads
 * it, not from the header's text: a field named 'Open' is a float field; an object field inside a
 * structured (or nested, or subarray) dtype is a pickle.
 */
class NpyDescrTest {
    static final byte[] EVIL = PickleBuilder.call("os", "system", "echo pwned");

    @TempDir
    Path dir;

    static byte[] npy(String descr, byte[] data) {
        String header = "{'descr': " + descr + ", 'fortran_order': False, 'shape': (1,), }";
        int pad = 64 - (10 + header.length() + 1) % 64;
        header = header + " ".repeat(pad % 64) + "\n";
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0});
        out.write(header.length() & 0xff);
        out.write(header.length() >> 8);
        out.writeBytes(header.getBytes(StandardCharsets.ISO_8859_1));
        out.writeBytes(data);
        return out.toByteArray();
    }

    static FileReport scan(byte[] b) {
        return Scanner.builder().build().scan(new ArrayByteSource(b), "a.npy");
    }

    /** Float data that starts the way a protocol-4 pickle does: a type test on the text would unpickle it. */
    static final byte[] FLOATS = {(byte) 0x80, 4, (byte) 0x95, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, (byte) 0xf0, 0x3f};

    static final String[] PLAIN = {"[('Open', '<f8')]", "[('Open', '<f4'), ('Close', '<f4')]", "[('OBV', '<i8')]",
        "[(('Opening price', 'Open'), '<f8')]", "[('Orders', '<f4', (2,))]", "[('Outer', [('Oi', '<f4'), ('Oj', '<f4')])]",
        "[('', '|V8')]"};
    static final String[] OBJECT = {"[('x', 'O')]", "[('Open', '<f8'), ('x', '|O')]", "[('a', [('b', 'O')])]",
        "[('a', 'O', (2,))]", "[('a', ('O', (2,)))]", "'f8,O'", "[('a', 'object')]", "('O', (2,))", "[('aO')]"};

    @ParameterizedTest
    @ValueSource(strings = {"[('Open', '<f8')]", "[('Open', '<f4'), ('Close', '<f4')]", "[('OBV', '<i8')]",
        "[(('Opening price', 'Open'), '<f8')]", "[('Orders', '<f4', (2,))]", "[('Outer', [('Oi', '<f4'), ('Oj', '<f4')])]"})
    void aStructuredNumericArrayWithAnOInAFieldNameIsSafe(String descr) {
        byte[] data = new byte[64];
        System.arraycopy(FLOATS, 0, data, 0, FLOATS.length);
        FileReport r = scan(npy(descr, data));
        assertThat(r.findings()).as(descr).isEmpty();
        assertThat(r.verdict()).isEqualTo(Severity.SAFE);
    }

    @ParameterizedTest
    @ValueSource(strings = {"[('x', 'O')]", "[('Open', '<f8'), ('x', '|O')]", "[('a', [('b', 'O')])]",
        "[('a', 'O', (2,))]", "[('a', ('O', (2,)))]", "'f8,O'", "[('a', 'object')]", "('O', (2,))"})
    void anObjectFieldAnywhereInTheDtypeIsAPickle(String descr) {
        FileReport r = scan(npy(descr, EVIL));
        assertThat(r.verdict()).as(descr).isEqualTo(Severity.MALICIOUS);
    }

    @Test
    void numpyAgreesOnWhichDescrsHoldObjects() throws Exception {
        boolean numpy;
        try {
            Process p = new ProcessBuilder("/usr/bin/python3", "-c", "import numpy").redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            numpy = p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException e) {
            numpy = false;
        }
        if (!numpy) {
            System.out.println("NpyDescrTest: no /usr/bin/python3 with numpy; the loader check is skipped");
        }
        Assumptions.assumeTrue(numpy, "numpy is not installed");
        List<String> all = new ArrayList<>(List.of(PLAIN));
        all.addAll(List.of(OBJECT));
        Path list = dir.resolve("descrs.txt");
        Files.write(list, all);
        // numpy.save writes a structured array whose field is 'Open'; numpy.load reads it without pickles
        Path written = dir.resolve("open.npy");
        Process p = new ProcessBuilder("/usr/bin/python3", "-c", "import ast, sys, numpy as np\n"
                + "for line in open(sys.argv[1]):\n"
                + "    d = np.lib.format.descr_to_dtype(ast.literal_eval(line.strip()))\n"
                + "    print(d.hasobject)\n"
                + "a = np.zeros(3, dtype=[('Open', '<f8'), ('Close', '<f8'), ('OBV', '<i8')])\n"
                + "np.save(sys.argv[2], a)\n"
                + "print(np.load(sys.argv[2], allow_pickle=False).dtype.names)\n", list.toString(), written.toString())
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        String[] lines = out.strip().split("\n");
        assertThat(lines).as(out).hasSize(all.size() + 1);
        for (int i = 0; i < all.size(); i++) {
            boolean ours = NpyHeader.mentionsObject(PyLiteral.parse(all.get(i)));
            assertThat(ours).as(all.get(i) + " (numpy: " + lines[i] + ")").isEqualTo(lines[i].equals("True"));
        }
        assertThat(lines[all.size()]).isEqualTo("('Open', 'Close', 'OBV')");
        FileReport r = Scanner.builder().build().scan(written, "open.npy");
        assertThat(r.findings()).isEmpty();
        assertThat(r.verdict()).isEqualTo(Severity.SAFE);
    }
}
