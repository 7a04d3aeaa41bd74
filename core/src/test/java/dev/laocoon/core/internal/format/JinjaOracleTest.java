package dev.laocoon.core.internal.format;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.laocoon.core.internal.format.jinja.JinjaAnalyzer;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The template analysis against jinja2 itself (when python3 with jinja2 is available): each
 * template is rendered in jinja2's ImmutableSandboxedEnvironment against a recorder that notes the
 * attribute and subscript names asked of it. Where jinja2 asks for an internal name, the analysis
 * must report the template (malicious, or suspicious when it cannot fold the name); where it does
 * not, the analysis must not call it malicious. The inputs build names the ways that once differed
 * between Java and Python: whitespace, code points, precision, methods and filters.
 */
class JinjaOracleTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    static final List<String> TEMPLATES = List.of(
            "{{ x['\\xa0__class__'|trim] }}", "{{ x['\\xa0__class__'.strip()] }}", "{{ x['\\x85__class__'|trim] }}",
            "{{ x['\\u2007__class__'.lstrip()] }}", "{{ x['__class__\\u202f'.rstrip()] }}", "{{ x['\\u3000__class__'|trim] }}",
            "{{ x['\\u200b__class__'|trim] }}", "{{ x[('a\\xa0__class__'.split())[1]] }}", "{{ x[('a\\x85__class__'.split())|last] }}",
            "{{ x[('\\U0001F600_'[1]) * 2 ~ 'class' ~ ('\\U0001F600_'[1]) * 2] }}", "{{ x['\\U0001F600__class__'[1:]] }}",
            "{{ x['\\U0001F600\\U0001F600__class__'[2:]] }}", "{{ x[('%.1s' % '\\U0001F600_')[-1:] ~ '_class__'] }}",
            "{{ x[('%.2s' % '\\U0001F600_')[-1:] ~ '_class__'] }}", "{{ x[('%-3s' % '_')|trim * 2 ~ 'class__'] }}",
            "{{ x[('%.3d' % 5)|replace('0', '_') ~ 'class__'] }}", "{{ x[('%5.1s' % '_x')|trim * 2 ~ 'class__'] }}",
            "{{ x['__cl' 'ass__'] }}", "{{ x['%c' % 95 * 2 ~ 'class__'] }}", "{{ x[(dict(__class__=1)|first)] }}",
            "{{ x[(dict(a__class__=1)|first)[1:]] }}", "{{ x[('%(a)s%(a)s' % {'a': '_'}) ~ 'class__'] }}",
            "{{ x['__CLASS__'|lower] }}", "{{ x['__class__'|e] }}", "{{ x['__class__'|string] }}",
            "{{ x[('a_b'|list)[1] * 2 ~ 'class__'] }}", "{{ x['__class__'|truncate(9, True, '')] }}",
            "{{ x['{:_^9}'.format('class')] }}", "{{ x['__class__'|title|lower] }}", "{{ x[['__class__']|first] }}",
            "{{ x[{'k': '__class__'}.get('k')] }}", "{{ x[('a' if false else '__class__')] }}",
            "{{ x['__class__'|batch(9)|first|join] }}", "{{ x['__class__'|unique|join] }}",
            "{{ x['_c_l_a_s_s_'.replace('_c', '__c').replace('s_', 's__')|replace('_l_a_s', 'las')] }}",
            "{{ x['X__class__'.removeprefix('X')] }}", "{{ x['__class__X'.rstrip('X')] }}",
            "{{ x['a.__class__'.split('.')[1]] }}", "{{ x['a.__class__'.rsplit('.', 1)[1]] }}",
            "{{ x['%s' | format('__class__')] }}", "{{ x['__class__'.swapcase().swapcase()] }}",
            "{{ x['{0}'.format('__class__')] }}", "{{ x['\\t__class__'|trim] }}", "{{ x[(1e16|string)[3:] ~ 'class'] }}",
            "{{ x[('{:_}'.format(1000))[1] * 2 ~ 'class__'] }}", "{{ x|attr('__cla' ~ 'ss__') }}", "{{ x.role }}",
            "{{ x['content'] }}", "{{ x['_'|center(3)|trim] }}", "{{ x[('%x' % 255)] }}", "{{ x[(0.1 + 0.2)|string] }}",
            "{{ x[('\\U0001F600a_'|reverse)[0:1]] }}", "{{ x['ab'[::-1] ~ '_'] }}", "{{ x['role'|upper] }}",
            "{% macro m() %}{{ caller('__class__') }}{% endmacro %}{% call(u) m() %}{{ x[u] }}{% endcall %}",
            "{% macro m() %}{{ x[caller()] }}{% endmacro %}{% call m() %}__class__{% endcall %}",
            "{% macro m() %}{{ x[caller()|trim] }}{% endmacro %}{% call m() %} __class__ {% endcall %}",
            "{% macro m() %}{{ x[caller('role')] }}{% endmacro %}{% call(u) m() %}{{ u }}{% endcall %}",
            "{% macro m() %}{{ x[kwargs.k] }}{% endmacro %}{{ m(k='__class__') }}",
            "{% for i in [1] %}{{ x[loop.cycle('__class__')] }}{% endfor %}",
            "{% for k, v in {'__class__': 1}.items() %}{{ x[k] }}{% endfor %}", "{{ x[namespace(k='__class__').k] }}",
            "{{ x[{'__class__': 1}|first] }}", "{{ x[['b', '__class__']|min] }}", "{{ x[undefined_var|default('__class__')] }}",
            "{{ x[['__class__', '']|reject('eq', '')|first] }}", "{{ x['_'.join(['', '', 'class', '', ''])] }}",
            "{% set c = cycler('__class__') %}{{ x[c.current] }}", "{% set c = cycler('a', '__class__') %}{{ x[c.next()] }}",
            "{% set j = joiner('__class__') %}{{ j() }}{{ x[j()] }}", "{% set j = joiner(', ') %}{{ j() }}{{ x[j()|trim] }}",
            "{% for c in ('a' * 40 ~ '_') %}{{ x[c * 2 ~ 'class' ~ c * 2] }}{% endfor %}",
            "{{ x[(('a' * 40 ~ '_')|list|last) * 2 ~ 'class__'] }}",
            "{{ x['__CLASS__'|capitalize|lower] }}",
            "{{ x['class'|title] }}",
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
            "{{ x['a&b'|e] }}",
            "{{ x['a-b class'|title] }}",
            "{{ x[' __class__  x'|striptags] }}",
            "{{ x['__class__.x'.rpartition('.')[0]] }}",
            "{{ x['a.__class__'.rsplit('.', 1)[1]] }}",
            "{{ x['X__class__'.removeprefix('X')] }}",
            "{{ x['__class__X'.removesuffix('X')] }}",
            "{{ x['__class__X'.removesuffix('')] }}",
            "{{ x['__class__'.partition('X')[0]] }}",
            "{{ x['__class__'.rpartition('X')[2]] }}",
            "{{\u00a0x.__class__\u00a0}}", "{%\u2007raw\u2007%}{{ x.__class__ }}{% endraw %}", "{{ x\u3000['__class__'] }}",
            "{{ x['a']\u0085}}{{\u202fx|attr('__class__') }}",
            "{{ x[('_'|tojson)[1] * 2 ~ 'class__'] }}", "{{ x[{'_': 1}|xmlattr|trim|first * 2 ~ 'class__'] }}",
            "{% macro a(v) %}{{ b(v) }}{% endmacro %}{% macro b(v) %}{{ c(v) }}{% endmacro %}{% macro c(v) %}{{ d(v) }}{% endmacro %}{% macro d(v) %}{{ e(v) }}{% endmacro %}{% macro e(v) %}{{ f(v) }}{% endmacro %}{% macro f(v) %}{{ x[v] }}{% endmacro %}{{ a('__class__') }}",
            "{% macro a(v) %}{{ b(v ~ '_') }}{% endmacro %}{% macro b(v) %}{{ c(v ~ '_') }}{% endmacro %}{% macro c(v) %}{{ d(v ~ 'cl') }}{% endmacro %}{% macro d(v) %}{{ e(v ~ 'ass') }}{% endmacro %}{% macro e(v) %}{{ f(v ~ '__') }}{% endmacro %}{% macro f(v) %}{{ x[v] }}{% endmacro %}{{ a('') }}");

    @Test
    void namesJinjaAsksForAreJudgedAsTheAnalysisFoldsThem() throws Exception {
        List<JsonNode> answers = jinja(TEMPLATES);
        int internal = 0;
        int clean = 0;
        for (int i = 0; i < TEMPLATES.size(); i++) {
            String t = TEMPLATES.get(i);
            JsonNode names = answers.get(i);
            List<JinjaTemplateCheck.Problem> problems = JinjaTemplateCheck.check(t);
            if (names.isTextual()) {
                continue; // jinja2 raised: nothing was asked of x
            }
            boolean asksInternal = false;
            for (JsonNode n : names) {
                asksInternal |= JinjaAnalyzer.internal(n.asText());
            }
            if (asksInternal) {
                internal++;
                assertThat(problems).as(t + " asks for " + names).isNotEmpty();
            } else {
                clean++;
                assertThat(problems).as(t + " asks for " + names).noneMatch(JinjaTemplateCheck.Problem::malicious);
            }
        }
        assertThat(internal).isGreaterThan(30);
        assertThat(clean).isGreaterThan(5);
    }

    /** jinja2's answers, in order; the test is skipped when python3 or jinja2 is missing. */
    static List<JsonNode> jinja(List<String> templates) throws Exception {
        Path script = Path.of(JinjaOracleTest.class.getResource("jinja_oracle.py").toURI());
        Process p;
        try {
            p = new ProcessBuilder("python3", script.toString()).start();
        } catch (java.io.IOException e) {
            Assumptions.abort("python3 is not available: " + e.getMessage());
            return List.of();
        }
        Thread writer = new Thread(() -> {
            try (OutputStream out = p.getOutputStream()) {
                for (String t : templates) {
                    out.write((JSON.writeValueAsString(t) + "\n").getBytes(StandardCharsets.UTF_8));
                }
            } catch (java.io.IOException ignored) {
                // the reader below sees the short output
            }
        });
        writer.start();
        List<JsonNode> out = new ArrayList<>();
        try (BufferedReader in = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = in.readLine()) != null) {
                out.add(JSON.readTree(line));
            }
        }
        writer.join();
        p.waitFor(60, TimeUnit.SECONDS);
        if (out.isEmpty()) {
            String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
            System.out.println("JinjaOracleTest skipped: python3 with jinja2 did not run the oracle: " + err.strip());
            Assumptions.abort("python3 with jinja2 did not run the oracle");
        }
        assertThat(out).hasSize(templates.size());
        return out;
    }
}
