package dev.laocoon.core.internal.format;

import java.util.ArrayList;
import java.util.List;

/** TensorFlow API names a tf.keras {@code TFOpLambda} may call, judged by {@code kb/tf-symbols.txt}. */
final class TfSymbols {
    private static final List<String[]> ROWS = load();

    private TfSymbols() {
    }

    private static List<String[]> load() {
        List<String[]> out = new ArrayList<>();
        for (String l : Tables.lines("tf-symbols.txt")) {
            String[] w = l.split(" ", 3);
            if (w.length != 3) {
                throw new IllegalStateException("tf-symbols.txt: bad line '" + l + "'");
            }
            dev.laocoon.core.finding.Severity.parse(w[1]);
            out.add(w);
        }
        return out;
    }

    /** {severity label, reason} for an API name such as {@code math.add} or {@code raw_ops.WriteFile}. */
    static String[] judge(String symbol) {
        String name = symbol.startsWith("tf.") ? symbol.substring(3) : symbol;
        if (name.startsWith("raw_ops.")) {
            TfOps.Row r = TfOps.ROWS.get(name.substring("raw_ops.".length()));
            if (r == null) {
                return new String[] {"notice", "is not a TensorFlow 2.21 op"};
            }
            // the arguments come from the model's inbound nodes: the op's worst case counts
            return new String[] {r.severity().name().toLowerCase(java.util.Locale.ROOT), r.what()};
        }
        String[] best = null;
        for (String[] w : ROWS) {
            boolean match = w[0].endsWith(".") ? name.startsWith(w[0]) : name.equals(w[0]);
            if (match && (best == null || w[0].length() > best[0].length())) {
                best = w;
            }
        }
        if (best != null) {
            return new String[] {best[1], best[2]};
        }
        // a top-level name without a namespace (tf.reshape, tf.concat, ...) is a tensor function
        return name.matches("[a-z_][a-z0-9_]*") ? new String[] {"safe", ""}
                : new String[] {"notice", "is not known to be a pure tensor function"};
    }
}
