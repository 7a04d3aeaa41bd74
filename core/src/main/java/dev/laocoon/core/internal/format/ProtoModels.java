package dev.laocoon.core.internal.format;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.WireFormat;
import dev.laocoon.core.finding.Severity;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
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
        static final Set<String> ONNX_DOMAINS;

        static {
            Set<String> d = new java.util.HashSet<>();
            for (String l : Tables.lines("onnx-domains.txt")) {
                d.add(l.equals("(default)") ? "" : l);
            }
            ONNX_DOMAINS = Set.copyOf(d);
        }

        private Known() {
        }
    }

    /** What a problem is: each kind is reported under its own rule. */
    public enum Kind {
        RISKY_OP, EXTERNAL_DATA_ESCAPE, CUSTOM_DOMAIN, LIMIT,
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

    /** Problems in an ONNX ModelProto, or null when the bytes are not one. */
    public static List<Problem> onnx(byte[] b) {
        List<Problem> out = new ArrayList<>();
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
                            domain = op.readStringRequireUtf8();
                        } else {
                            op.skipField(t);
                        }
                    }
                    if (!Known.ONNX_DOMAINS.contains(domain)) {
                        out.add(new Problem(Kind.CUSTOM_DOMAIN, Severity.SUSPICIOUS, "opset_import", "imports operator set '" + domain
                                + "', which needs a custom operator library"));
                    }
                } else if (!in.skipField(tag)) {
                    break;
                }
            }
            return graph && irVersion ? out : null;
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    private static void onnxGraph(byte[] b, List<Problem> out, int depth) throws IOException {
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
            } else if ((f == 5 || f == 15) && isBytes(tag)) {
                onnxTensor(in.readByteArray(), out);
            } else {
                in.skipField(tag);
            }
        }
    }

    private static void onnxFunction(byte[] b, List<Problem> out, int depth) throws IOException {
        CodedInputStream in = CodedInputStream.newInstance(b);
        int tag;
        while ((tag = in.readTag()) != 0) {
            if (WireFormat.getTagFieldNumber(tag) == 7 && isBytes(tag)) {
                onnxNode(in.readByteArray(), out, depth);
            } else {
                in.skipField(tag);
            }
        }
    }

    private static void onnxNode(byte[] b, List<Problem> out, int depth) throws IOException {
        CodedInputStream in = CodedInputStream.newInstance(b);
        String name = "";
        String op = "";
        String domain = "";
        List<byte[]> attrs = new ArrayList<>();
        int tag;
        while ((tag = in.readTag()) != 0) {
            int f = WireFormat.getTagFieldNumber(tag);
            if (f == 3 && isBytes(tag)) {
                name = in.readStringRequireUtf8();
            } else if (f == 4 && isBytes(tag)) {
                op = in.readStringRequireUtf8();
            } else if (f == 7 && isBytes(tag)) {
                domain = in.readStringRequireUtf8();
            } else if (f == 5 && isBytes(tag)) {
                attrs.add(in.readByteArray());
            } else {
                in.skipField(tag);
            }
        }
        if (!Known.ONNX_DOMAINS.contains(domain)) {
            out.add(new Problem(Kind.CUSTOM_DOMAIN, Severity.SUSPICIOUS, "node '" + name + "'", "operator " + op + " from domain '" + domain
                    + "' needs a custom operator library"));
        }
        for (byte[] a : attrs) {
            CodedInputStream ai = CodedInputStream.newInstance(a);
            while ((tag = ai.readTag()) != 0) {
                int f = WireFormat.getTagFieldNumber(tag);
                if ((f == 6 || f == 11) && isBytes(tag)) {
                    onnxGraph(ai.readByteArray(), out, depth + 1);
                } else if ((f == 5 || f == 10) && isBytes(tag)) {
                    onnxTensor(ai.readByteArray(), out);
                } else {
                    ai.skipField(tag);
                }
            }
        }
    }

    private static void onnxTensor(byte[] b, List<Problem> out) throws IOException {
        CodedInputStream in = CodedInputStream.newInstance(b);
        String name = "";
        List<String> locations = new ArrayList<>();
        int tag;
        while ((tag = in.readTag()) != 0) {
            int f = WireFormat.getTagFieldNumber(tag);
            if (f == 8 && isBytes(tag)) {
                name = in.readStringRequireUtf8();
            } else if (f == 13 && isBytes(tag)) {
                CodedInputStream kv = CodedInputStream.newInstance(in.readByteArray());
                String key = "";
                String value = "";
                int t;
                while ((t = kv.readTag()) != 0) {
                    int g = WireFormat.getTagFieldNumber(t);
                    if (g == 1 && isBytes(t)) {
                        key = kv.readStringRequireUtf8();
                    } else if (g == 2 && isBytes(t)) {
                        value = kv.readStringRequireUtf8();
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
            boolean absolute = norm.startsWith("/") || norm.matches("(?i)^[a-z]:.*") || norm.startsWith("~");
            boolean escapes = false;
            int level = 0;
            for (String part : norm.split("/")) {
                if (part.equals("..")) {
                    level--;
                    escapes |= level < 0;
                } else if (!part.isEmpty() && !part.equals(".")) {
                    level++;
                }
            }
            if (absolute || escapes) {
                out.add(new Problem(Kind.EXTERNAL_DATA_ESCAPE, Severity.MALICIOUS, "tensor '" + name + "'", "external data location '" + loc
                        + "' leaves the model's folder"));
            } else {
                out.add(new Problem(Kind.EXTERNAL_DATA, Severity.SAFE, "tensor '" + name + "'", norm));
            }
        }
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
