package dev.laocoon.core.internal.format;

import static org.assertj.core.api.Assertions.assertThat;

import dev.laocoon.core.finding.Rule;
import dev.laocoon.core.finding.Severity;
import dev.laocoon.core.FileReport;
import dev.laocoon.core.Scanner;
import dev.laocoon.core.source.ArrayByteSource;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class GgufTest {

    /** A GGUF v3 file with one string key-value pair and one 1-D tensor. */
    static byte[] gguf(String key, String value) {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        o.writeBytes("GGUF".getBytes(StandardCharsets.US_ASCII));
        le(o, 3, 4);
        le(o, 1, 8); // tensors
        le(o, 2, 8); // key-values
        str(o, "general.architecture");
        le(o, 8, 4);
        str(o, "llama");
        str(o, key);
        le(o, 8, 4);
        str(o, value);
        str(o, "token_embd.weight");
        le(o, 1, 4);
        le(o, 4, 8);
        le(o, 0, 4);
        le(o, 0, 8);
        while (o.size() % 32 != 0) { // the data starts at the alignment
            o.write(0);
        }
        o.writeBytes(new byte[32]);
        return o.toByteArray();
    }

    /** A GGUF v3 file with the given string key-value pairs (key, value, key, value, ...) and no tensor. */
    static byte[] ggufPairs(String... kv) {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        o.writeBytes("GGUF".getBytes(StandardCharsets.US_ASCII));
        le(o, 3, 4);
        le(o, 0, 8); // tensors
        le(o, kv.length / 2, 8);
        for (int i = 0; i < kv.length; i += 2) {
            str(o, kv[i]);
            le(o, 8, 4);
            str(o, kv[i + 1]);
        }
        return o.toByteArray();
    }

    static void str(ByteArrayOutputStream o, String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        le(o, b.length, 8);
        o.writeBytes(b);
    }

    static void le(ByteArrayOutputStream o, long v, int n) {
        for (int i = 0; i < n; i++) {
            o.write((int) (v >>> (8 * i)) & 0xff);
        }
    }

    static FileReport scan(byte[] b) {
        return Scanner.builder().build().scan(new ArrayByteSource(b), "m.gguf");
    }

    static final String CHATML = "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content']"
            + " + '<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

    static final String LLAMA3 = "{% set loop_messages = messages %}{% for message in loop_messages %}{% set content = "
            + "'<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n'+ message['content'] | trim + '<|eot_id|>' %}"
            + "{% if loop.index0 == 0 %}{% set content = bos_token + content %}{% endif %}{{ content }}{% endfor %}"
            + "{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}{% endif %}";

    static final String MISTRAL = "{{ bos_token }}{% for message in messages %}{% if (message['role'] == 'user') != "
            + "(loop.index0 % 2 == 0) %}{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}"
            + "{% endif %}{% if message['role'] == 'user' %}{{ '[INST] ' + message['content'] + ' [/INST]' }}{% elif "
            + "message['role'] == 'assistant' %}{{ message['content'] + eos_token}}{% else %}{{ raise_exception('Only user and "
            + "assistant roles are supported!') }}{% endif %}{% endfor %}";

    static final String GEMMA = "{{ bos_token }}{% if messages[0]['role'] == 'system' %}{{ raise_exception('System role not "
            + "supported') }}{% endif %}{% for message in messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}"
            + "{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}"
            + "{% if (message['role'] == 'assistant') %}{% set role = 'model' %}{% else %}{% set role = message['role'] %}"
            + "{% endif %}{{ '<start_of_turn>' + role + '\\n' + message['content'] | trim + '<end_of_turn>\\n' }}{% endfor %}"
            + "{% if add_generation_prompt %}{{'<start_of_turn>model\\n'}}{% endif %}";

    static final String QWEN_TOOLS = """
            {%- if tools %}
                {{- '<|im_start|>system\\n' }}
                {%- if messages[0]['role'] == 'system' %}{{- messages[0]['content'] }}{%- else %}{{- 'You are Qwen.' }}{%- endif %}
                {{- "\\n\\n# Tools\\n\\nYou may call one or more functions.\\n<tools>" }}
                {%- for tool in tools %}{{- "\\n" }}{{- tool | tojson }}{%- endfor %}
                {{- "\\n</tools>\\n\\nFor each function call, return a json object:\\n<tool_call>\\n{\\"name\\": <function-name>, \\"arguments\\": <args-json-object>}\\n</tool_call><|im_end|>\\n" }}
            {%- endif %}
            {%- set ns = namespace(multi_step_tool=true, last_query_index=messages|length - 1) %}
            {%- for message in messages %}
                {%- if (message.role == "user") or (message.role == "system" and not loop.first) %}
                    {{- '<|im_start|>' + message.role + '\\n' + message.content + '<|im_end|>' + '\\n' }}
                {%- elif message.role == "assistant" %}
                    {{- '<|im_start|>' + message.role }}
                    {%- if message.content %}{{- '\\n' + message.content }}{%- endif %}
                    {%- for tool_call in message.tool_calls %}
                        {%- if tool_call.function is defined %}{%- set tool_call = tool_call.function %}{%- endif %}
                        {{- '\\n<tool_call>\\n{"name": "' }}{{- tool_call.name }}{{- '", "arguments": ' }}
                        {{- tool_call.arguments | tojson }}{{- '}\\n</tool_call>' }}
                    {%- endfor %}
                    {{- '<|im_end|>\\n' }}
                {%- elif message.role == "tool" %}
                    {%- if (loop.index0 == 0) or (messages[loop.index0 - 1].role != "tool") %}{{- '<|im_start|>user' }}{%- endif %}
                    {{- '\\n<tool_response>\\n' }}{{- message.content }}{{- '\\n</tool_response>' }}
                    {%- if loop.last or (messages[loop.index0 + 1].role != "tool") %}{{- '<|im_end|>\\n' }}{%- endif %}
                {%- endif %}
            {%- endfor %}
            {%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- endif %}
            """;

    @Test
    void realChatTemplatesPassClean() {
        for (String t : new String[] {CHATML, LLAMA3, MISTRAL, GEMMA, QWEN_TOOLS}) {
            assertThat(JinjaTemplateCheck.check(t)).as(t.substring(0, 40)).isEmpty();
            FileReport r = scan(gguf("tokenizer.chat_template", t));
            assertThat(r.formatLabel()).isEqualTo("gguf");
            assertThat(r.verdict()).isEqualTo(Severity.SAFE);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "{{ ().__class__.__base__.__subclasses__() }}",
        "{{ x['__class__'] }}",
        "{{ x['\\x5f\\x5fclass\\x5f\\x5f'] }}",
        "{{ x['__cla' ~ 'ss__'] }}",
        "{{ x|attr('__class__') }}",
        "{{ cycler.__init__.__globals__.os.popen('id').read() }}",
        "{{ lipsum['__globals__'] }}",
        "{{ self._TemplateReference__context }}",
        "{{ namespace.__init__ }}",
        "{% import 'evil.j2' as e %}",
        "{% include 'other' %}",
        "{% extends 'base' %}",
        "{{ joiner.__init__ }}",
        "{% set u = '_' * 2 %}{{ x[u ~ 'class' ~ u] }}",
        "{% set a = '__cla' %}{% set b = 'ss__' %}{{ x[a ~ b] }}",
        "{{ x[('%c%c' % (95, 95)) ~ 'class__'] }}",
    })
    void templateInjectionsAreMalicious(String template) {
        FileReport r = scan(gguf("tokenizer.chat_template.tool_use", template));
        assertThat(r.verdict()).isEqualTo(Severity.MALICIOUS);
        assertThat(r.findings()).anySatisfy(f -> assertThat(f.rule()).isEqualTo(Rule.GGUF_TEMPLATE));
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "{{ x[y ~ '_' ~ 'class'] }}",
        "{{ x['%c' % n ~ '_class__'] }}",
        "{{ x|attr(name) }}",
    })
    void namesBuiltFromUnknownPiecesAreAtLeastSuspicious(String template) {
        assertThat(scan(gguf("tokenizer.chat_template", template)).verdict()).isGreaterThanOrEqualTo(Severity.SUSPICIOUS);
    }

    @Test
    void findingsCarryTheKeyLineAndColumnAsAStructuredPlace() {
        FileReport r = scan(gguf("tokenizer.chat_template.tool_use", "{% for m in messages %}\n  {{ m.__class__ }}\n{% endfor %}"));
        assertThat(r.findings()).singleElement().satisfies(f -> {
            assertThat(f.severity()).isEqualTo(Severity.MALICIOUS);
            assertThat(f.location().within()).isNotNull();
            assertThat(f.location().within().kind()).isEqualTo("gguf-key");
            assertThat(f.location().within().path()).isEqualTo("tokenizer.chat_template.tool_use");
            assertThat(f.location().within().line()).isEqualTo(2);
            assertThat(f.location().within().column()).isEqualTo(8);
            assertThat(f.location().render()).isEqualTo("m.gguf[tokenizer.chat_template.tool_use:2:8]");
            assertThat(f.evidence()).contains("m.__class__");
        });
    }

    @Test
    void reportsExposeThePlace() throws Exception {
        FileReport r = scan(gguf("tokenizer.chat_template", "{{ x.__class__ }}"));
        var report = new dev.laocoon.core.ScanReport(java.util.List.of(r), 1);
        java.io.StringWriter json = new java.io.StringWriter();
        dev.laocoon.core.report.JsonReport.write(report, Severity.SUSPICIOUS, "test", json);
        var tree = new com.fasterxml.jackson.databind.ObjectMapper().readTree(json.toString());
        var within = tree.at("/files/0/findings/0/location/within");
        assertThat(within.path("kind").asText()).isEqualTo("gguf-key");
        assertThat(within.path("path").asText()).isEqualTo("tokenizer.chat_template");
        assertThat(within.path("line").asInt()).isEqualTo(1);
        assertThat(within.path("column").asInt()).isEqualTo(6);
        assertThat(tree.at("/files/0/findings/0/location/display").asText()).isEqualTo("m.gguf[tokenizer.chat_template:1:6]");
        java.io.StringWriter sarif = new java.io.StringWriter();
        dev.laocoon.core.report.SarifReport.write(report, java.util.List.of(), "0.1.0", sarif);
        var logical = new com.fasterxml.jackson.databind.ObjectMapper().readTree(sarif.toString())
                .at("/runs/0/results/0/locations/0/logicalLocations/0");
        assertThat(logical.path("fullyQualifiedName").asText()).isEqualTo("tokenizer.chat_template:1:6");
        assertThat(logical.path("kind").asText()).isEqualTo("gguf-key");
        assertThat(logical.at("/properties/line").asInt()).isEqualTo(1);
    }

    /**
     * A key given twice: ggml refuses the file, gguf-py (which transformers uses for GGUF chat
     * templates) keeps the first value, a map keeps the last. Every value is judged, and the
     * repetition itself is suspicious.
     */
    @Test
    void everyValueOfARepeatedTemplateKeyIsJudged() {
        String evil = "{{ cycler.__init__.__globals__.os.popen('id').read() }}";
        FileReport first = scan(ggufPairs("tokenizer.chat_template", evil, "tokenizer.chat_template", CHATML));
        assertThat(first.verdict()).isEqualTo(Severity.MALICIOUS);
        FileReport last = scan(ggufPairs("tokenizer.chat_template", CHATML, "tokenizer.chat_template", evil));
        assertThat(last.verdict()).isEqualTo(Severity.MALICIOUS);
        FileReport both = scan(ggufPairs("tokenizer.chat_template", CHATML, "tokenizer.chat_template", CHATML));
        assertThat(both.verdict()).isEqualTo(Severity.SUSPICIOUS);
        assertThat(both.findings()).anySatisfy(f -> assertThat(f.message()).contains("more than once"));
        assertThat(scan(ggufPairs("tokenizer.chat_template", CHATML)).verdict()).isEqualTo(Severity.SAFE);
    }

    @Test
    void anUnparseableTemplateIsSuspicious() {
        FileReport r = scan(gguf("tokenizer.chat_template", "{% for m in messages %}{{ m.content }}"));
        assertThat(r.verdict()).isEqualTo(Severity.SUSPICIOUS);
        assertThat(r.findings()).anySatisfy(f -> assertThat(f.message()).contains("cannot be parsed")
                .contains("missing 'endfor'"));
    }

    @Test
    void aTemplateOutsideTheChatTemplateKeysIsNotJudged() {
        assertThat(scan(gguf("general.description", "{{ x.__class__ }}")).verdict()).isEqualTo(Severity.SAFE);
    }

    @Test
    void absurdCountsAreFindings() {
        byte[] b = gguf("tokenizer.chat_template", CHATML);
        b[16] = (byte) 0xff; // key-value count low byte
        b[20] = (byte) 0x7f;
        FileReport r = scan(b);
        assertThat(r.verdict()).isEqualTo(Severity.SUSPICIOUS);
        assertThat(r.findings()).anySatisfy(f -> assertThat(f.rule()).isEqualTo(Rule.GGUF_MALFORMED));
    }

    @Test
    void truncatedStringIsAFinding() {
        byte[] b = gguf("tokenizer.chat_template", CHATML);
        FileReport r = scan(java.util.Arrays.copyOf(b, 120));
        assertThat(r.findings()).anySatisfy(f -> assertThat(f.rule()).isEqualTo(Rule.GGUF_MALFORMED));
    }
}
