package dev.laocoon.core.internal.format;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.WireFormat;
import dev.laocoon.core.finding.Severity;
import dev.laocoon.core.internal.format.ProtoModels.Kind;
import dev.laocoon.core.internal.format.ProtoModels.Problem;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A TensorFlow SavedModel ({@code saved_model.pb}) read with its field numbers
 * (tensorflow/core/protobuf/saved_model.proto, meta_graph.proto, graph.proto, node_def.proto,
 * function.proto, attr_value.proto, tensor.proto). The walk is lenient where TensorFlow is strict
 * and records each difference: TensorFlow 2.21's parser (protobuf, proto3) refuses a file with
 * invalid UTF-8 in a string field, a truncated or corrupt wire format, an unbalanced group or a
 * field number 0, and ignores unknown fields and known fields with another wire type (checked with
 * {@code tf.saved_model.load} and {@code saved_model_pb2.SavedModel.ParseFromString}).
 *
 * <p>Every node of every graph and function is judged by {@link TfOps}: ops that take a path as
 * data input are judged by where the path comes from (a constant of the graph, or the caller:
 * the loader passes checkpoint and asset paths as placeholders and function arguments), also
 * across function calls.
 */
final class SavedModels {
    private static final int MAX_TRACE = 64;
    private static final Set<String> CALLS = Set.of("PartitionedCall", "StatefulPartitionedCall", "TPUPartitionedCall");

    /** A node: name, op, data inputs (control inputs dropped, without output suffixes), attributes. */
    record Node(String name, String op, List<String> inputs, Map<String, byte[]> attrs) {
    }

    /** A graph or function body: its nodes by name, its argument names in order (functions). */
    record Scope(String label, Map<String, Node> nodes, List<String> args, Set<String> fed) {
    }

    private final Set<String> refusals = new LinkedHashSet<>();
    private final List<Problem> out = new ArrayList<>();

    private SavedModels() {
    }

    /** Problems of a SavedModel, or null when the bytes are not one. */
    static List<Problem> read(byte[] b) {
        return new SavedModels().walk(b);
    }

    private List<Problem> walk(byte[] b) {
        List<byte[]> metas = new ArrayList<>();
        Set<Integer> unknown = new java.util.TreeSet<>();
        fields(b, "SavedModel", (f, wire, in) -> {
            if (f == 1 && wire == WireFormat.WIRETYPE_VARINT) {
                in.readInt64();
                return true;
            }
            if (f == 2 && wire == WireFormat.WIRETYPE_LENGTH_DELIMITED) {
                metas.add(bytes(in));
                return true;
            }
            unknown.add(f);
            return false;
        });
        List<Scope> scopes = new ArrayList<>();
        int recognised = 0;
        for (byte[] m : metas) {
            recognised = Math.max(recognised, metaGraph(m, scopes));
        }
        // tags or signatures alone count only in a file that parses (random bytes rarely do)
        if (recognised == 0 || recognised == 1 && !refusals.isEmpty()) {
            return null;
        }
        for (int f : unknown) {
            out.add(new Problem(Kind.MALFORMED, Severity.NOTICE, "SavedModel", "unknown top-level field " + f
                    + " (TensorFlow skips it; another reader may not)"));
        }
        if (!refusals.isEmpty()) {
            out.add(0, new Problem(Kind.MALFORMED, Severity.SUSPICIOUS, "SavedModel", "TensorFlow refuses to parse this file ("
                    + String.join("; ", refusals) + "); this walk is more lenient than the loader, and read what it could"));
        }
        judge(scopes);
        return out;
    }

