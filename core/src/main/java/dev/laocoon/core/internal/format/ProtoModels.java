package dev.laocoon.core.internal.format;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.WireFormat;
import dev.laocoon.core.finding.Severity;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * ONNX models and TensorFlow SavedModels, decoded with protobuf-java's CodedInputStream and the
 * formats' field numbers (no generated classes). Only what the checks need is read: ONNX nodes
 * (in the graph, in subgraph attributes and in functions), their domains, and initializers'
 * external data locations; SavedModel graph nodes and function-library nodes and their ops.
 */
public final class ProtoModels {
    private static final int MAX_DEPTH = 64;
    /** Read on first use (a holder class): most files are not protobuf models. */
    private static final class Known {
        /** ONNX operator domains a stock runtime implements (safe) or older ones knew (notice): domain to severity. */
        static final Map<String, Severity> ONNX_DOMAINS;

        static {
            Map<String, Severity> d = new java.util.HashMap<>();
            for (String l : Tables.lines("onnx-domains.txt")) {
                String[] w = l.split(" ", 3);
                if (w.length != 3) {
                    throw new IllegalStateException("onnx-domains.txt: bad line '" + l + "'");
                }
                d.put(w[0].equals("(default)") ? "" : w[0], Severity.parse(w[1]));
            }
            ONNX_DOMAINS = Map.copyOf(d);
        }

        private Known() {
        }
    }

    /** What a problem is: each kind is reported under its own rule. */
    public enum Kind {
        RISKY_OP,
        /** A SavedModel asset file name that leaves the assets folder. */
        ASSET_ESCAPE,
        EXTERNAL_DATA_ESCAPE, CUSTOM_DOMAIN, LIMIT,
        /** The file is not what the loader parses, or has fields the loader skips. */
        MALFORMED,
        /** Not a problem: a tensor's external data file inside the model's folder ({@code message} is its location). */
        EXTERNAL_DATA
    }

    /** A problem: its kind, its severity, where (node name, tensor name), what. */
    public record Problem(Kind kind, Severity severity, String where, String message) {
    }

    private ProtoModels() {
    }

    // ------------------------------------------------------------------ ONNX

    /**
     * An ONNX walk's findings, the operator domains it met (domain, op type or null for an
     * opset_import, where) and the model-local functions it defined ("domain\0name"), judged at the end.
     */
    private static final class Walk extends ArrayList<Problem> {
        final List<String[]> domains = new ArrayList<>();
        final java.util.Set<String> functions = new java.util.HashSet<>();
        final java.util.Set<String> functionDomains = new java.util.HashSet<>();
    }

    /** Problems in an ONNX ModelProto, or null when the bytes are not one. */
    public static List<Problem> onnx(byte[] b) {
        Walk out = new Walk();
        try {
            CodedInputStream in = CodedInputStream.newInstance(b);
            boolean graph = false;
            boolean irVersion = false;
            int tag;
            while ((tag = in.readTag()) != 0) {
                int f = WireFormat.getTagFieldNumber(tag);
                if (f == 1 && WireFormat.getTagWireType(tag) == WireFormat.WIRETYPE_VARINT) {
                    in.readInt64();
                    irVersion = true;
                } else if (f == 7 && WireFormat.getTagWireType(tag) == WireFormat.WIRETYPE_LENGTH_DELIMITED) {
                    graph = true;
                    onnxGraph(in.readByteArray(), out, 0);
                } else if (f == 25 && WireFormat.getTagWireType(tag) == WireFormat.WIRETYPE_LENGTH_DELIMITED) {
                    onnxFunction(in.readByteArray(), out, 0);
                } else if (f == 8 && WireFormat.getTagWireType(tag) == WireFormat.WIRETYPE_LENGTH_DELIMITED) {
                    // opset_import: OperatorSetIdProto { domain = 1; version = 2 }
                    CodedInputStream op = CodedInputStream.newInstance(in.readByteArray());
                    String domain = "";
                    int t;
                    while ((t = op.readTag()) != 0) {
                        if (WireFormat.getTagFieldNumber(t) == 1 && isBytes(t)) {
                            domain = text(op);
                        } else {
                            op.skipField(t);
                        }
                    }
                    out.domains.add(new String[] {domain, null, "opset_import"});
                } else if (!in.skipField(tag)) {
                    break;
                }
            }
            if (!(graph && irVersion)) {
                return null;
            }
        } catch (IOException | RuntimeException e) {
            return null;
        }
        for (String[] d : out.domains) {
            // a model-local function (ModelProto.functions) is called as op type = its name in its domain
            if (d[1] == null ? out.functionDomains.contains(d[0]) : out.functions.contains(d[0] + "\0" + d[1])) {
                continue;
            }
            Severity s = Known.ONNX_DOMAINS.getOrDefault(d[0], Severity.SUSPICIOUS);
            if (s == Severity.SAFE) {
                continue;
            }
            String why = s == Severity.NOTICE ? "a domain of older or exporter-specific runtimes"
                    : "which needs a custom operator library";
            out.add(new Problem(Kind.CUSTOM_DOMAIN, s, d[2], (d[1] == null ? "imports operator set '" + d[0] + "'"
                    : "operator " + d[1] + " from domain '" + d[0] + "'") + ", " + why));
        }
        return new ArrayList<>(out);
    }

