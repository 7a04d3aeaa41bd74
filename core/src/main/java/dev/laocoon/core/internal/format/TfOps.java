package dev.laocoon.core.internal.format;

import dev.laocoon.core.finding.Severity;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * What each TensorFlow op does when a graph runs, read from {@code kb/tf-ops.txt} (every op
 * registered in TensorFlow 2.21, each with a severity, an optional condition and the reason).
 */
final class TfOps {
    /** How a row's severity is conditioned. */
    enum Cond { NONE, INPUT, ATTR_PREFIX, ATTR_NOT_PREFIX, ATTR_SET }

    /**
     * One row: the severity when the condition holds (or always), the severity otherwise, the
     * data inputs that carry a path ({@link Cond#INPUT}), the attribute and prefixes (attribute
     * conditions), and what the op does.
     */
    record Row(String op, Severity severity, Cond cond, int[] inputs, String attr, List<String> prefixes,
            Severity otherwise, String what) {
    }

    static final Map<String, Row> ROWS = load();

    private TfOps() {
    }

    private static Map<String, Row> load() {
        Map<String, Row> m = new HashMap<>();
        for (String l : Tables.lines("tf-ops.txt")) {
            String[] w = l.split(" ");
            if (w.length < 3) {
                throw new IllegalStateException("tf-ops.txt: bad line '" + l + "'");
            }
            Severity sev = Severity.parse(w[1]);
            Cond cond = Cond.NONE;
            int[] inputs = new int[0];
            String attr = null;
            List<String> prefixes = List.of();
            Severity otherwise = Severity.SAFE;
            int i = 2;
            for (; i < w.length && w[i].contains("=") && !w[i].startsWith("="); i++) {
                String k = w[i].substring(0, w[i].indexOf('='));
                String v = w[i].substring(w[i].indexOf('=') + 1);
                switch (k) {
                    case "input" -> {
                        cond = Cond.INPUT;
                        String[] ns = v.split(",");
                        inputs = new int[ns.length];
                        for (int j = 0; j < ns.length; j++) {
                            inputs[j] = Integer.parseInt(ns[j]);
                        }
                    }
                    case "else" -> otherwise = Severity.parse(v);
                    case "attr" -> {
                        if (v.endsWith("+")) {
                            cond = Cond.ATTR_SET;
                            attr = v.substring(0, v.length() - 1);
                        } else if (v.contains("^")) {
                            cond = Cond.ATTR_PREFIX;
                            attr = v.substring(0, v.indexOf('^'));
                            prefixes = List.of(v.substring(v.indexOf('^') + 1));
                        } else if (v.contains("!")) {
                            cond = Cond.ATTR_NOT_PREFIX;
                            attr = v.substring(0, v.indexOf('!'));
                            prefixes = List.of(v.substring(v.indexOf('!') + 1).split("\\|"));
                        } else {
                            throw new IllegalStateException("tf-ops.txt: bad attr condition in '" + l + "'");
                        }
                    }
                    default -> throw new IllegalStateException("tf-ops.txt: bad condition in '" + l + "'");
                }
            }
            if (i >= w.length || m.containsKey(w[0])) {
                throw new IllegalStateException("tf-ops.txt: no reason or duplicate in '" + l + "'");
            }
            String what = String.join(" ", java.util.Arrays.copyOfRange(w, i, w.length));
            m.put(w[0], new Row(w[0], sev, cond, inputs, attr, prefixes, otherwise, what));
        }
        return Map.copyOf(m);
    }
}
