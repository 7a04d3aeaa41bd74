package dev.laocoon.core.internal.format;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The literal reader against Python's own {@code ast.literal_eval} (stdlib only, skipped without
 * python3): whenever the reader returns a value, it is the value Python computes. Where Python's
 * grammar is subtle the reader may refuse (callers then treat the text as unknown), but for the
 * headers NumPy writes and the usual tricks it must agree.
 */
class PyLiteralTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Texts on which the reader must give Python's value. */
    static final List<String> AGREE = List.of(
            "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }",
            "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'descr': '|O', }",
            "{'descr': '<f4', 'fortran_order': False, 'shape': (), 'de' \"scr\": '|O'}",
            "{'d\\x65scr': 'O', \"descr\": r'<f8', 'shape': (1,)}",
            "{'descr': [('a', '<f4'), ('b', '|O', (2,))], 'fortran_order': True, 'shape': (0, 10)}\n   ",
            "{\"descr\": u'<i8', 'fortran_order': 0 == 0 if False else False}",
            "  {'a': b'\\x00\\xff' rb'\\q', 'b': -1_000, 'c': 0x_ff, 'd': 0o17, 'e': 0b1010, 'f': 1.5e-3, 'g': .5}",
            "{'a': 1, 1.0: 'x', True: 'y'}",
            "{True: 'a', 1: 'b'}",
            "{1, True, 1.0, 2}",
            "[1, (2, [3, {4: (5,)}]), None, True, 'x\\ty', '\\u00e9\\U0001F600\\101\\7']",
            "('''tri\nple''' \"\"\"x\"\"\", 'a\\\nb')",
            "{'a': 'x' # a comment\n , 'b': (1,\n 2)}",
            "{'descr': '<f4', 'shape': (2L,), 'fortran_order': False}",
            "{'descr': '<f4', 'shape': (1+2j,)}",
            "{'descr': '\\N{LATIN SMALL LETTER E}'}",
            "{'a': f'x'}",
            "{'a': b'x' 'y'}",
            "{[1]: 2}",
            "{'a': --1}",
            "{'a': 0777}",
            "{'a': 1__0}",
            "{'a': 1_}",
            "{'a': 1.e5, 'b': 1e5, 'c': 00, 'd': 0_0, 'e': -0.0}",
            "{'a': 'unterminated}",
            "{'a' 'b'}",
            "{'a': 1 'b': 2}",
            "{'a': 1,, 'b': 2}",
            "{,}",
            "(,)",
            "()",
            "(1)",
            "((1,),)",
            "1, 2",
            "{}\n\n# trailing comment\n",
            "{}\n1",
            "\\\n{}",
            "{'x': 'a\\\nb', 'y': r'a\\\nb'}");

    /** Texts Python reads and the reader refuses (it never guesses); each stays unknown. */
    static final List<String> REFUSED = List.of(
            "{'descr': '<f4', 'shape': (1+2j,)}", "{'descr': '\\N{LATIN SMALL LETTER E}'}", "1, 2", "\\\n{}");

    @Test
    void aRepeatedKeyKeepsItsLastValueAsInPython() throws Exception {
        Object v = PyLiteral.parse("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'descr': '|O', }");
        assertThat(v).isInstanceOf(Map.class);
        @SuppressWarnings("unchecked")
        Map<Object, Object> m = (Map<Object, Object>) v;
        assertThat(m.get("descr")).isEqualTo("|O");
        assertThat(m.keySet()).containsExactly((Object) "descr", "fortran_order", "shape");
        assertThat(m.get("shape")).isEqualTo(new PyLiteral.Tuple(List.of(BigInteger.TWO)));
        // keys assembled by concatenation and escapes are the same key
        @SuppressWarnings("unchecked")
        Map<Object, Object> m2 = (Map<Object, Object>) PyLiteral.parse("{'descr': '<f4', 'de' \"scr\": 'O', 'd\\x65scr': 'x'}");
        assertThat(m2).hasSize(1).containsEntry("descr", "x");
        assertThat(PyLiteral.strings(PyLiteral.parse("[('a', '<f4'), ('b', ('|O', 3))]")))
                .containsExactly("a", "<f4", "b", "|O");
    }

    @Test
    void whatIsNotALiteralIsRefused() {
        for (String t : List.of("os.system('x')", "{'a': x}", "{'a': 1 +}", "[1, 2", "{'a': f'{x}'}", "__import__('os')",
                "{'a': lambda: 1}", "")) {
            assertThatThrownBy(() -> PyLiteral.parse(t)).as(t).isInstanceOf(PyLiteral.Bad.class);
        }
    }

    @Test
    void valuesAgreeWithPythonsLiteralEval() throws Exception {
        List<String> texts = new ArrayList<>(AGREE);
        List<String> python = python(texts);
        for (int k = 0; k < texts.size(); k++) {
            String t = texts.get(k);
            String ours = canonicalOrErr(t);
            if (REFUSED.contains(t)) {
                assertThat(ours).as("refused: %s", t).isEqualTo("ERR");
                continue;
            }
            assertThat(ours).as("literal %s", t).isEqualTo(python.get(k));
        }
    }

    @Test
    void onMutatedHeadersTheReaderNeverDisagreesWithPython() throws Exception {
        Random r = new Random(42);
        String alphabet = "'\"{}[](),:#\\ \n\trbuxUN0123456789_.eEjLl+-OTrueFalseNone";
        List<String> texts = new ArrayList<>();
        for (int n = 0; n < 4000; n++) {
            StringBuilder b = new StringBuilder(AGREE.get(r.nextInt(AGREE.size())));
            for (int e = 1 + r.nextInt(3); e > 0; e--) {
                int at = b.length() == 0 ? 0 : r.nextInt(b.length());
                switch (r.nextInt(3)) {
                    case 0 -> b.insert(at, alphabet.charAt(r.nextInt(alphabet.length())));
                    case 1 -> {
                        if (b.length() > 0) {
                            b.deleteCharAt(at);
                        }
                    }
                    default -> {
                        if (b.length() > 0) {
                            b.setCharAt(at, alphabet.charAt(r.nextInt(alphabet.length())));
                        }
                    }
                }
            }
            texts.add(b.toString());
        }
        List<String> python = python(texts);
        int agreed = 0;
        for (int k = 0; k < texts.size(); k++) {
            String ours = canonicalOrErr(texts.get(k));
            if (!ours.equals("ERR")) {
                assertThat(ours).as("mutated literal %s", texts.get(k)).isEqualTo(python.get(k));
                agreed++;
            }
        }
        assertThat(agreed).as("some mutations stay literals").isGreaterThan(500);
    }

    // ------------------------------------------------------------------ helpers

    static String canonicalOrErr(String text) {
        try {
            return canonical(PyLiteral.parse(text));
        } catch (PyLiteral.Bad e) {
            return "ERR";
        }
    }

    /** The same canonical form as literal_oracle.py prints. */
    static String canonical(Object v) {
        if (v == PyLiteral.NONE) {
            return "N";
        }
        if (v instanceof Boolean b) {
            return "B:" + (b ? "True" : "False");
        }
        if (v instanceof BigInteger n) {
            return "i:" + n;
        }
        if (v instanceof Double d) {
            return "f:" + String.format("%016x", Double.doubleToRawLongBits(d));
        }
        if (v instanceof String s) {
            StringBuilder b = new StringBuilder("s:\"");
            for (char c : s.toCharArray()) {
                if (c == '"' || c == '\\') {
                    b.append('\\').append(c);
                } else if (c == '\n') {
                    b.append("\\n");
                } else if (c == '\r') {
                    b.append("\\r");
                } else if (c == '\t') {
                    b.append("\\t");
                } else if (c == '\b') {
                    b.append("\\b");
                } else if (c == '\f') {
                    b.append("\\f");
                } else if (c < 0x20 || c > 0x7f) {
                    b.append(String.format("\\u%04x", (int) c));
                } else {
                    b.append(c);
                }
            }
            return b.append('"').toString();
        }
        if (v instanceof PyLiteral.Bytes bs) {
            StringBuilder b = new StringBuilder("b:");
            for (byte x : bs.value()) {
                b.append(String.format("%02x", x & 0xff));
            }
            return b.toString();
        }
        if (v instanceof PyLiteral.Tuple t) {
            return "t[" + String.join(",", t.items().stream().map(PyLiteralTest::canonical).toList()) + "]";
        }
        if (v instanceof List<?> l) {
            return "l[" + String.join(",", l.stream().map(PyLiteralTest::canonical).toList()) + "]";
        }
        if (v instanceof Map<?, ?> m) {
            return "d{" + String.join(",", m.entrySet().stream()
                    .map(e -> canonical(e.getKey()) + "=" + canonical(e.getValue())).toList()) + "}";
        }
        if (v instanceof Set<?> s) {
            return "S{" + String.join(",", s.stream().map(PyLiteralTest::canonical).sorted().toList()) + "}";
        }
        return "?" + v.getClass().getSimpleName();
    }

    /** Python's answers, in order; the test is skipped when python3 does not run. */
    static List<String> python(List<String> texts) throws Exception {
        Path script = Path.of(PyLiteralTest.class.getResource("literal_oracle.py").toURI());
        Process p;
        try {
            p = new ProcessBuilder("python3", script.toString()).redirectErrorStream(false).start();
        } catch (java.io.IOException e) {
            Assumptions.abort("python3 is not available: " + e.getMessage());
            return List.of();
        }
        Thread writer = new Thread(() -> {
            try (OutputStream out = p.getOutputStream()) {
                for (String t : texts) {
                    out.write((JSON.writeValueAsString(t) + "\n").getBytes(StandardCharsets.UTF_8));
                }
            } catch (java.io.IOException ignored) {
                // the reader below sees the short output
            }
        });
        writer.start();
        List<String> out = new ArrayList<>();
        try (BufferedReader in = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = in.readLine()) != null) {
                out.add(JSON.readValue(line, String.class));
            }
        }
        writer.join();
        p.waitFor(60, TimeUnit.SECONDS);
        Assumptions.assumeTrue(p.exitValue() == 0 || !out.isEmpty(), "python3 did not run the oracle");
        assertThat(out).hasSize(texts.size());
        return out;
    }
}
