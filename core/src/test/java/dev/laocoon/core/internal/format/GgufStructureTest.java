package dev.laocoon.core.internal.format;

import static org.assertj.core.api.Assertions.assertThat;

import dev.laocoon.core.FileReport;
import dev.laocoon.core.Scanner;
import dev.laocoon.core.finding.Rule;
import dev.laocoon.core.finding.Severity;
import dev.laocoon.core.source.ArrayByteSource;
import java.io.ByteArrayOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * GGUF structure that llama.cpp's gguf.cpp (gguf_init_from_file_impl) or gguf-py's GGUFReader
 * refuses, or that the two read differently: each is a gguf-malformed finding (suspicious), while
 * the same file laid out as GGUFWriter lays it out is safe.
 */
class GgufStructureTest {

    static FileReport scan(byte[] b) {
        return Scanner.builder().build().scan(new ArrayByteSource(b), "m.gguf");
    }

    static GgufFile base(GgufFile f) {
        return f.str("general.architecture", "llama").str("general.name", "tiny").u32("general.alignment", 32)
                .str("tokenizer.chat_template", GgufTest.CHATML);
    }

    static void assertMalformed(GgufFile f, String fragment) {
        FileReport r = scan(f.bytes());
        assertThat(r.verdict()).as(r.findings().toString()).isEqualTo(Severity.SUSPICIOUS);
        assertThat(r.findings()).anySatisfy(x -> {
            assertThat(x.rule()).isEqualTo(Rule.GGUF_MALFORMED);
            assertThat(x.message()).contains(fragment);
        });
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void aWellFormedFileIsSafeInEitherByteOrder(boolean big) {
        GgufFile f = base(big ? GgufFile.big() : GgufFile.little()).f32("token_embd.weight", 4, 2).f32("output.weight", 3);
        FileReport r = scan(f.bytes());
        assertThat(r.findings()).isEmpty();
        assertThat(r.verdict()).isEqualTo(Severity.SAFE);
    }

    /**
     * Files written by gguf-py 0.19's own GGUFWriter (generated with the wheel, not downloaded): one
     * with eleven ggml types (Q8_0, Q4_K, Q6_K, IQ2_XS, BF16, F16, TQ1_0, MXFP4, I32, Q1_0, NVFP4)
     * and {@code general.alignment} 64, one big-endian ({@code endianess=GGUFEndian.BIG}), one with
     * named chat templates ({@code add_chat_template} of a list: {@code tokenizer.chat_template.<name>}
     * and the {@code tokenizer.chat_templates} array of names). GGUFReader reads them; they are pure data.
     */
    @ParameterizedTest
    @ValueSource(strings = {"ggufpy-quant-types-align64.gguf", "ggufpy-big-endian.gguf", "ggufpy-named-templates.gguf"})
    void filesWrittenByGgufPyAreSafe(String name) throws Exception {
        byte[] b;
        try (var in = GgufStructureTest.class.getResourceAsStream(name)) {
            b = in.readAllBytes();
        }
        FileReport r = scan(b);
        assertThat(r.findings()).isEmpty();
        assertThat(r.verdict()).isEqualTo(Severity.SAFE);
        assertThat(GgufReader.read(new ArrayByteSource(b)).tensors()).isNotEmpty();
    }

    /** gguf-py reads a big-endian file byte-swapped (the version's low 16 bits are zero), so its template counts. */
    @Test
    void aBigEndianFileWithAHostileTemplateIsMalicious() throws Exception {
        GgufFile f = GgufFile.big().str("general.architecture", "llama")
                .str("tokenizer.chat_template", "{{ cycler.__init__.__globals__.os.popen('echo hi').read() }}").f32("t", 8);
        FileReport r = scan(f.bytes());
        assertThat(r.verdict()).isEqualTo(Severity.MALICIOUS);
        assertThat(r.findings()).noneSatisfy(x -> assertThat(x.rule()).isEqualTo(Rule.GGUF_MALFORMED));
        assertThat(GgufReader.read(new ArrayByteSource(f.bytes())).bigEndian()).isTrue();
    }

    @Test
    void moreThanFourDimensions() {
        assertMalformed(base(GgufFile.little()).f32("t", 1, 1, 1, 1, 2), "has 5 dimensions");
    }

    @Test
    void negativeDimension() {
        assertMalformed(base(GgufFile.little()).tensor(GgufFile.utf8("t"), 0, 0, -1L).dataBytes(32), "dimension 0 is -1");
    }

    @Test
    void zeroDimensionBeyondTheFirst() {
        assertMalformed(base(GgufFile.little()).tensor(GgufFile.utf8("t"), 0, 0, 4, 0), "dimension 1 is 0");
    }

    @Test
    void elementCountOverflowingInt64() {
        assertMalformed(base(GgufFile.little()).tensor(GgufFile.utf8("t"), 0, 0, 1L << 32, 1L << 32).dataBytes(32),
                "more than int64 holds");
    }

    @Test
    void byteSizeThatWraps() {
        // 2^61 float32 elements: a valid element count, 2^63 bytes
        assertMalformed(base(GgufFile.little()).tensor(GgufFile.utf8("t"), 0, 0, 1L << 31, 1L << 30).dataBytes(32),
                "wraps around");
    }

    @ParameterizedTest
    @ValueSource(longs = {4, 5, 31, 38, 42, 99, 0xffffffffL})
    void unknownGgmlType(long type) {
        assertMalformed(base(GgufFile.little()).tensor(GgufFile.utf8("t"), type, 0, 32).dataBytes(64), "unknown ggml type");
    }

    @Test
    void rowNotAMultipleOfTheBlockSize() {
        // Q4_0 (type 2) packs 32 elements per 18-byte block
        assertMalformed(base(GgufFile.little()).tensor(GgufFile.utf8("t"), 2, 0, 33).dataBytes(64), "not a multiple of its type's block size 32");
        assertThat(scan(base(GgufFile.little()).tensor(GgufFile.utf8("t"), 2, 0, 64).dataBytes(64).bytes()).verdict())
                .isEqualTo(Severity.SAFE);
    }

    @Test
    void unalignedDataOffset() {
        assertMalformed(base(GgufFile.little()).tensor(GgufFile.utf8("t"), 0, 4, 2).dataBytes(32), "not a multiple of the alignment 32");
    }

    @Test
    void dataOffsetWhereLlamaCppDoesNotExpectIt() {
        assertMalformed(base(GgufFile.little()).f32("a", 8).tensor(GgufFile.utf8("b"), 0, 64, 8).dataBytes(96),
                "is not where llama.cpp expects it (32");
    }

    @Test
    void dataPastTheEndOfTheFile() {
        assertMalformed(base(GgufFile.little()).f32("t", 1000).dataBytes(32), "runs past the end of the file");
        assertMalformed(base(GgufFile.little()).tensor(GgufFile.utf8("t"), 0, -32, 8).dataBytes(32), "runs past the end of the file");
    }

    @Test
    void overlappingTensors() {
        assertMalformed(base(GgufFile.little()).f32("a", 16).tensor(GgufFile.utf8("b"), 0, 32, 8).tensor(GgufFile.utf8("c"), 0, 32, 8)
                .dataBytes(96), "overlap");
    }

    @Test
    void duplicateTensorNames() {
        assertMalformed(base(GgufFile.little()).f32("w", 8).f32("w", 8), "are both named 'w'");
    }

    @Test
    void tensorNamesThatAreTheSameToC() {
        GgufFile f = base(GgufFile.little()).tensor(GgufFile.utf8("w\0a"), 0, 0, 8).tensor(GgufFile.utf8("w\0b"), 0, 32, 8).dataBytes(64);
        assertMalformed(f, "are both named 'w'");
        assertMalformed(f, "contains a NUL byte");
    }

    @Test
    void alignmentZero() {
        assertMalformed(base(GgufFile.little()).u32("general.alignment", 0), "general.alignment is 0");
    }

    @Test
    void alignmentNotAPowerOfTwo() {
        assertMalformed(base(GgufFile.little()).u32("general.alignment", 48), "general.alignment is 48");
    }

    @Test
    void alignmentOfTheWrongType() {
        GgufFile f = GgufFile.little().str("general.architecture", "llama");
        ByteArrayOutputStream v = new ByteArrayOutputStream();
        f.num(v, 32, 8);
        f.kv(GgufFile.utf8("general.alignment"), 10, v.toByteArray()); // uint64
        assertMalformed(f, "not uint32");
    }

    @Test
    void tensorNameOf64BytesOrMore() {
        assertMalformed(base(GgufFile.little()).f32("x".repeat(64), 8), "llama.cpp refuses names of 64 bytes or more");
        assertThat(scan(base(GgufFile.little()).f32("x".repeat(63), 8).bytes()).verdict()).isEqualTo(Severity.SAFE);
    }

    @Test
    void keyLongerThanTheSpecificationAllows() {
        assertMalformed(base(GgufFile.little()).str("k".repeat(65536), "v"), "longer than the 65535 bytes");
    }

    @Test
    void keyWithANulByte() {
        assertMalformed(base(GgufFile.little()).str(GgufFile.utf8("general.url\0x"), "v"), "general.url\\x00x' contains a NUL byte");
    }

    @Test
    void keyThatIsNotUtf8() {
        assertMalformed(base(GgufFile.little()).str(new byte[] {'k', (byte) 0xff}, "v"), "is not valid UTF-8");
    }

    @Test
    void arrayCountThatCannotFit() {
        GgufFile f = base(GgufFile.little());
        ByteArrayOutputStream v = new ByteArrayOutputStream();
        f.num(v, 6, 4); // float32
        f.num(v, 1L << 62, 8);
        assertMalformed(f.kv(GgufFile.utf8("tokenizer.ggml.scores"), 9, v.toByteArray()), "claims 4611686018427387904 elements");
    }

    @Test
    void arrayOfArraysIsReadPastButFlagged() {
        GgufFile f = GgufFile.little().str("general.architecture", "llama");
        ByteArrayOutputStream v = new ByteArrayOutputStream();
        f.num(v, 9, 4);
        f.num(v, 1, 8);
        f.num(v, 4, 4);
        f.num(v, 1, 8);
        f.num(v, 7, 4);
        f.kv(GgufFile.utf8("general.nested"), 9, v.toByteArray());
        f.str("tokenizer.chat_template", "{{ x.__class__ }}");
        FileReport r = scan(f.bytes());
        assertThat(r.verdict()).isEqualTo(Severity.MALICIOUS); // the template after it is still read
        assertThat(r.findings()).anySatisfy(x -> assertThat(x.message()).contains("holds arrays: gguf.cpp refuses"));
    }

    @Test
    void tensorCountThatCannotFit() {
        byte[] b = base(GgufFile.little()).f32("t", 8).bytes();
        b[15] = 0x10; // tensor count high byte
        FileReport r = scan(b);
        assertThat(r.findings()).anySatisfy(x -> assertThat(x.message()).contains("tensor count"));
    }

    @Test
    void manyProblemsOfOneKindAreCounted() {
        GgufFile f = base(GgufFile.little());
        for (int i = 0; i < 10; i++) {
            f.tensor(GgufFile.utf8("t" + i), 99, 0, 8);
        }
        FileReport r = scan(f.dataBytes(32).bytes());
        assertThat(r.findings()).filteredOn(x -> x.message().contains("unknown ggml type")).hasSize(3);
        assertThat(r.findings()).anySatisfy(x -> assertThat(x.message()).startsWith("7 more of the same kind"));
    }
}