    /** Reads one MetaGraphDef: 2 for a graph with TensorFlow ops, 1 for tags or signatures only, 0 otherwise. */
    private int metaGraph(byte[] b, List<Scope> scopes) {
        Set<String> fed = new HashSet<>();
        boolean[] seen = new boolean[1];
        List<byte[]> graphs = new ArrayList<>();
        fields(b, "MetaGraphDef", (f, wire, in) -> {
            if (wire != WireFormat.WIRETYPE_LENGTH_DELIMITED) {
                return false;
            }
            byte[] v = bytes(in);
            switch (f) {
                case 1 -> fields(v, "MetaInfoDef", (g, w, i) -> {
                    if (w == WireFormat.WIRETYPE_LENGTH_DELIMITED && (g == 1 || g == 4 || g == 5 || g == 6)) {
                        String text = str(i, "meta info field " + g);
                        seen[0] |= g == 4 && !text.isEmpty();
                        return true;
                    }
                    return false;
                });
                case 2 -> graphs.add(v);
                case 3 -> fields(v, "SaverDef", (g, w, i) -> {
                    if (w == WireFormat.WIRETYPE_LENGTH_DELIMITED && g >= 1 && g <= 3) {
                        String t = str(i, "saver tensor name");
                        if (g == 1) {
                            fed.add(node(t));
                        }
                        return true;
                    }
                    return false;
                });
                case 5 -> seen[0] |= mapEntry(v, "signature_def");
                case 6 -> fields(v, "AssetFileDef", (g, w, i) -> {
                    if (w != WireFormat.WIRETYPE_LENGTH_DELIMITED) {
                        return false;
                    }
                    if (g == 1) {
                        fields(bytes(i), "TensorInfo", (h, x, j) -> {
                            if (h == 1 && x == WireFormat.WIRETYPE_LENGTH_DELIMITED) {
                                fed.add(node(str(j, "tensor name")));
                                return true;
                            }
                            return false;
                        });
                        return true;
                    }
                    if (g == 2) {
                        // the loader joins it to the assets folder (os.path.join): checked with TF 2.21, an
                        // absolute or "../" name read /etc/hostname into a lookup table
                        String name = str(i, "asset filename");
                        if (ProtoModels.leavesFolder(name)) {
                            out.add(new Problem(Kind.ASSET_ESCAPE, Severity.MALICIOUS, "asset_file_def", "asset file '" + name
                                    + "' leaves the SavedModel's assets folder: the loader hands that host file to the graph"));
                        }
                        return true;
                    }
                    return false;
                });
                default -> {
                }
            }
            return true;
        });
        // graph_def is a singular message: protobuf merges repeated occurrences, which for a message
        // is parsing their concatenation (the nodes of all of them are one graph)
        java.io.ByteArrayOutputStream merged = new java.io.ByteArrayOutputStream();
        for (byte[] g : graphs) {
            merged.writeBytes(g);
        }
        boolean ops = !graphs.isEmpty() && graph(merged.toByteArray(), fed, scopes);
        return ops ? 2 : seen[0] ? 1 : 0;
    }

    /** A map entry (key = 1 a string); true when it read. */
    private boolean mapEntry(byte[] v, String what) {
        boolean[] ok = new boolean[1];
        fields(v, what, (g, w, i) -> {
            if (g == 1 && w == WireFormat.WIRETYPE_LENGTH_DELIMITED) {
                str(i, what + " key");
                ok[0] = true;
                return true;
            }
            return false;
        });
        return ok[0];
    }

    private boolean graph(byte[] b, Set<String> fed, List<Scope> scopes) {
        Map<String, Node> nodes = new LinkedHashMap<>();
        List<byte[]> functions = new ArrayList<>();
        fields(b, "GraphDef", (f, wire, in) -> {
            if (f == 1 && wire == WireFormat.WIRETYPE_LENGTH_DELIMITED) {
                Node n = node(bytes(in));
                nodes.putIfAbsent(n.name(), n);
                return true;
            }
            if (f == 2 && wire == WireFormat.WIRETYPE_LENGTH_DELIMITED) {
                fields(bytes(in), "FunctionDefLibrary", (g, w, i) -> {
                    if (g == 1 && w == WireFormat.WIRETYPE_LENGTH_DELIMITED) {
                        functions.add(bytes(i));
                        return true;
                    }
                    return false;
                });
                return true;
            }
            return false;
        });
        scopes.add(new Scope("", nodes, List.of(), fed));
        int first = scopes.size();
        for (byte[] fn : functions) {
            function(fn, scopes);
        }
        // structure, not size, says it is a graph: a node with a TensorFlow op or a call of one of its functions
        Set<String> names = new HashSet<>();
        for (Scope s : scopes.subList(first, scopes.size())) {
            names.add(s.label());
        }
        boolean op = false;
        for (Scope s : scopes.subList(first - 1, scopes.size())) {
            op |= s.nodes().values().stream().anyMatch(n -> TfOps.ROWS.containsKey(n.op()) || names.contains(n.op()));
        }
        return op;
    }