    private static void onnxGraph(byte[] b, Walk out, int depth) throws IOException {
        if (depth > MAX_DEPTH) {
            out.add(new Problem(Kind.LIMIT, Severity.SUSPICIOUS, "graph", "subgraphs nested deeper than " + MAX_DEPTH));
            return;
        }
        CodedInputStream in = CodedInputStream.newInstance(b);
        int tag;
        while ((tag = in.readTag()) != 0) {
            int f = WireFormat.getTagFieldNumber(tag);
            if (f == 1 && isBytes(tag)) {
                onnxNode(in.readByteArray(), out, depth);
            } else if (f == 5 && isBytes(tag)) {
                onnxTensor(in.readByteArray(), out);
            } else if (f == 15 && isBytes(tag)) {
                onnxSparse(in.readByteArray(), out); // sparse_initializer
            } else {
                in.skipField(tag);
            }
        }
    }

    /** SparseTensorProto: values = 1 and indices = 2 are TensorProtos, each may have external data. */
    private static void onnxSparse(byte[] b, Walk out) throws IOException {
        CodedInputStream in = CodedInputStream.newInstance(b);
        int tag;
        while ((tag = in.readTag()) != 0) {
            int f = WireFormat.getTagFieldNumber(tag);
            if ((f == 1 || f == 2) && isBytes(tag)) {
                onnxTensor(in.readByteArray(), out);
            } else {
                in.skipField(tag);
            }
        }
    }

    /** FunctionProto: name = 1, node = 7, domain = 10. */
    private static void onnxFunction(byte[] b, Walk out, int depth) throws IOException {
        CodedInputStream in = CodedInputStream.newInstance(b);
        String name = "";
        String domain = "";
        int tag;
        while ((tag = in.readTag()) != 0) {
            int f = WireFormat.getTagFieldNumber(tag);
            if (f == 7 && isBytes(tag)) {
                onnxNode(in.readByteArray(), out, depth);
            } else if (f == 1 && isBytes(tag)) {
                name = text(in);
            } else if (f == 10 && isBytes(tag)) {
                domain = text(in);
            } else {
                in.skipField(tag);
            }
        }
        out.functions.add(domain + "\0" + name);
        out.functionDomains.add(domain);
    }

    private static void onnxNode(byte[] b, Walk out, int depth) throws IOException {
        CodedInputStream in = CodedInputStream.newInstance(b);
        String name = "";
        String op = "";
        String domain = "";
        List<byte[]> attrs = new ArrayList<>();
        int tag;
        while ((tag = in.readTag()) != 0) {
            int f = WireFormat.getTagFieldNumber(tag);
            if (f == 3 && isBytes(tag)) {
                name = text(in);
            } else if (f == 4 && isBytes(tag)) {
                op = text(in);
            } else if (f == 7 && isBytes(tag)) {
                domain = text(in);
            } else if (f == 5 && isBytes(tag)) {
                attrs.add(in.readByteArray());
            } else {
                in.skipField(tag);
            }
        }
        out.domains.add(new String[] {domain, op, "node '" + name + "'"});
        for (byte[] a : attrs) {
            // AttributeProto: t = 5, g = 6, tensors = 10, graphs = 11, sparse_tensor = 22, sparse_tensors = 23
            CodedInputStream ai = CodedInputStream.newInstance(a);
            while ((tag = ai.readTag()) != 0) {
                int f = WireFormat.getTagFieldNumber(tag);
                if ((f == 6 || f == 11) && isBytes(tag)) {
                    onnxGraph(ai.readByteArray(), out, depth + 1);
                } else if ((f == 5 || f == 10) && isBytes(tag)) {
                    onnxTensor(ai.readByteArray(), out);
                } else if ((f == 22 || f == 23) && isBytes(tag)) {
                    onnxSparse(ai.readByteArray(), out);
                } else {
                    ai.skipField(tag);
                }
            }
        }
    }

