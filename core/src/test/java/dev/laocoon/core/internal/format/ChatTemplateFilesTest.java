package dev.laocoon.core.internal.format;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.laocoon.core.FileReport;
import dev.laocoon.core.ScanReport;
import dev.laocoon.core.Scanner;
import dev.laocoon.core.finding.Rule;
import dev.laocoon.core.finding.Severity;
import dev.laocoon.core.source.ArrayByteSource;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Chat templates outside GGUF, as transformers 5.x reads them: {@code chat_template} in
 * tokenizer_config.json (a string, a list of {"name", "template"}, or an object of named templates),
 * processor_config.json and the legacy chat_template.json, and the text files chat_template.jinja
 * and additional_chat_templates/*.jinja. Checked with the same analysis as GGUF templates (LAO502).
 */
class ChatTemplateFilesTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final String EVIL = "{{ cycler.__init__.__globals__.os.popen('echo hi').read() }}";

    static FileReport scan(String name, String text) {
        return Scanner.builder().build().scan(new ArrayByteSource(text.getBytes(StandardCharsets.UTF_8)), name);
    }

    static String config(Object chatTemplate) throws Exception {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("add_bos_token", true);
        m.put("bos_token", "<s>");
        m.put("chat_template", chatTemplate);
        m.put("model_max_length", 4096);
        m.put("tokenizer_class", "LlamaTokenizer");
        return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(m);
    }

    /**
     * Injections in the style of the public samples/jinja2 tokenizer configs of peer scanners.
     * Each was rendered with transformers 5.17's own _compile_jinja_template (jinja2 3.1.6,
     * ImmutableSandboxedEnvironment): the sandbox raises SecurityError on the direct dunder reads and
     * silently returns undefined for attr() of a private name; all of them parse, so a renderer
     * without the sandbox runs them.
     */
    @ParameterizedTest
    @ValueSource(strings = {
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        "{{ ().__class__.__base__.__subclasses__()[104].__init__.__globals__['sys'].modules['os'].popen('echo hi').read() }}",
        "{{ cycler.__init__.__globals__.os.popen('echo hi').read() }}",
        "{{ joiner.__init__.__globals__.os.popen('echo hi').read() }}",
        "{{ namespace.__init__.__globals__.os.popen('echo hi').read() }}",
        "{{ lipsum.__globals__['os'].popen('echo hi').read() }}",
        "{{ self.__init__.__globals__.__builtins__ }}",
        "{{ request.application.__globals__.__builtins__.__import__('os').popen('echo hi').read() }}",
        "{{ config.__class__.__init__.__globals__['os'].popen('echo hi').read() }}",
        "{{ messages|attr('__class__')|attr('__mro__') }}",
        "{% set a = '__cla' %}{% set b = 'ss__' %}{{ messages|attr(a ~ b) }}",
        "{{ messages|attr('%c%cclass%c%c'|format(95,95,95,95)) }}",
        "{{ messages|attr('_' + '_class_' + '_') }}",
        "{{ messages|attr(['_','_','class','_','_']|join) }}",
        "{{ messages|attr('\\x5f\\x5fclass\\x5f\\x5f') }}",
        "{% for c in ().__class__.__base__.__subclasses__() %}{% if c.__name__ == 'Popen' %}{{ c('echo hi', shell=True) }}"
            + "{% endif %}{% endfor %}",
        "{{ url_for.__globals__['os'].popen('echo hi').read() }}",
        "{% include '/etc/passwd' %}",
        "{{ (messages|map('string')).gi_frame.f_globals }}",
        "{{ raise_exception.__globals__ }}",
        "{{ '{0.__class__}'.format(messages) }}",
        "{{ __builtins__['eval']('__import__(\"os\").system(\"echo hi\")') }}",
        "{{ getattr(getattr(getattr('', '__class__'), '__mro__')[1], '__subclasses__')() }}",
        "{{ eval('1') }}",
        "{{ open('/etc/hostname').read() }}",
    })
    void injectionsInTokenizerConfigsAreMalicious(String template) throws Exception {
        FileReport r = scan("tokenizer_config.json", config(template));
        assertThat(r.verdict()).isEqualTo(Severity.MALICIOUS);
        assertThat(r.findings()).anySatisfy(f -> {
            assertThat(f.rule()).isEqualTo(Rule.GGUF_TEMPLATE);
            assertThat(f.location().within().kind()).isEqualTo("json-pointer");
            assertThat(f.location().within().path()).isEqualTo("/chat_template");
        });
        assertThat(scan("chat_template.jinja", template).verdict()).isEqualTo(Severity.MALICIOUS);
        assertThat(scan("chat_template.json", JSON.writeValueAsString(Map.of("chat_template", template))).verdict())
                .isEqualTo(Severity.MALICIOUS);
        assertThat(scan("processor_config.json", JSON.writeValueAsString(Map.of("processor_class", "LlavaProcessor",
                "chat_template", template))).verdict()).isEqualTo(Severity.MALICIOUS);
    }

    @ParameterizedTest
    @ValueSource(strings = {"chatml.jinja", "llama2.jinja", "llama3.jinja", "llama3.1-tools.jinja", "mistral-instruct.jinja",
        "mistral-v0.3-tools.jinja", "gemma.jinja", "phi3.jinja", "qwen2.5-tools.jinja", "deepseek-r1.jinja",
        "hermes2pro-tools.jinja"})
    void realTemplatesStaySafeInEveryPlace(String name) throws Exception {
        String t = JinjaTemplateCheckTest.resource(name);
        FileReport json = scan("tokenizer_config.json", config(t));
        assertThat(json.findings()).isEmpty();
        assertThat(json.verdict()).isEqualTo(Severity.SAFE);
        FileReport file = scan("chat_template.jinja", t);
        assertThat(file.findings()).isEmpty();
        assertThat(file.verdict()).isEqualTo(Severity.SAFE);
        assertThat(file.formatLabel()).isEqualTo("chat-template");
        assertThat(scan("tokenizer_config.json", config(List.of(Map.of("name", "default", "template", t)))).verdict())
                .isEqualTo(Severity.SAFE);
    }

    @Test
    void namedTemplatesAreEachJudgedWithTheirPointer() throws Exception {
        FileReport list = scan("tokenizer_config.json", config(List.of(Map.of("name", "default", "template", GgufTest.CHATML),
                Map.of("name", "tool_use", "template", "{\n{{ x.__class__ }}"))));
        assertThat(list.verdict()).isEqualTo(Severity.MALICIOUS);
        assertThat(list.findings()).singleElement().satisfies(f -> {
            assertThat(f.location().within().path()).isEqualTo("/chat_template/1/template");
            assertThat(f.location().within().line()).isEqualTo(2);
            assertThat(f.location().render()).isEqualTo("tokenizer_config.json[/chat_template/1/template:2:6]");
        });
        // an object of names to templates is what __init__ builds from the list, and it is rendered the same way
        Map<String, String> named = new LinkedHashMap<>();
        named.put("default", GgufTest.CHATML);
        named.put("rag/v1", EVIL);
        FileReport object = scan("tokenizer_config.json", config(named));
        assertThat(object.verdict()).isEqualTo(Severity.MALICIOUS);
        assertThat(object.findings()).allSatisfy(f -> assertThat(f.location().within().path()).isEqualTo("/chat_template/rag~1v1"));
    }

    @Test
    void jsonEscapesAndRepeatedKeysDoNotHideATemplate() {
        assertThat(scan("tokenizer_config.json", "{\"chat_template\": \"{{ x['\\u005f\\u005fclass\\u005f\\u005f'] }}\"}").verdict())
                .isEqualTo(Severity.MALICIOUS);
        // Python's json keeps the last value of a repeated key; every value is judged
        String twice = "{\"chat_template\": \"" + EVIL.replace("'", "\\u0027") + "\", \"chat_template\": \"hello\"}";
        assertThat(scan("tokenizer_config.json", twice).verdict()).isEqualTo(Severity.MALICIOUS);
        // only the top-level key is a template; a nested one is plain data
        assertThat(scan("config.json", "{\"extra\": {\"chat_template\": \"{{ x.__class__ }}\"}}").verdict()).isEqualTo(Severity.SAFE);
    }

    @Test
    void keysNamedLikeAChatTemplateAreJudgedToo() throws Exception {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("chat_template", GgufTest.CHATML);
        m.put("custom_chat_template", EVIL);
        FileReport r = scan("tokenizer_config.json", JSON.writeValueAsString(m));
        assertThat(r.verdict()).isEqualTo(Severity.MALICIOUS);
        assertThat(r.findings()).allSatisfy(f -> assertThat(f.location().within().path()).isEqualTo("/custom_chat_template"));
    }

    @Test
    void aTemplateThatAssignsABuiltinNameItselfIsNotFlagged() {
        assertThat(scan("chat_template.jinja", "{% set open = '<s>' %}{{ open }}{% for m in messages %}{{ m.content }}{% endfor %}")
                .verdict()).isEqualTo(Severity.SAFE);
    }

    @Test
    void jinja2AndJ2FilesAreTemplatesToo() {
        assertThat(scan("prompt.j2", EVIL).verdict()).isEqualTo(Severity.MALICIOUS);
        assertThat(scan("templates/chat.jinja2", GgufTest.CHATML).verdict()).isEqualTo(Severity.SAFE);
    }

    /** transformers renders the whole text of the file; bytes in front that make it a pickle too do not hide it. */
    @Test
    void aTemplateFileThatIsAlsoAPickleIsJudged() {
        FileReport r = scan("chat_template.jinja", "}." + EVIL);
        assertThat(r.verdict()).isEqualTo(Severity.MALICIOUS);
        assertThat(r.formatLabel()).contains("chat-template");
        assertThat(scan("additional_chat_templates/x.jinja", "N." + GgufTest.CHATML).verdict()).isLessThanOrEqualTo(Severity.NOTICE);
    }

    @Test
    void anUnparseableTemplateFileIsSuspicious() {
        FileReport r = scan("chat_template.jinja", "{% for m in messages %}{{ m.content }}");
        assertThat(r.verdict()).isEqualTo(Severity.SUSPICIOUS);
        assertThat(r.findings()).anySatisfy(f -> assertThat(f.message()).contains("cannot be parsed"));
    }

    @Test
    void aTemplateFileLongerThanTheBoundIsAnIncompleteAnalysis() {
        FileReport r = scan("chat_template.jinja", "x".repeat(GgufReader.MAX_TEMPLATE + 10));
        assertThat(r.verdict()).isEqualTo(Severity.SUSPICIOUS);
        assertThat(r.findings()).anySatisfy(f -> assertThat(f.rule()).isEqualTo(Rule.ANALYSIS_INCOMPLETE));
    }

    @Test
    void aRepositoryFolderIsCheckedFileByFile(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("tokenizer_config.json"), config(GgufTest.CHATML));
        Files.writeString(dir.resolve("chat_template.jinja"), GgufTest.LLAMA3);
        Files.createDirectories(dir.resolve("additional_chat_templates"));
        Files.writeString(dir.resolve("additional_chat_templates/tool_use.jinja"), EVIL);
        ScanReport report = Scanner.builder().build().scan(List.of(dir));
        assertThat(report.files()).hasSize(3);
        for (FileReport f : report.files()) {
            assertThat(f.verdict()).as(f.path()).isEqualTo(f.path().endsWith("tool_use.jinja") ? Severity.MALICIOUS : Severity.SAFE);
        }
    }
}
