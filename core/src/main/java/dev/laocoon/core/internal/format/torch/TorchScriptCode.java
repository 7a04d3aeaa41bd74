package dev.laocoon.core.internal.format.torch;

import dev.laocoon.core.finding.Severity;
import dev.laocoon.core.internal.format.Tables;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads the TorchScript source that {@code torch.jit.save} writes into an archive's {@code code/}
 * members (a Python subset, one class or function per block, indented by two spaces) far enough to
 * know what its methods call. {@code torch.jit.load} runs every scripted class's
 * {@code __setstate__} while it unpickles the archive's data; the methods those call through
 * {@code self} (and through attributes whose class the class body declares) run too. Calls are
 * graded by {@code torchscript-calls.txt}. Nothing is compiled or run.
 */
public final class TorchScriptCode {
    /** One call found: where it is (1-based line), what it calls, the knowledge line, and whether load runs it. */
    public record Call(int line, String callee, Severity severity, String explanation, boolean atLoad, String method,
                       String source) {
    }

    private static final Pattern CLASS = Pattern.compile("^class\\s+([A-Za-z_][A-Za-z0-9_]*)\\s*(\\(|:)");
    private static final Pattern DEF = Pattern.compile("^(\\s*)def\\s+([A-Za-z_][A-Za-z0-9_]*)\\s*\\(");
    private static final Pattern ATTR = Pattern.compile("^\\s+([A-Za-z_][A-Za-z0-9_]*)\\s*:\\s*(__torch__[A-Za-z0-9_.]*)");
    private static final Pattern CALLEE = Pattern.compile("((?:torch|ops)(?:\\.[A-Za-z_][A-Za-z0-9_]*)+)\\s*\\(");
    private static final Pattern SELF_CALL = Pattern.compile("\\(?self\\)?\\.([A-Za-z_][A-Za-z0-9_]*)\\s*\\(");
    private static final Pattern ATTR_CALL = Pattern.compile("\\(?self\\.([A-Za-z_][A-Za-z0-9_]*)\\)?\\.([A-Za-z_][A-Za-z0-9_]*)\\s*\\(");
    private static final Pattern FUNCTION_CALL = Pattern.compile("(__torch__(?:\\.[A-Za-z_][A-Za-z0-9_]*)+)\\s*\\(");
    private static final int MAX_LINES = 2_000_000;

    private static final class Kb {
        static final Map<String, String[]> ROWS = load();

        static Map<String, String[]> load() {
            Map<String, String[]> m = new HashMap<>();
            for (String line : Tables.lines("torchscript-calls.txt")) {
                String[] f = line.split("\\s+", 4);
                m.put(f[0], f);
            }
            return m;
        }
    }

    private TorchScriptCode() {
    }

    private static final class Method {
        final String cls;
        final String name;
        final List<Integer> lines = new ArrayList<>();

        final String module;

        Method(String cls, String name, String module) {
            this.cls = cls;
            this.name = name;
            this.module = module;
        }
    }

    /**
     * The graded calls of one code member. {@code module} is the member's dotted module name
     * (e.g. {@code __torch__.models.net} for {@code code/__torch__/models/net.py}), used to name
     * its classes as other members refer to them.
     */
    public static List<Call> calls(String text, String module) {
        return calls(Map.of(module, text)).getOrDefault(module, List.of());
    }

    /**
     * The graded calls of all code members of one archive, by module: a {@code __setstate__} in one
     * member reaches functions and classes defined in others.
     */
    public static Map<String, List<Call>> calls(Map<String, String> modules) {
        Map<String, Method> methods = new LinkedHashMap<>();
        Map<String, Map<String, String>> attrTypes = new HashMap<>();
        Map<String, String[]> texts = new LinkedHashMap<>();
        for (Map.Entry<String, String> m : modules.entrySet()) {
            String[] lines = m.getValue().split("\n", MAX_LINES);
            texts.put(m.getKey(), lines);
            parse(m.getKey(), lines, methods, attrTypes);
        }
        return grade(methods, attrTypes, texts);
    }