    private void function(byte[] b, List<Scope> scopes) {
        String[] name = {""};
        List<String> args = new ArrayList<>();
        Map<String, Node> nodes = new LinkedHashMap<>();
        fields(b, "FunctionDef", (f, wire, in) -> {
            if (wire != WireFormat.WIRETYPE_LENGTH_DELIMITED) {
                return false;
            }
            if (f == 1) {
                fields(bytes(in), "OpDef", (g, w, i) -> {
                    if (g == 1 && w == WireFormat.WIRETYPE_LENGTH_DELIMITED) {
                        name[0] = str(i, "function name");
                        return true;
                    }
                    if (g == 2 && w == WireFormat.WIRETYPE_LENGTH_DELIMITED) {
                        fields(bytes(i), "ArgDef", (h, x, j) -> {
                            if (h == 1 && x == WireFormat.WIRETYPE_LENGTH_DELIMITED) {
                                args.add(str(j, "argument name"));
                                return true;
                            }
                            return false;
                        });
                        return true;
                    }
                    return false;
                });
                return true;
            }
            if (f == 3) {
                Node n = node(bytes(in));
                nodes.putIfAbsent(n.name(), n);
                return true;
            }
            if (f == 4) {
                fields(bytes(in), "FunctionDef.ret", (g, w, i) -> {
                    if ((g == 1 || g == 2) && w == WireFormat.WIRETYPE_LENGTH_DELIMITED) {
                        str(i, "function ret");
                        return true;
                    }
                    return false;
                });
                return true;
            }
            return false;
        });
        scopes.add(new Scope(name[0], nodes, args, Set.copyOf(args)));
    }

    private Node node(byte[] b) {
        String[] s = {"", ""};
        List<String> inputs = new ArrayList<>();
        Map<String, byte[]> attrs = new HashMap<>();
        fields(b, "NodeDef", (f, wire, in) -> {
            if (wire != WireFormat.WIRETYPE_LENGTH_DELIMITED || f < 1 || f > 5) {
                return false;
            }
            if (f == 5) {
                String[] key = {""};
                byte[][] value = {new byte[0]};
                fields(bytes(in), "NodeDef.attr", (g, w, i) -> {
                    if (g == 1 && w == WireFormat.WIRETYPE_LENGTH_DELIMITED) {
                        key[0] = str(i, "attribute name");
                        return true;
                    }
                    if (g == 2 && w == WireFormat.WIRETYPE_LENGTH_DELIMITED) {
                        value[0] = bytes(i);
                        return true;
                    }
                    return false;
                });
                attrs.put(key[0], value[0]);
                return true;
            }
            String v = str(in, "node field " + f);
            if (f == 1) {
                s[0] = v;
            } else if (f == 2) {
                s[1] = v;
            } else if (f == 3 && !v.startsWith("^")) {
                inputs.add(node(v));
            }
            return true;
        });
        return new Node(s[0], s[1], inputs, attrs);
    }

    /** The node a tensor name refers to: {@code n}, {@code n:0}, {@code n:output:0}. */
    private static String node(String tensor) {
        int c = tensor.indexOf(':');
        return c < 0 ? tensor : tensor.substring(0, c);
    }

    // ------------------------------------------------------------------ judging

