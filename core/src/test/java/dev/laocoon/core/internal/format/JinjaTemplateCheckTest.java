package dev.laocoon.core.internal.format;

import static org.assertj.core.api.Assertions.assertThat;

import dev.laocoon.core.internal.format.JinjaTemplateCheck.Problem;
import dev.laocoon.core.internal.format.jinja.JinjaParser;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The template check on its own: real templates, injections, folding, positions, bounds. */
class JinjaTemplateCheckTest {

    static String resource(String name) throws IOException {
        try (InputStream in = JinjaTemplateCheckTest.class.getResourceAsStream("chat-templates/" + name)) {
            assertThat(in).as(name).isNotNull();
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    static boolean malicious(String t) {
        return JinjaTemplateCheck.check(t).stream().anyMatch(Problem::malicious);
    }

    static boolean clean(String t) {
        return JinjaTemplateCheck.check(t).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {"chatml.jinja", "llama2.jinja", "llama3.jinja", "llama3.1-tools.jinja",
        "mistral-instruct.jinja", "mistral-v0.3-tools.jinja", "gemma.jinja", "phi3.jinja", "qwen2.5-tools.jinja",
        "deepseek-r1.jinja", "hermes2pro-tools.jinja", "smollm-generation.jinja"})
    void realTemplatesParseAndPassClean(String name) throws Exception {
        String t = resource(name);
        assertThat(JinjaParser.parse(t)).isNotEmpty();
        assertThat(JinjaTemplateCheck.check(t)).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "{{ ().__class__.__base__.__subclasses__() }}",
        "{{ cycler.__init__.__globals__.os.popen('id').read() }}",
        "{{ lipsum.__globals__['os'].popen('id').read() }}",
        "{{ self._TemplateReference__context }}",
        "{{ x|attr('__class__') }}",
        "{{ x['__cl' ~ 'ass__'] }}",
        "{% set u = '_' * 2 %}{{ x[u ~ 'class' ~ u] }}",
        "{{ x['%c%c' % (95, 95) ~ 'class__'] }}",
        "{{ x['%c%cclass%c%c'|format(95, 95, 95, 95)] }}",
        "{{ x[\"__ssalc__\"[::-1]] }}",
        "{{ x[\"__ssalc__\"|reverse] }}",
        "{{ x[['_', '_', 'class', '_', '_']|join] }}",
        "{{ x['{}{}class{}{}'.format('_', '_', '_', '_')] }}",
        "{{ request|attr('application') }}",
        "{{ users|map(attribute='__class__')|list }}",
        "{{ users|map('attr', '__class__')|list }}",
        "{{ users|selectattr('__class__')|list }}",
        "{{ users|sort(attribute='name.__class__') }}",
        "{{ users|groupby('_private') }}",
        "{{ users|sum(attribute='__len__') }}",
        "{{ x['\\x5f\\x5fclass\\x5f\\x5f'] }}",
        "{{ x['\\u005f\\u005fclass__'] }}",
        "{{ x['\\137\\137class\\137\\137'] }}",
        "{{ x['\\N{LOW LINE}_class__'] }}",
        "{% set ns = namespace(a='__cla') %}{% set ns.b = ns.a ~ 'ss__' %}{{ x[ns.b] }}",
        "{% set ns = namespace(k='') %}{% for c in ['_', '_', 'class', '_', '_'] %}{% set ns.k = ns.k ~ c %}{% endfor %}"
            + "{{ x[ns.k] }}",
        "{{ x[dict(__class__=1)|list|first] }}",
        "{{ x[(lipsum|string)[18] * 2 ~ 'class' ~ (lipsum|string)[18] * 2] }}",
        "{% macro k() %}__class__{% endmacro %}{{ x[k()] }}",
        "{% macro get(o, n) %}{{ o[n] }}{% endmacro %}{{ get(x, '__globals__') }}",
        "{% set k %}__class__{% endset %}{{ x[k] }}",
        "{% set k | replace('X', '_') %}XXclassXX{% endset %}{{ x[k] }}",
        "{% set a, b = '__cla', 'ss__' %}{{ x[a ~ b] }}",
        "{% with k = '__class__' %}{{ x[k] }}{% endwith %}",
        "{{ x['_' + y] }}",
        "{{ x['__CLASS__'|lower] }}",
        "{{ x['..class..'|replace('.', '_')] }}",
        "{{ '{0.__class__}'.format(x) }}",
        "{{ x[('a', '__class__')|last] }}",
        "{% if y %}{% set k = 'role' %}{% else %}{% set k = '__class__' %}{% endif %}{{ x[k] }}",
        "{% for k in ['role', '__class__'] if k %}{{ x[k] }}{% endfor %}",
        "{{ namespace.__init__ }}",
        "{{ joiner['__init__'] }}",
        "{% set c = cycler %}{{ c.next }}",
        "{{ config.items() }}",
        "{% import 'evil.j2' as e %}",
        "{% from 'evil.j2' import x %}",
        "{% include 'other' %}",
        "{% extends 'base' %}",
        "{% if false %}{{ x.__class__ }}{% endif %}",
    })
    void injectionsAreMalicious(String template) {
        assertThat(JinjaTemplateCheck.check(template)).as(template).anyMatch(Problem::malicious);
    }

    /** Each rule's harmless twin: the same shape with a name that is not private. */
    @ParameterizedTest
    @ValueSource(strings = {
        "{{ x.role }}",
        "{{ x|attr('role') }}",
        "{{ x['ro' ~ 'le'] }}",
        "{% set u = 'a' * 2 %}{{ x[u ~ 'b'] }}",
        "{{ x['%c%c' % (97, 98)] }}",
        "{{ x[\"elor\"[::-1]] }}",
        "{{ x[['r', 'o', 'l', 'e']|join] }}",
        "{{ x['{}le'.format('ro')] }}",
        "{{ users|map(attribute='name')|join(', ') }}",
        "{{ users|selectattr('active')|list }}",
        "{{ users|sort(attribute='name') }}",
        "{% set ns = namespace(a='ro') %}{% set ns.b = ns.a ~ 'le' %}{{ x[ns.b] }}",
        "{% set ns = namespace(items=[]) %}{{ ns.items }}",
        "{% set c = cycler('odd', 'even') %}{% for m in messages %}{{ c.next() }}{% endfor %}",
        "{% set j = joiner(', ') %}{% for m in messages %}{{ j() }}{{ m.content }}{% endfor %}",
        "{{ lipsum(2) }}",
        "{% for i in range(3) %}{{ i }}{% endfor %}",
        "{{ x[dict(role=1)|list|first] }}",
        "{% macro get(o, n) %}{{ o[n] }}{% endmacro %}{{ get(x, 'role') }}",
        "{{ x[y] }}",
        "{{ messages[loop.index0 - 1] }}",
        "{{ message.content.split('</think>')[-1] }}",
        "{{ '__init__ is a word in this text' }}",
        "{{ 'a {0} b'.format(x) }}",
        "{% raw %}{{ x.__class__ }}{% endraw %}",
        "{# {{ x.__class__ }} #}",
        "{{ strftime_now('%d %b %Y') }}{{ raise_exception('bad') }}{{ tools|tojson(indent=4) }}",
    })
    void harmlessTwinsPass(String template) {
        assertThat(JinjaTemplateCheck.check(template)).as(template).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "{{ x[y ~ '_' ~ z] }}",
        "{% set l = [] %}{% do l.append('__class__') %}{{ x[l|join] }}",
        "{{ x[(messages|string)[3]] }}",
        "{{ x|attr(y) }}",
        "{{ users|map(y) }}",
        "{{ x['\\N{BULLET}'] }}",
        "{{ x['%c' % n ~ 'class'] }}",
        "{% set ns = namespace(k='') %}{% for m in messages %}{% set ns.k = ns.k ~ '_' %}{% endfor %}{{ x[ns.k ~ 'class'] }}",
    })
    void namesThatCannotBeFoldedButCouldBePrivateAreSuspicious(String template) {
        List<Problem> ps = JinjaTemplateCheck.check(template);
        assertThat(ps).as(template).isNotEmpty();
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "{% if x %}{{ y }}|missing 'endif'",
        "{{ x.__class__ }}{% if %}|expected an expression",
        "{% for %}{% endfor %}|expected a name",
        "{{ 'unterminated }}|unterminated string",
        "{% frobnicate %}|unknown tag 'frobnicate'",
        "{{ x ]] }}|unexpected ']'",
        "{{ '\\x5' }}|truncated",
    })
    void unparseableTemplatesAreSuspiciousWithAPosition(String template, String why) {
        List<Problem> ps = JinjaTemplateCheck.check(template);
        assertThat(ps).anySatisfy(p -> {
            assertThat(p.malicious()).isFalse();
            assertThat(p.message()).startsWith("template cannot be parsed").contains(why);
            assertThat(p.line()).isEqualTo(1);
            assertThat(p.column()).isPositive();
        });
    }

    @Test
    void aPayloadInATemplateJinjaRejectsIsStillReported() {
        assertThat(malicious("{{ x.__class__ }}{% if %}")).isTrue();
    }

    @Test
    void problemsCarryLineAndColumn() {
        String t = "{% for m in messages %}\n  {{ m.content }}\n  {{ m.__class__ }}\n{% endfor %}";
        List<Problem> ps = JinjaTemplateCheck.check(t);
        assertThat(ps).singleElement().satisfies(p -> {
            assertThat(p.line()).isEqualTo(3);
            assertThat(p.column()).isEqualTo(8);
            assertThat(t.substring(p.offset())).startsWith("__class__");
        });
    }

    @Test
    void nestingIsBoundedWithoutStackOverflow() {
        String deep = "{{ " + "(".repeat(100_000) + "1" + ")".repeat(100_000) + " }}";
        assertThat(JinjaTemplateCheck.check(deep)).anySatisfy(p -> assertThat(p.message()).contains("nested deeper"));
        String blocks = "{% if a %}".repeat(20_000) + "{% endif %}".repeat(20_000);
        assertThat(JinjaTemplateCheck.check(blocks)).anySatisfy(p -> assertThat(p.message()).contains("nested deeper"));
        String unary = "{{ " + "-".repeat(50_000) + "1 }}";
        assertThat(JinjaTemplateCheck.check(unary)).isNotEmpty();
        String nots = "{{ " + "not ".repeat(50_000) + "x }}";
        assertThat(JinjaTemplateCheck.check(nots)).isNotEmpty();
        // left-deep chains are as deep as nesting: operators, attribute/call chains and filters
        for (String chain : new String[] {"x ~ ".repeat(20_000) + "x", "x + ".repeat(20_000) + "x",
            "a or ".repeat(20_000) + "a", "2 ** ".repeat(20_000) + "2", "x" + ".a".repeat(20_000),
            "x" + "()".repeat(20_000), "x" + "[0]".repeat(20_000), "x" + "|trim".repeat(20_000),
            "(" + "x ~ ".repeat(150) + "(" + "x ~ ".repeat(150) + "x))"}) {
            assertThat(JinjaTemplateCheck.check("{{ " + chain + " }}")).as(chain.substring(0, 12))
                    .anySatisfy(p -> assertThat(p.message()).contains("nested deeper"));
        }
        // a long but ordinary concatenation is fine
        assertThat(JinjaTemplateCheck.check("{{ " + "m.role ~ ".repeat(100) + "'' }}")).isEmpty();
    }

    @Test
    void workIsBoundedOnLoopsAndMacros() {
        String loops = "{% for a in range(30) %}{% for b in range(30) %}{% for c in range(30) %}{% for d in range(30) %}"
                + "{{ a ~ b ~ c ~ d }}{% endfor %}{% endfor %}{% endfor %}{% endfor %}";
        assertThat(JinjaTemplateCheck.check(loops)).allSatisfy(p -> assertThat(p.malicious()).isFalse());
        String macros = "{% macro f(x) %}{{ f(x ~ 'a') }}{{ f(x ~ 'b') }}{{ f(x ~ 'c') }}{% endmacro %}{{ f('') }}";
        assertThat(JinjaTemplateCheck.check(macros)).allSatisfy(p -> assertThat(p.malicious()).isFalse());
        String big = "{{ x.role }}".repeat(20_000);
        assertThat(JinjaTemplateCheck.check(big)).isEmpty();
    }

    /** Copies of the variables at each branch and loop round count against the budget (this took 40 s). */
    @Test
    void manyVariablesUnderNestedLoopsStayWithinTheBudget() {
        StringBuilder vars = new StringBuilder("{% set ns = namespace() %}");
        for (int i = 0; i < 3000; i++) {
            vars.append("{% set v").append(i).append(" = 'x' %}{% set ns.v").append(i).append(" = 'x' %}");
        }
        for (String inner : new String[] {"{% set k = m %}", "{% set ns.k = m %}"}) {
            String t = vars + "{% for m in messages %}".repeat(60) + inner + "{% endfor %}".repeat(60) + "{{ x.__class__ }}";
            org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(java.time.Duration.ofSeconds(5), () ->
                    assertThat(JinjaTemplateCheck.check(t)).isNotEmpty());
        }
    }

    @Test
    void foldingFollowsPythonStringRules() {
        assertThat(malicious("{{ x[('%-3s' % '_')[0] ~ '_class__'] }}")).isTrue();
        assertThat(malicious("{{ x['abc__'[3:] ~ 'class__'] }}")).isTrue();
        assertThat(malicious("{{ x['__class__xyz'[:-3]] }}")).isTrue();
        assertThat(malicious("{{ x['_a_b_c'[::2] ~ 'x'] }}")).isTrue(); // '___x'
        assertThat(clean("{{ x['a_b_c'[::2]] }}")).isTrue(); // 'abc'
        assertThat(malicious("{{ x[('_',)|first * 2 ~ 'class__'] }}")).isTrue();
        assertThat(malicious("{{ x[' __class__ '|trim] }}")).isTrue();
        assertThat(malicious("{{ x[{'k': '__class__'}['k']] }}")).isTrue();
        assertThat(malicious("{{ x[{'k': '__class__'}.k] }}")).isTrue();
        assertThat(malicious("{{ x[{'__class__': 1}|list|first] }}")).isTrue();
        assertThat(malicious("{{ x[{'__class__': 1}.keys()|first] }}")).isTrue();
        assertThat(malicious("{{ x['-'.join(['', ''])|replace('-', '__') ~ 'class__'] }}")).isTrue();
        assertThat(malicious("{{ x['class'.center(9, '_')] }}")).isTrue();
        assertThat(malicious("{{ x['class__'.rjust(9, '_')] }}")).isTrue();
        assertThat(malicious("{{ x['__class'.ljust(9, '_')] }}")).isTrue();
        assertThat(malicious("{{ x['ab'.center(5, '_')[1:] ~ 'x'] }}")).isTrue(); // '_ab_' + 'x': padded as Python pads
        assertThat(JinjaTemplateCheck.check("{{ x['role'.center(4, '_')] }}{{ x['ro'.ljust(4, 'l')] }}")).isEmpty();
        assertThat(malicious("{{ x['_'|center(5)|trim ~ '_class__'] }}")).isTrue(); // the center filter is folded too
        assertThat(JinjaTemplateCheck.check("{{ x['_'|center(5, '_')|trim ~ '_class__'] }}")).isNotEmpty(); // jinja2 refuses 2 args
    }

    /**
     * Python internals reachable without an underscore: frame, code and function attributes (the
     * names Jinja's sandbox refuses besides private ones). In a plain jinja2.Environment the first
     * runs a shell command: a generator's frame leads to a module's globals and on to os.
     */
    @ParameterizedTest
    @ValueSource(strings = {
        "{{ (x|map('string')).gi_frame.f_globals.t.sys.modules.os.popen('id').read() }}",
        "{{ (x|map('string'))['gi_frame'] }}",
        "{{ (x|map('string'))|attr('gi_' ~ 'frame') }}",
        "{{ y.gi_code }}", "{{ y.cr_frame }}", "{{ y.ag_frame }}", "{{ y.tb_frame.f_back }}",
        "{{ y.f_locals }}", "{{ y.f_builtins }}", "{{ y.func_globals }}", "{{ y.im_func }}",
        "{{ dict.mro() }}",
        "{{ users|map(attribute='gi_frame.f_globals')|list }}",
    })
    void internalsWithoutUnderscoresAreMalicious(String template) {
        assertThat(JinjaTemplateCheck.check(template)).as(template).anyMatch(Problem::malicious);
    }

    /** str.format pads with any fill character: '{:_^9}' centres 'class' between underscores. */
    @ParameterizedTest
    @ValueSource(strings = {
        "{{ x['{:_^9}'.format('class')] }}",
        "{{ x['{:_>7}'.format('class') ~ '__'] }}",
        "{{ x['{0:_<7}'.format('__class')] }}",
        "{{ x['{:_^9.5}'.format('classroom')] }}",
        "{{ x['{:{}^9}'.format('class', '_')] }}",
        "{{ x['{:{f}^9}'.format('class', f='_')] }}",
    })
    void formatSpecFillCharactersAreFolded(String template) {
        assertThat(JinjaTemplateCheck.check(template)).as(template).isNotEmpty();
        if (!template.contains("{}^") && !template.contains("{f}")) {
            assertThat(malicious(template)).as(template).isTrue();
        }
    }

    /** Characters from numbers: str.format's 'c' type, and '*' widths that take an argument of their own. */
    @ParameterizedTest
    @ValueSource(strings = {
        "{{ x['{:c}{:c}class{:c}{:c}'.format(95, 95, 95, 95)] }}",
        "{{ x['{0:c}{0:c}class{0:c}{0:c}'.format(95)] }}",
        "{{ x['{:>1c}'.format(95) * 2 ~ 'class__'] }}",
        "{{ x['%*c' % (1, 95) * 2 ~ 'class__'] }}",
        "{{ x['%*c%*c' % (1, 95, 1, 95) ~ 'class__'] }}",
        "{{ x['%.*s' % (2, '__x') ~ 'class__'] }}",
        "{{ x['%*.*s' % (1, 1, '_') * 2 ~ 'class__'] }}",
    })
    void charactersMadeFromNumbersAreFolded(String template) {
        assertThat(malicious(template)).as(template).isTrue();
    }

    @Test
    void formatSpecsOfHarmlessNamesStayClean() {
        assertThat(clean("{{ x['{:c}{:c}'.format(114, 111) ~ 'le'] }}")).isTrue();
        assertThat(clean("{{ x['%*c' % (1, 114) ~ 'ole'] }}")).isTrue();
        assertThat(JinjaTemplateCheck.check("{{ x['{:c}'.format(n) ~ 'class'] }}")).isNotEmpty();
        assertThat(clean("{{ x['{:>4}'.format('role')] }}")).isTrue();
        assertThat(clean("{{ x['{:.4}'.format('roles')] }}")).isTrue();
        assertThat(clean("{{ '{:-^20}'.format(title) }}")).isTrue();
        assertThat(malicious("{{ '{:{0.__class__}}'.format(x) }}")).isTrue();
    }

    /** sort(attribute='a,b') sorts by several attributes (Jinja 3.1): each is checked. */
    @Test
    void sortByCommaSeparatedAttributesChecksEachOne() {
        assertThat(malicious("{{ users|sort(attribute='name,__class__') }}")).isTrue();
        assertThat(malicious("{{ users|sort(attribute='name, __class__') }}")
                || !JinjaTemplateCheck.check("{{ users|sort(attribute='name, __class__') }}").isEmpty()).isTrue();
        assertThat(clean("{{ users|sort(attribute='age,name') }}")).isTrue();
    }

    /**
     * Names that only Python's own str semantics fold to a dunder (each checked with jinja2 3.1.6:
     * the subscript receives '__class__'): Python's whitespace set is wider than Java's
     * (U+00A0, U+0085, U+2007, U+202F), Python indexes and slices code points, not UTF-16 units,
     * and '%.Ns' cuts to N characters.
     */
    @ParameterizedTest
    @ValueSource(strings = {
        "{{ x['\\xa0__class__'|trim] }}",
        "{{ x['\\xa0__class__'.strip()] }}",
        "{{ x['\\x85__class__'|trim] }}",
        "{{ x['\\u2007__class__'.lstrip()] }}",
        "{{ x['__class__\\u202f'.rstrip()] }}",
        "{{ x[('a\\xa0__class__'.split())[1]] }}",
        "{{ x[('a\\x85__class__'.split())|last] }}",
        "{{ x[('\\U0001F600_'[1]) * 2 ~ 'class' ~ ('\\U0001F600_'[1]) * 2] }}",
        "{{ x['\\U0001F600__class__'[1:]] }}",
        "{{ x['\\U0001F600\\U0001F600__class__'[2:]] }}",
    })
    void pythonStringSemanticsAreFollowed(String template) {
        assertThat(JinjaTemplateCheck.check(template)).as(template).anyMatch(Problem::malicious);
    }

    @Test
    void precisionCutsBeforeTheCharacterIsPicked() {
        // Python: ('%.1s' % '\U0001F600_')[-1:] is the emoji, so the name is not a dunder
        assertThat(malicious("{{ x[('%.1s' % '\\U0001F600_')[-1:] ~ '_class__'] }}")).isFalse();
        assertThat(malicious("{{ x[('%.2s' % '\\U0001F600_')[-1:] ~ '_class__'] }}")).isTrue();
    }

    /** jinja2 hands a call block to the macro it calls as 'caller': caller(...) renders the block. */
    @ParameterizedTest
    @ValueSource(strings = {
        "{% macro m() %}{{ caller('__class__') }}{% endmacro %}{% call(u) m() %}{{ x[u] }}{% endcall %}",
        "{% macro m() %}{{ x[caller()] }}{% endmacro %}{% call m() %}__class__{% endcall %}",
        "{% macro m(a) %}{{ x[caller(a ~ 'ss__')] }}{% endmacro %}{% call(u) m('__cla') %}{{ u }}{% endcall %}",
        "{% macro m() %}{{ caller() }}{% endmacro %}{% macro n() %}{{ x[caller()|trim] }}{% endmacro %}"
            + "{% call n() %}{% call m() %} __class__ {% endcall %}{% endcall %}",
    })
    void callBlocksRenderedByTheirMacroAreJudged(String template) {
        assertThat(JinjaTemplateCheck.check(template)).as(template).anyMatch(Problem::malicious);
    }

    @Test
    void aCallBlockWithHarmlessContentStaysClean() {
        assertThat(clean("{% macro row(m) %}<{{ caller(m.role) }}>{% endmacro %}{% for m in messages %}"
                + "{% call(r) row(m) %}{{ r }}: {{ m.content }}{% endcall %}{% endfor %}")).isTrue();
    }

    /** cycler and joiner hand back the values they were made from (jinja2.utils.Cycler, Joiner). */
    @ParameterizedTest
    @ValueSource(strings = {
        "{% set c = cycler('__class__') %}{{ x[c.current] }}",
        "{% set c = cycler('__cla' ~ 'ss__') %}{{ x[c.next()] }}",
        "{% set j = joiner('__class__') %}{{ j() }}{{ x[j()] }}",
    })
    void valuesThroughCyclerAndJoinerAreAtLeastSuspicious(String template) {
        assertThat(JinjaTemplateCheck.check(template)).as(template).isNotEmpty();
    }

    /** A name handed down through more macros than the analysis follows exactly is still seen. */
    @ParameterizedTest
    @ValueSource(strings = {
        "{% macro a(v) %}{{ b(v) }}{% endmacro %}{% macro b(v) %}{{ c(v) }}{% endmacro %}{% macro c(v) %}{{ d(v) }}{% endmacro %}{% macro d(v) %}{{ e(v) }}{% endmacro %}{% macro e(v) %}{{ f(v) }}{% endmacro %}{% macro f(v) %}{{ x[v] }}{% endmacro %}{{ a('__class__') }}",
        "{% macro a(v) %}{{ b(v ~ '_') }}{% endmacro %}{% macro b(v) %}{{ c(v ~ '_') }}{% endmacro %}{% macro c(v) %}{{ d(v ~ 'cl') }}{% endmacro %}{% macro d(v) %}{{ e(v ~ 'ass') }}{% endmacro %}{% macro e(v) %}{{ f(v ~ '__') }}{% endmacro %}{% macro f(v) %}{{ x[v] }}{% endmacro %}{{ a('') }}",
    })
    void namesPassedThroughDeepMacroChainsAreAtLeastSuspicious(String template) {
        assertThat(JinjaTemplateCheck.check(template)).as(template).isNotEmpty();
    }

    @Test
    void aDeepRecursiveMacroWithHarmlessArgumentsStaysClean() {
        assertThat(clean("{% macro r(s, ind, d) %}{% if d < 9 %}{{ type_map[s.type] }}{{ r(s.items, ind ~ 'x_', d + 1) }}{% endif %}{% endmacro %}{{ r(tools[0], 'snake_case', 0) }}")).isTrue();
    }

    /** A loop over a constant string sees every character, not only the first ones. */
    @ParameterizedTest
    @ValueSource(strings = {
        "{% set ns = namespace(s='') %}{% for c in ('a' * 40 ~ '_') %}{% if c == '_' %}{% set ns.s = c * 2 ~ 'class' ~ c * 2 %}"
            + "{% endif %}{% endfor %}{{ x[ns.s] }}",
        "{% for c in ('a' * 40 ~ '_') %}{{ x[c * 2 ~ 'class' ~ c * 2] }}{% endfor %}",
        "{{ x[(('a' * 40 ~ '_')|list|last) * 2 ~ 'class__'] }}",
        "{% for c in ('a' * 400 ~ '_') %}{{ x[c * 2 ~ 'class' ~ c * 2] }}{% endfor %}",
    })
    void loopsOverLongStringsSeeEveryCharacter(String template) {
        assertThat(JinjaTemplateCheck.check(template)).as(template).isNotEmpty();
    }

    /** str case, padding and affix methods and the markup filters fold as Python and jinja2 compute them. */
    @ParameterizedTest
    @ValueSource(strings = {
        "{{ x['__CLASS__'|capitalize|lower] }}",
        "{{ x['__Class__'.title()] }}",
        "{{ x['__class__'.title()] }}",
        "{{ x['__class__'|title] }}",
        "{{ x['__class__'|capitalize] }}",
        "{{ x['__class__'.capitalize()] }}",
        "{{ x['__CLASS__'.swapcase()] }}",
        "{{ x['__CLASS__'.casefold()] }}",
        "{{ x['__class__'.zfill(3)] }}",
        "{{ x['_'.zfill(2)|replace('0', '_') ~ 'class__'] }}",
        "{{ x['__class__'|center(3)] }}",
        "{{ x['_'|center(3)|trim] }}",
        "{{ x[' __class__  x'|striptags] }}",
        "{{ x['__class__.x'.rpartition('.')[0]] }}",
        "{{ x['a.__class__'.rsplit('.', 1)[1]] }}",
        "{{ x['X__class__'.removeprefix('X')] }}",
        "{{ x['__class__X'.removesuffix('X')] }}",
        "{{ x['__class__X'.removesuffix('')] }}",
        "{{ x['__class__'.partition('X')[0]] }}",
        "{{ x['__class__'.rpartition('X')[2]] }}",
    })
    void caseAndAffixMethodsAreFolded(String template) {
        assertThat(JinjaTemplateCheck.check(template)).as(template).anyMatch(Problem::malicious);
    }

    /** Inside tags jinja2 skips whitespace as Python's re does (U+00A0, U+2007, U+3000 included). */
    @Test
    void tagsWithPythonWhitespaceParseAsJinjaParsesThem() {
        assertThat(malicious("{{\u00a0x.__class__\u00a0}}")).isTrue();
        assertThat(JinjaTemplateCheck.check("{{\u00a0x.__class__\u00a0}}")).noneMatch(p -> p.message().contains("cannot be parsed"));
        assertThat(clean("{%\u2007raw\u2007%}{{ x.__class__ }}{% endraw %}")).isTrue();
    }

    @Test
    void aTemplateWithMoreTokensOrTagsThanTheAnalysisReadsIsSuspicious() {
        assertThat(JinjaTemplateCheck.check("{{ [" + "1,".repeat(500_000) + "1] }}"))
                .singleElement().satisfies(p -> assertThat(p.message()).contains("more than 400000 tokens"));
        assertThat(JinjaTemplateCheck.check("{{ m.role }}".repeat(60_000)))
                .singleElement().satisfies(p -> assertThat(p.message()).contains("more than 50000 tags"));
    }
}
