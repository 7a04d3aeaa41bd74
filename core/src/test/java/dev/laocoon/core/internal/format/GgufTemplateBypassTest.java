package dev.laocoon.core.internal.format;

import static org.assertj.core.api.Assertions.assertThat;

import dev.laocoon.core.FileReport;
import dev.laocoon.core.finding.Rule;
import dev.laocoon.core.finding.Severity;
import org.junit.jupiter.api.Test;

/**
 * Ways to put a chat template where a reader renders it but the scanner does not look: after a long
 * run of plain text, under a key C code reads as {@code tokenizer.chat_template}, behind a NUL in
 * the value, as an array of strings, or in a form transformers rewrites before rendering.
 */
class GgufTemplateBypassTest {
    static final String EVIL = "{{ cycler.__init__.__globals__.os.popen('echo hi').read() }}";

    static FileReport scan(GgufFile f) {
        return GgufStructureTest.scan(f.bytes());
    }

    @Test
    void aTemplateAfterMegabytesOfPlainTextIsJudged() {
        String t = "You are a helpful assistant. ".repeat(150_000) + EVIL; // about 4.3 MB
        FileReport r = scan(GgufFile.little().str("general.architecture", "llama").str("tokenizer.chat_template", t));
        assertThat(r.verdict()).isEqualTo(Severity.MALICIOUS);
        assertThat(r.findings()).noneSatisfy(f -> assertThat(f.rule()).isEqualTo(Rule.ANALYSIS_INCOMPLETE));
    }

    @Test
    void aTemplateCutAtTheBoundIsAnIncompleteAnalysis() {
        String t = "x".repeat(GgufReader.MAX_TEMPLATE) + EVIL;
        FileReport r = scan(GgufFile.little().str("tokenizer.chat_template", t));
        assertThat(r.verdict()).isEqualTo(Severity.SUSPICIOUS);
        assertThat(r.findings()).anySatisfy(f -> {
            assertThat(f.rule()).isEqualTo(Rule.ANALYSIS_INCOMPLETE);
            assertThat(f.message()).contains("tokenizer.chat_template").contains("only the first");
        });
    }

    @Test
    void aKeyThatCReadsAsTheChatTemplateIsJudged() {
        // llama.cpp's gguf_find_key and its gguf_kv map compare the key's c_str(): the NUL ends it
        FileReport r = scan(GgufFile.little().str("general.architecture", "llama")
                .str(GgufFile.utf8("tokenizer.chat_template\0x"), EVIL));
        assertThat(r.verdict()).isEqualTo(Severity.MALICIOUS);
        assertThat(r.findings()).anySatisfy(f -> assertThat(f.rule()).isEqualTo(Rule.GGUF_TEMPLATE));
        assertThat(r.findings()).anySatisfy(f -> {
            assertThat(f.rule()).isEqualTo(Rule.GGUF_MALFORMED);
            assertThat(f.message()).contains("reads it as 'tokenizer.chat_template'");
        });
        FileReport named = scan(GgufFile.little().str(GgufFile.utf8("tokenizer.chat_template.tool_use\0\1"), EVIL));
        assertThat(named.verdict()).isEqualTo(Severity.MALICIOUS);
    }

    @Test
    void aKeyThatOnlyLooksSimilarIsNotATemplate() {
        FileReport r = scan(GgufFile.little().str("tokenizer.chat_templatex", EVIL).str("general.chat_template", EVIL));
        assertThat(r.verdict()).isEqualTo(Severity.SAFE);
    }

    @Test
    void theTextBeforeANulInTheValueIsJudgedOnItsOwn() {
        // C reads the value up to the NUL; the part after it breaks the whole template's parse,
        // which must not hide what the C reader renders
        String t = "{% set a = '__cla' %}{% set b = 'ss__' %}{{ x[a ~ b] }}\0{% if %}";
        FileReport r = scan(GgufFile.little().str("tokenizer.chat_template", t));
        assertThat(r.verdict()).isEqualTo(Severity.MALICIOUS);
        assertThat(r.findings()).anySatisfy(f -> assertThat(f.message()).contains("NUL character"));
        assertThat(scan(GgufFile.little().str("tokenizer.chat_template", GgufTest.CHATML + "\0")).verdict())
                .isEqualTo(Severity.SUSPICIOUS);
    }

    @Test
    void aTemplateStoredAsAnArrayOfStringsIsJudgedAsLlamaCppRendersIt() {
        FileReport r = scan(GgufFile.little().strings("tokenizer.chat_template", "{{ x.__class__ }}", "b"));
        assertThat(r.verdict()).isEqualTo(Severity.MALICIOUS);
        assertThat(r.findings()).anySatisfy(f -> assertThat(f.message()).contains("holds an array of strings"));
        assertThat(scan(GgufFile.little().strings("tokenizer.chat_template", "plain")).verdict()).isEqualTo(Severity.SUSPICIOUS);
    }

    @Test
    void theArchitectureRewriteTransformersAppliesIsJudged() {
        // load_gguf_checkpoint replaces 'qwen2moe' by 'qwen2_moe' in every string value: character 5 becomes '_'
        String t = "{% set u = 'qwen2moe'[5] %}{{ x[u * 2 ~ 'class' ~ u * 2] }}";
        assertThat(JinjaTemplateCheck.check(t)).noneSatisfy(p -> assertThat(p.malicious()).isTrue());
        FileReport r = scan(GgufFile.little().str("general.architecture", "qwen2moe").str("tokenizer.chat_template", t));
        assertThat(r.verdict()).isEqualTo(Severity.MALICIOUS);
        assertThat(r.findings()).anySatisfy(f -> assertThat(f.message()).contains("as transformers rewrites it"));
        assertThat(scan(GgufFile.little().str("general.architecture", "llama").str("tokenizer.chat_template", t)).verdict())
                .isEqualTo(Severity.SAFE);
    }
}