    private static void parse(String module, String[] lines, Map<String, Method> methods,
                              Map<String, Map<String, String>> attrTypes) {
        String cls = null;
        Method current = null;
        int defIndent = -1;
        for (int i = 0; i < lines.length; i++) {
            String l = lines[i];
            if (l.isBlank()) {
                continue;
            }
            int indent = indent(l);
            Matcher c = CLASS.matcher(l);
            if (indent == 0 && c.find()) {
                cls = module + "." + c.group(1);
                current = null;
                continue;
            }
            // a line of another member's text never belongs here: methods record their module

            if (indent == 0 && !l.startsWith("def")) {
                cls = null; // a top-level statement ends the class
            }
            Matcher d = DEF.matcher(l);
            if (d.find()) {
                String owner = indent == 0 ? module : cls;
                current = new Method(owner, d.group(2), module);
                defIndent = indent;
                methods.put(owner + "#" + d.group(2), current);
                current.lines.add(i);
                continue;
            }
            if (current != null && indent > defIndent) {
                current.lines.add(i);
                continue;
            }
            current = null;
            Matcher a = ATTR.matcher(l);
            if (cls != null && a.find()) {
                attrTypes.computeIfAbsent(cls, k -> new HashMap<>()).put(a.group(1), a.group(2));
            }
        }
    }

    private static Map<String, List<Call>> grade(Map<String, Method> methods, Map<String, Map<String, String>> attrTypes,
                                                 Map<String, String[]> texts) {
        // what load runs: every __setstate__, and the methods reachable from it
        Set<String> atLoad = new LinkedHashSet<>();
        Deque<String> work = new ArrayDeque<>();
        for (String k : methods.keySet()) {
            if (k.endsWith("#__setstate__")) {
                work.add(k);
            }
        }
        while (!work.isEmpty()) {
            String k = work.poll();
            Method m = methods.get(k);
            if (m == null || !atLoad.add(k)) {
                continue;
            }
            String[] lines = texts.get(m.module);
            for (int i : m.lines) {
                Matcher s = SELF_CALL.matcher(lines[i]);
                while (s.find()) {
                    work.add(m.cls + "#" + s.group(1));
                }
                Matcher fc = FUNCTION_CALL.matcher(lines[i]);
                while (fc.find()) {
                    String f = fc.group(1);
                    int dot = f.lastIndexOf('.');
                    work.add(f.substring(0, dot) + "#" + f.substring(dot + 1)); // a function, or Class.method on a class name
                    work.add(f + "#__init__");
                }
                Matcher ac = ATTR_CALL.matcher(lines[i]);
                while (ac.find()) {
                    String t = attrTypes.getOrDefault(m.cls, Map.of()).get(ac.group(1));
                    if (t != null) {
                        work.add(t + "#" + ac.group(2));
                    }
                }
            }
        }
        Map<String, List<Call>> byModule = new LinkedHashMap<>();
        for (Map.Entry<String, Method> e : methods.entrySet()) {
            Method m = e.getValue();
            String[] lines = texts.get(m.module);
            List<Call> out = byModule.computeIfAbsent(m.module, x -> new ArrayList<>());
            boolean load = atLoad.contains(e.getKey());
            for (int i : m.lines) {
                Matcher k = CALLEE.matcher(lines[i]);
                while (k.find()) {
                    String callee = k.group(1).startsWith("torch.ops.") ? k.group(1).substring(6) : k.group(1);
                    String[] row = lookup(callee);
                    if (row == null || row[1].equals("safe")) {
                        continue;
                    }
                    Severity s = Severity.parse(row[1]);
                    if (!load && s == Severity.MALICIOUS) {
                        s = Severity.SUSPICIOUS;
                    }
                    out.add(new Call(i + 1, callee, s, row[3], load, m.cls + "." + m.name, lines[i].strip()));
                }
            }
        }
        return byModule;
    }

    private static String[] lookup(String callee) {
        String[] exact = Kb.ROWS.get(callee);
        if (exact != null) {
            return exact;
        }
        String p = callee;
        for (int dot = p.lastIndexOf('.'); dot > 0; dot = p.lastIndexOf('.')) {
            p = p.substring(0, dot);
            String[] w = Kb.ROWS.get(p + ".*");
            if (w != null) {
                return w;
            }
        }
        return null;
    }

    private static int indent(String l) {
        int i = 0;
        while (i < l.length() && (l.charAt(i) == ' ' || l.charAt(i) == '\t')) {
            i++;
        }
        return i;
    }
}
