package dev.laocoon.core.internal.format;

import static org.assertj.core.api.Assertions.assertThat;

import dev.laocoon.core.finding.Rule;
import dev.laocoon.core.finding.Severity;
import dev.laocoon.core.FileReport;
import dev.laocoon.core.Scanner;
import dev.laocoon.core.source.ArrayByteSource;
import dev.laocoon.core.testutil.PickleBuilder;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class SafetensorsTest {

    /** header JSON padded with spaces to a multiple of 8, then {@code data}. */
    static byte[] file(String header, byte[] data) {
        int pad = (8 - header.length() % 8) % 8;
        byte[] h = (header + " ".repeat(pad)).getBytes(StandardCharsets.UTF_8);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int i = 0; i < 8; i++) {
            out.write((int) ((long) h.length >>> (8 * i)) & 0xff);
        }
        out.writeBytes(h);
        out.writeBytes(data);
        return out.toByteArray();
    }

    static FileReport scan(byte[] b) {
        return Scanner.builder().build().scan(new ArrayByteSource(b), "m.safetensors");
    }

    static final String GOOD = "{\"__metadata__\":{\"format\":\"pt\"},"
            + "\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
            + "\"b\":{\"dtype\":\"BF16\",\"shape\":[2,2],\"data_offsets\":[8,16]}}";

    @Test
    void referenceLayoutIsSafe() {
        FileReport r = scan(file(GOOD, new byte[16]));
        assertThat(r.formatLabel()).isEqualTo("safetensors");
        assertThat(r.findings()).isEmpty();
    }

    /** The safetensors shape (a length that fits, then '{') with a header a loader rejects as JSON. */
    @ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = {
        "{\n 'a': 1}",
        "{a:{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]}}",
        "{\t\"a\":",
    })
    void aHeaderThatIsNotJsonIsABrokenSafetensorsFile(String header) {
        FileReport r = scan(file(header, new byte[8]));
        assertThat(r.formatLabel()).as(header).isEqualTo("safetensors");
        assertThat(r.verdict()).isEqualTo(Severity.SUSPICIOUS);
        assertThat(r.findings()).extracting(f -> f.rule()).contains(Rule.SAFETENSORS_INVALID);
    }

    @Test
    void aBraceAfterALengthThatDoesNotFitIsNotSafetensors() {
        byte[] b = file("{\n 'a': 1}", new byte[8]);
        b[4] = 1; // the length now runs far past the end, and no JSON string or object follows the brace
        FileReport r = scan(b);
        assertThat(r.formatLabel()).isNotEqualTo("safetensors");
        assertThat(r.findings()).extracting(f -> f.rule()).doesNotContain(Rule.SAFETENSORS_INVALID);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "hole|{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]}}|16|hole in the data buffer",
        "overlap|{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}|8|overlap",
        "size mismatch|{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}|8|needs 12 bytes",
        "unknown dtype|{\"a\":{\"dtype\":\"F128\",\"shape\":[1],\"data_offsets\":[0,16]}}|16|unknown dtype",
        "metadata not strings|{\"__metadata__\":{\"x\":1},\"a\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]}}|1|not a string",
        "duplicate key|{\"a\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]},\"a\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]}}|1|duplicate key",
        "trailing bytes|{\"a\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]}}|9|follow the last tensor",
        "past the buffer|{\"a\":{\"dtype\":\"U8\",\"shape\":[4],\"data_offsets\":[0,4]}}|2|data buffer has only",
    })
    void violationsAreSuspicious(String name, String header, int dataLen, String expected) {
        FileReport r = scan(file(header, new byte[dataLen]));
        assertThat(r.verdict()).as(name).isGreaterThanOrEqualTo(Severity.SUSPICIOUS);
        assertThat(r.findings()).as(name).anySatisfy(f -> {
            assertThat(f.rule()).isEqualTo(Rule.SAFETENSORS_INVALID);
            assertThat(f.message()).contains(expected);
            assertThat(f.location().within()).isNotNull();
        });
        if (!name.startsWith("metadata") && !name.equals("past the buffer") && !name.equals("trailing bytes")) {
            // the tensor concerned is named in the structured place
            assertThat(r.findings()).as(name).anySatisfy(f -> {
                assertThat(f.location().within().kind()).isEqualTo("tensor");
                assertThat(f.location().within().path()).isIn("a", "b");
            });
        }
    }

    @Test
    void headerLengthPastTheEndIsSuspicious() {
        byte[] b = file(GOOD, new byte[16]);
        b[5] = 1; // 2^40 + n
        assertThat(scan(b).verdict()).isEqualTo(Severity.SUSPICIOUS);
    }

    @Test
    void anAppendedPickleIsAnalysed() {
        byte[] good = file(GOOD, new byte[16]);
        byte[] evil = PickleBuilder.call("os", "system", "id");
        byte[] both = java.util.Arrays.copyOf(good, good.length + evil.length);
        System.arraycopy(evil, 0, both, good.length, evil.length);
        FileReport r = scan(both);
        assertThat(r.verdict()).isEqualTo(Severity.MALICIOUS);
        assertThat(r.findings()).anySatisfy(f -> assertThat(f.rule()).isEqualTo(Rule.SAFETENSORS_INVALID));
    }
}
