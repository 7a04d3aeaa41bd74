package dev.laocoon.core.explain;

import dev.laocoon.core.internal.analysis.PickleAnalyzer;
import dev.laocoon.core.finding.Finding;
import dev.laocoon.core.finding.Location;
import dev.laocoon.core.internal.pickle.PickleResult;
import dev.laocoon.core.internal.pickle.PickleTrace;
import dev.laocoon.core.internal.pickle.TraceEvent;
import dev.laocoon.core.internal.pickle.Value;
import java.util.ArrayList;
import java.util.List;

/**
 * Renders a pickle trace as pseudo-Python: the imports, calls and assignments a loader would
 * perform, in order, and the object it would return, with findings marked on the line they
 * concern. Nothing is executed to produce it.
 */
public final class PickleExplainer {
    private static final int WIDTH = 48;
    private static final int ARGS = 200;

    private PickleExplainer() {
    }

    public static String explain(PickleTrace trace, List<Finding> findings, Location where) {
        StringBuilder sb = new StringBuilder();
        sb.append("# What a loader of ").append(where.render())
                .append(" would do, as pseudo-Python. Nothing was executed to produce this.\n");
        List<Finding> pending = new ArrayList<>(findings);
        for (PickleResult p : trace.pickles()) {
            sb.append('\n').append("# pickle ").append(p.index()).append(": bytes ").append(p.start()).append('-')
                    .append(p.end()).append(", protocol ").append(p.protocol()).append(", ")
                    .append(p.opcodes()).append(" opcodes\n");
            for (TraceEvent e : p.events()) {
                String code = line(e);
                if (code == null) {
                    continue;
                }
                emit(sb, code, "@" + e.offset() + " " + e.opcode(), take(pending, where, p.index(), e.offset()));
            }
            if (p.error() != null && p.error().kind() == dev.laocoon.core.internal.pickle.PickleError.Kind.LIMIT) {
                // a limit of Laocoon's, not of the loader: the loader goes on from here
                emit(sb, "# the analysis stopped here (" + p.error().getMessage() + "); a loader would go on",
                        "@" + p.error().offset(), take(pending, where, p.index(), p.error().offset()));
            } else if (p.error() != null) {
                emit(sb, "raise UnpicklingError(" + quote(p.error().getMessage()) + ")",
                        "@" + p.error().offset(), take(pending, where, p.index(), p.error().offset()));
            } else if (p.result() != null) {
                sb.append("result").append(p.index()).append(" = ").append(p.result().render(ARGS)).append('\n');
            }
        }
        if (!pending.isEmpty()) {
            sb.append("\n# other findings\n");
            for (Finding f : pending) {
                sb.append(mark(f)).append('\n');
            }
        }
        return sb.toString();
    }

    private static String line(TraceEvent e) {
        if (e instanceof TraceEvent.Import imp) {
            var n = imp.name();
            if (!n.known()) {
                return "import ???  # module " + n.module() + ", name " + n.name() + " computed while loading";
            }
            String remap = n.remapped() ? "  # written as " + n.module() + "." + n.name() : "";
            String nm = n.resolvedName();
            int dot = nm.indexOf('.');
            if (dot < 0) {
                return "from " + n.resolvedModule() + " import " + nm + remap;
            }
            return "from " + n.resolvedModule() + " import " + nm.substring(0, dot) + "  # then ." + nm.substring(dot + 1)
                    + remap;
        }
        if (e instanceof TraceEvent.Invoke inv) {
            String call = PickleAnalyzer.describe(inv);
            if (inv.kind() == TraceEvent.CallKind.METHOD && inv.method().equals("__setitem__")
                    && inv.args() instanceof Value.Container c) {
                StringBuilder sb = new StringBuilder();
                for (int i = 0; i + 1 < c.keptCount(); i += 2) {
                    if (i > 0) {
                        sb.append("; ");
                    }
                    sb.append(inv.target().render(40)).append('[').append(c.item(i).render(60)).append("] = ")
                            .append(c.item(i + 1).render(80));
                }
                return sb.toString();
            }
            return inv.result() != null ? inv.result().variable() + " = " + call : call;
        }
        if (e instanceof TraceEvent.Extension ext) {
            return "_ext = copyreg._extension_registry_lookup(" + ext.code() + ")";
        }
        if (e instanceof TraceEvent.PersistentLoad pl) {
            return "persistent_load(" + pl.pid().render(ARGS) + ")";
        }
        if (e instanceof TraceEvent.FrameIssue fi) {
            return "# frame: " + fi.detail();
        }
        if (e instanceof TraceEvent.OutOfBand) {
            return "_buf = next(buffers)";
        }
        return null;
    }

    private static List<Finding> take(List<Finding> pending, Location where, int pickle, long offset) {
        List<Finding> hit = new ArrayList<>();
        pending.removeIf(f -> {
            Location l = f.location();
            boolean match = l.members().equals(where.members()) && l.pickleIndex() == pickle && l.offset() == offset;
            if (match) {
                hit.add(f);
            }
            return match;
        });
        return hit;
    }

    private static void emit(StringBuilder sb, String code, String where, List<Finding> marks) {
        String[] lines = code.split("\n");
        for (int i = 0; i < lines.length; i++) {
            sb.append(lines[i]);
            if (i == lines.length - 1) {
                int pad = Math.max(1, WIDTH - lines[i].length());
                sb.append(" ".repeat(pad)).append("# ").append(where);
            }
            sb.append('\n');
        }
        for (Finding f : marks) {
            sb.append("    ").append(mark(f)).append('\n');
        }
    }

    private static String mark(Finding f) {
        String where = f.location().members().isEmpty() ? "" : " at " + f.location().render();
        return "# !! " + f.severity().label().toUpperCase() + " " + f.rule().id() + " " + f.rule().slug() + where
                + ": " + f.message();
    }

    private static String quote(String s) {
        return s.contains("'") && !s.contains("\"") ? "\"" + s + "\"" : "'" + s.replace("'", "\\'") + "'";
    }
}
