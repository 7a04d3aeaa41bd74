package dev.laocoon.core.internal.format;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.laocoon.core.kb.KnowledgeBase;
import dev.laocoon.core.FileReport;
import dev.laocoon.core.Scanner;
import dev.laocoon.core.source.ArrayByteSource;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * Fuzz targets for the GGUF, safetensors and protobuf readers and the template and Keras config
 * checks: whatever the bytes, they return findings and never throw. Saved inputs under
 * {@code FormatReadersFuzzTestInputs/} replay in every test run.
 */
class FormatReadersFuzzTest {

    /** The Python-literal reader (.npy headers): a value or Bad, never another exception or a hang. */
    @FuzzTest(maxDuration = "2m")
    void pyLiteral(byte[] data) {
        String text = new String(data, StandardCharsets.ISO_8859_1);
        try {
            Object v = PyLiteral.parse(text);
            assertThat(PyLiteral.strings(v)).isNotNull();
        } catch (PyLiteral.Bad expected) {
            // not a literal this reader understands
        }
    }

    @FuzzTest(maxDuration = "2m")
    void gguf(byte[] data) throws IOException {
        byte[] b = withPrefix("GGUF", data);
        GgufReader.Gguf g = GgufReader.read(new ArrayByteSource(b));
        assertThat(g.problems()).isNotNull();
        for (var kv : g.strings()) {
            assertThat(JinjaTemplateCheck.check(kv.getValue())).isNotNull();
        }
    }

    @FuzzTest(maxDuration = "2m")
    void jinja(byte[] data) {
        assertThat(JinjaTemplateCheck.check(new String(data, StandardCharsets.UTF_8))).isNotNull();
    }

    /** The parser on its own: a syntax tree or a {@link JinjaSyntaxError}, nothing else (no stack overflow). */
    @FuzzTest(maxDuration = "2m")
    void jinjaParser(com.code_intelligence.jazzer.api.FuzzedDataProvider data) {
        // a real template prefix steers the fuzzer into statement and expression code quickly
        String t = (data.consumeBoolean() ? "{% for m in messages %}{{ m['role'] ~ " : "") + data.consumeRemainingAsString();
        try {
            assertThat(dev.laocoon.core.internal.format.jinja.JinjaParser.parse(t)).isNotNull();
        } catch (dev.laocoon.core.internal.format.jinja.JinjaSyntaxError e) {
            assertThat(e.offset()).isBetween(0, t.length());
        }
        for (JinjaTemplateCheck.Problem p : JinjaTemplateCheck.check(t)) {
            assertThat(p.line()).isPositive();
            assertThat(p.column()).isPositive();
        }
    }

    @FuzzTest(maxDuration = "2m")
    void safetensors(byte[] data) throws IOException {
        ArrayByteSource src = new ArrayByteSource(data);
        if (data.length >= 8) {
            SafetensorsValidator.Result r = SafetensorsValidator.validate(src);
            assertThat(r.problems()).isNotNull();
        }
    }

    @FuzzTest(maxDuration = "2m")
    void protobuf(byte[] data) {
        // null means "not this format"; anything else is a list of problems
        ProtoModels.onnx(data);
        ProtoModels.savedModel(data);
    }

    @FuzzTest(maxDuration = "2m")
    void kerasConfig(byte[] data) {
        assertThat(KerasConfigCheck.check(new String(data, StandardCharsets.UTF_8), KnowledgeBase.builtin())).isNotNull();
    }

    @FuzzTest(maxDuration = "2m")
    void wholeScanner(byte[] data) {
        FileReport r = Scanner.builder().build().scan(new ArrayByteSource(data), "fuzz");
        assertThat(r.verdict()).isNotNull();
    }

    private static byte[] withPrefix(String magic, byte[] data) {
        byte[] m = magic.getBytes(StandardCharsets.US_ASCII);
        byte[] b = new byte[m.length + data.length];
        System.arraycopy(m, 0, b, 0, m.length);
        System.arraycopy(data, 0, b, m.length, data.length);
        return b;
    }
}