    private void judge(List<Scope> scopes) {
        Map<String, Scope> functions = new HashMap<>();
        for (Scope s : scopes) {
            if (!s.label().isEmpty()) {
                functions.putIfAbsent(s.label(), s);
            }
        }
        // which argument positions of each function reach a path input (to a fixed point)
        Map<String, Set<Integer>> pathArgs = new HashMap<>();
        for (boolean changed = true; changed;) {
            changed = false;
            for (Scope s : functions.values()) {
                Set<Integer> now = new HashSet<>();
                for (Node n : s.nodes().values()) {
                    for (String path : pathInputs(n, functions, pathArgs)) {
                        Trace t = trace(s, path, 0);
                        for (String a : t.callers) {
                            int i = s.args().indexOf(a);
                            if (i >= 0) {
                                now.add(i);
                            }
                        }
                    }
                }
                if (!now.equals(pathArgs.getOrDefault(s.label(), Set.of()))) {
                    pathArgs.put(s.label(), now);
                    changed = true;
                }
            }
        }
        for (Scope s : scopes) {
            String prefix = s.label().isEmpty() ? "" : "function " + s.label() + ": ";
            for (Node n : s.nodes().values()) {
                judge(s, n, prefix, functions, pathArgs);
            }
        }
    }

    private void judge(Scope s, Node n, String prefix, Map<String, Scope> functions, Map<String, Set<Integer>> pathArgs) {
        String where = prefix + "node '" + n.name() + "'";
        String callee = callee(n, functions);
        if (callee != null) {
            for (int i : pathArgs.getOrDefault(callee, Set.of())) {
                if (i < n.inputs().size()) {
                    Trace t = trace(s, n.inputs().get(i), 0);
                    if (!t.constants.isEmpty()) {
                        out.add(new Problem(Kind.RISKY_OP, Severity.MALICIOUS, where, "passes the fixed path '"
                                + String.join("', '", t.constants) + "' to function " + callee + ", which opens it as a file"));
                    }
                }
            }
            return;
        }
        if (n.op().isEmpty()) {
            return;
        }
        TfOps.Row r = TfOps.ROWS.get(n.op());
        if (r == null) {
            out.add(new Problem(Kind.RISKY_OP, Severity.NOTICE, where, "op " + n.op()
                    + " is not registered in TensorFlow 2.21 (a custom op: loading needs its native library)"));
            return;
        }
        Severity sev = r.severity();
        String detail = "";
        switch (r.cond()) {
            case NONE -> {
            }
            case INPUT -> {
                Set<String> constants = new LinkedHashSet<>();
                String computed = null;
                boolean fromCaller = false;
                for (int i : r.inputs()) {
                    if (i < n.inputs().size()) {
                        Trace t = trace(s, n.inputs().get(i), 0);
                        constants.addAll(t.constants);
                        computed = computed == null ? t.computedBy : computed;
                        fromCaller |= !t.callers.isEmpty() || !t.emptyConstant;
                    } else {
                        fromCaller = true; // no such input: TensorFlow refuses the node
                    }
                }
                if (!constants.isEmpty()) {
                    detail = " (path fixed in the graph: '" + String.join("', '", constants) + "')";
                } else if (computed != null) {
                    sev = Severity.SUSPICIOUS.atLeast(sev) ? sev : Severity.SUSPICIOUS;
                    detail = " (path computed by op " + computed + ")";
                } else if (fromCaller) {
                    sev = r.otherwise();
                    detail = " (path from the caller)";
                } else {
                    sev = Severity.SAFE; // only empty strings: no file (an in-memory cache)
                }
            }
            default -> {
                List<String> values = attrStrings(n.attrs().get(r.attr()));
                boolean holds = switch (r.cond()) {
                    case ATTR_PREFIX -> values.stream().anyMatch(v -> v.startsWith(r.prefixes().get(0)));
                    case ATTR_NOT_PREFIX -> values.stream().anyMatch(v -> !v.isEmpty()
                            && r.prefixes().stream().noneMatch(v::startsWith));
                    default -> values.stream().anyMatch(v -> !v.isEmpty());
                };
                if (holds) {
                    detail = " (" + r.attr() + " = '" + String.join("', '", values) + "')";
                } else {
                    sev = r.otherwise();
                }
            }
        }
        if (sev != Severity.SAFE) {
            out.add(new Problem(Kind.RISKY_OP, sev, where, "op " + n.op() + " " + r.what() + detail));
        }
    }