    /**
     * An ONNX string (proto2): onnx (protobuf upb) keeps invalid UTF-8 as bytes and onnxruntime
     * uses the raw bytes as a path, so invalid sequences are replaced here (U+FFFD), never skipped:
     * the ASCII '.', '/' and '\\' around them stay, and a traversal stays visible.
     */
    private static String text(CodedInputStream in) throws IOException {
        return new String(in.readByteArray(), java.nio.charset.StandardCharsets.UTF_8);
    }

    private static void onnxTensor(byte[] b, Walk out) throws IOException {
        CodedInputStream in = CodedInputStream.newInstance(b);
        String name = "";
        List<String> locations = new ArrayList<>();
        int tag;
        while ((tag = in.readTag()) != 0) {
            int f = WireFormat.getTagFieldNumber(tag);
            if (f == 8 && isBytes(tag)) {
                name = text(in);
            } else if (f == 13 && isBytes(tag)) {
                CodedInputStream kv = CodedInputStream.newInstance(in.readByteArray());
                String key = "";
                String value = "";
                int t;
                while ((t = kv.readTag()) != 0) {
                    int g = WireFormat.getTagFieldNumber(t);
                    if (g == 1 && isBytes(t)) {
                        key = text(kv);
                    } else if (g == 2 && isBytes(t)) {
                        value = text(kv);
                    } else {
                        kv.skipField(t);
                    }
                }
                if (key.equals("location")) {
                    locations.add(value);
                }
            } else {
                in.skipField(tag);
            }
        }
        for (String loc : locations) {
            String norm = loc.replace('\\', '/');
            if (leavesFolder(loc)) {
                out.add(new Problem(Kind.EXTERNAL_DATA_ESCAPE, Severity.MALICIOUS, "tensor '" + name + "'", "external data location '" + loc
                        + "' leaves the model's folder"));
            } else {
                out.add(new Problem(Kind.EXTERNAL_DATA, Severity.SAFE, "tensor '" + name + "'", norm));
            }
        }
    }

    /** True when a relative file name is absolute (POSIX, Windows drive, home) or climbs out with "..". */
    static boolean leavesFolder(String loc) {
        String norm = loc.replace('\\', '/');
        boolean absolute = norm.startsWith("/") || norm.matches("(?is)^[a-z]:.*") || norm.startsWith("~");
        int level = 0;
        for (String part : norm.split("/")) {
            if (part.equals("..")) {
                if (--level < 0) {
                    return true;
                }
            } else if (!part.isEmpty() && !part.equals(".")) {
                level++;
            }
        }
        return absolute;
    }

    // ------------------------------------------------------------------ TensorFlow SavedModel

    /** Problems in a SavedModel (saved_model.pb), or null when the bytes are not one ({@link SavedModels}). */
    public static List<Problem> savedModel(byte[] b) {
        return SavedModels.read(b);
    }

    // ------------------------------------------------------------------ keras_metadata.pb

    /**
     * The JSON metadata strings of a Keras SavedModel's {@code keras_metadata.pb}
     * (SavedMetadata: repeated SavedObject nodes = 1, each with metadata = 5), or null when the
     * bytes are not one.
     */
    public static List<String> kerasMetadata(byte[] b) {
        List<String> out = new ArrayList<>();
        try {
            CodedInputStream in = CodedInputStream.newInstance(b);
            int tag;
            while ((tag = in.readTag()) != 0) {
                if (WireFormat.getTagFieldNumber(tag) != 1 || !isBytes(tag)) {
                    return null;
                }
                CodedInputStream node = CodedInputStream.newInstance(in.readByteArray());
                int t;
                while ((t = node.readTag()) != 0) {
                    if (WireFormat.getTagFieldNumber(t) == 5 && isBytes(t)) {
                        String json = node.readStringRequireUtf8();
                        if (!json.startsWith("{")) {
                            return null;
                        }
                        out.add(json);
                    } else {
                        node.skipField(t);
                    }
                }
            }
            return out.isEmpty() ? null : out;
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    private static boolean isBytes(int tag) {
        return WireFormat.getTagWireType(tag) == WireFormat.WIRETYPE_LENGTH_DELIMITED;
    }
}