    /** The library function a node calls (its op, or the {@code f} attribute of a call op), or null. */
    private static String callee(Node n, Map<String, Scope> functions) {
        if (functions.containsKey(n.op())) {
            return n.op();
        }
        if (CALLS.contains(n.op()) && n.attrs().containsKey("f")) {
            String[] name = {null};
            fieldsQuiet(n.attrs().get("f"), (f, w, in) -> {
                if (f == 10 && w == WireFormat.WIRETYPE_LENGTH_DELIMITED) {
                    fieldsQuiet(in.readByteArray(), (g, x, i) -> {
                        if (g == 1 && x == WireFormat.WIRETYPE_LENGTH_DELIMITED) {
                            name[0] = i.readStringRequireUtf8();
                            return true;
                        }
                        return false;
                    });
                    return true;
                }
                return false;
            });
            return name[0] != null && functions.containsKey(name[0]) ? name[0] : null;
        }
        return null;
    }

    /** The inputs of a node that carry a path: by its op's row, or by the function it calls. */
    private static List<String> pathInputs(Node n, Map<String, Scope> functions, Map<String, Set<Integer>> pathArgs) {
        List<String> out = new ArrayList<>();
        String callee = callee(n, functions);
        if (callee != null) {
            for (int i : pathArgs.getOrDefault(callee, Set.of())) {
                if (i < n.inputs().size()) {
                    out.add(n.inputs().get(i));
                }
            }
            return out;
        }
        TfOps.Row r = TfOps.ROWS.get(n.op());
        if (r != null && r.cond() == TfOps.Cond.INPUT) {
            for (int i : r.inputs()) {
                if (i < n.inputs().size()) {
                    out.add(n.inputs().get(i));
                }
            }
        }
        return out;
    }

    /** Where a path tensor comes from: constants of the graph, the caller, or another op. */
    private static final class Trace {
        final Set<String> constants = new LinkedHashSet<>();
        final Set<String> callers = new LinkedHashSet<>();
        boolean emptyConstant;
        String computedBy;
    }

    private static Trace trace(Scope s, String name, int depth) {
        Trace t = new Trace();
        trace(s, name, depth, t, new HashSet<>());
        return t;
    }

    private static void trace(Scope s, String name, int depth, Trace t, Set<String> seen) {
        if (!seen.add(name) || depth > MAX_TRACE) {
            return;
        }
        if (s.args().contains(name) || s.fed().contains(name)) {
            t.callers.add(name);
            return;
        }
        Node n = s.nodes().get(name);
        if (n == null) {
            t.callers.add(name); // not in this graph: TensorFlow refuses the import
            return;
        }
        List<String> in = n.inputs();
        switch (n.op()) {
            case "Const", "HostConst" -> {
                for (String v : constStrings(n.attrs().get("value"))) {
                    if (!v.isEmpty()) {
                        t.constants.add(v);
                    } else {
                        t.emptyConstant = true;
                    }
                }
            }
            case "Placeholder", "_Arg" -> t.callers.add(name);
            case "PlaceholderWithDefault" -> {
                t.callers.add(name);
                follow(s, in, 0, 1, depth, t, seen);
            }
            case "Identity", "Snapshot", "StopGradient", "StringJoin", "ShardedFilename", "ShardedFilespec" ->
                follow(s, in, 0, 1, depth, t, seen);
            case "IdentityN", "Pack" -> follow(s, in, 0, in.size(), depth, t, seen);
            case "Select", "SelectV2" -> follow(s, in, 1, 3, depth, t, seen);
            default -> t.computedBy = t.computedBy == null ? n.op() : t.computedBy;
        }
    }

    private static void follow(Scope s, List<String> in, int from, int to, int depth, Trace t, Set<String> seen) {
        for (int i = from; i < Math.min(to, in.size()); i++) {
            trace(s, in.get(i), depth + 1, t, seen);
        }
    }

    /** The string values of a Const's {@code value} (AttrValue.tensor = 8, TensorProto.string_val = 8). */
    private static List<String> constStrings(byte[] attr) {
        List<String> out = new ArrayList<>();
        if (attr != null) {
            nestedStrings(attr, 8, 8, out);
        }
        return out;
    }

    /** The strings of an attribute: AttrValue.s = 2, or AttrValue.list = 1 with ListValue.s = 2. */
    private static List<String> attrStrings(byte[] attr) {
        List<String> out = new ArrayList<>();
        if (attr != null) {
            strings(attr, 2, out);
            nestedStrings(attr, 1, 2, out);
        }
        return out;
    }

    /** Adds the text of every length-delimited field {@code field} of {@code msg}. */
    private static void strings(byte[] msg, int field, List<String> out) {
        fieldsQuiet(msg, (f, w, in) -> {
            if (f == field && w == WireFormat.WIRETYPE_LENGTH_DELIMITED) {
                out.add(lenient(in.readByteArray()));
                return true;
            }
            return false;
        });
    }

    /** Adds the text of the fields {@code inner} of every submessage in field {@code outer} of {@code msg}. */
    private static void nestedStrings(byte[] msg, int outer, int inner, List<String> out) {
        fieldsQuiet(msg, (f, w, in) -> {
            if (f == outer && w == WireFormat.WIRETYPE_LENGTH_DELIMITED) {
                strings(in.readByteArray(), inner, out);
                return true;
            }
            return false;
        });
    }

    // ------------------------------------------------------------------ wire format

    interface Field {
        /** Reads field {@code f} and returns true, or returns false to have it skipped. */
        boolean on(int f, int wire, CodedInputStream in) throws IOException;
    }

    /** Walks the fields of a message; a corrupt wire format ends the message and is recorded. */
    private void fields(byte[] b, String what, Field h) {
        try {
            each(b, h);
        } catch (IOException | RuntimeException e) {
            refusals.add("corrupt wire format in " + what + ": " + e.getMessage());
        }
    }

    private static void fieldsQuiet(byte[] b, Field h) {
        try {
            each(b, h);
        } catch (IOException | RuntimeException e) {
            // the whole message was walked by fields() already, which recorded the problem
        }
    }

    private static void each(byte[] b, Field h) throws IOException {
        CodedInputStream in = CodedInputStream.newInstance(b);
        in.pushLimit(b.length); // so that bytes() sees how much is left
        int tag;
        while ((tag = in.readTag()) != 0) {
            if (!h.on(WireFormat.getTagFieldNumber(tag), WireFormat.getTagWireType(tag), in)) {
                in.skipField(tag);
            }
        }
    }

    /**
     * A length-delimited field; one that runs past the end is cut there and recorded (TensorFlow
     * refuses a truncated file), so that a lenient walk reads what is there.
     */
    private byte[] bytes(CodedInputStream in) throws IOException {
        int len = in.readRawVarint32();
        int rest = in.getBytesUntilLimit();
        if (len < 0 || len > rest) {
            refusals.add("a length-delimited field runs past the end of its message (truncated)");
            return in.readRawBytes(Math.max(0, rest));
        }
        return in.readRawBytes(len);
    }

    /** A proto3 string field: invalid UTF-8 makes TensorFlow refuse the file; decoded with replacement. */
    private String str(CodedInputStream in, String what) throws IOException {
        byte[] b = bytes(in);
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(b)).toString();
        } catch (CharacterCodingException e) {
            refusals.add("invalid UTF-8 in a string field (" + what + ")");
            return lenient(b);
        }
    }

    private static String lenient(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }
}
