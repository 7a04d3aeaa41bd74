package dev.laocoon.core.internal.format;

import dev.laocoon.core.finding.Severity;
import dev.laocoon.core.kb.KnowledgeBase;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Walks a Keras model config (the {@code model_config} attribute of an H5 file, or
 * {@code config.json} of a {@code .keras} archive), nested models included. {@code Lambda}
 * layers and {@code __lambda__} functions carry marshalled Python bytecode and are malicious;
 * the names and constants in that bytecode are shown as evidence (decoded, never run).
 * Objects whose module is not Keras or TensorFlow, and function references, are judged by the
 * knowledge base; custom registered objects are notices. Locations are JSON pointers.
 */
public final class KerasConfigCheck {
    /** What a problem is: each kind is reported under its own rule. */
    public enum Kind { LAMBDA, MALFORMED, FOREIGN_OBJECT }

    /**
     * A problem at a JSON pointer; {@code severity} is graded by the knowledge base for foreign
     * objects. {@code payload}, when not null, is an embedded file the loader deserializes
     * (decoded here), for the caller to analyse.
     */
    public record Problem(Kind kind, Severity severity, String pointer, String message, String evidence, byte[] payload) {
        public Problem(Kind kind, Severity severity, String pointer, String message, String evidence) {
            this(kind, severity, pointer, message, evidence, null);
        }
    }

    /** A row of kb/keras-layers.txt: the class, its severity, its condition and key, why. */
    private record Layer(Severity severity, String condition, String key, String why) {
    }

    /** Read on first use (a holder class). */
    private static final class Layers {
        static final Map<String, Layer> ROWS = new java.util.HashMap<>();

        static {
            for (String l : Tables.lines("keras-layers.txt")) {
                String[] w = l.split(" ", 4);
                if (w.length != 4 || !(w[2].equals("always") || w[2].startsWith("path=") || w[2].startsWith("pickle=")
                        || w[2].startsWith("tfsymbol="))) {
                    throw new IllegalStateException("keras-layers.txt: bad line '" + l + "'");
                }
                int eq = w[2].indexOf('=');
                ROWS.put(w[0], new Layer(Severity.parse(w[1]), eq < 0 ? w[2] : w[2].substring(0, eq),
                        eq < 0 ? "" : w[2].substring(eq + 1), w[3]));
            }
        }

        /** Class names Keras 3.15 resolves in its own modules (kb/keras-classes.txt). */
        static final Set<String> CLASSES = new java.util.HashSet<>();

        static {
            for (String l : Tables.lines("keras-classes.txt")) {
                CLASSES.add(l.split(" ", 2)[0]);
            }
        }

        private Layers() {
        }
    }

    /** Packages besides keras whose modules Keras 3.15 imports (serialization_lib.py:880-891). */
    private static final Set<String> KERAS_PACKAGES = Set.of("keras_hub", "keras_cv", "keras_nlp");

    private KerasConfigCheck() {
    }

    public static List<Problem> check(String configJson, KnowledgeBase kb) {
        List<Problem> out = new ArrayList<>();
        Object root;
        try {
            // json.loads(bytes), as Keras reads config.json from the archive, skips a UTF-8 BOM
            root = JsonTree.parse(configJson.startsWith("\ufeff") ? configJson.substring(1) : configJson);
        } catch (IOException | RuntimeException e) {
            out.add(new Problem(Kind.MALFORMED, Severity.SUSPICIOUS, "", "model config is not valid JSON", ""));
            return out;
        }
        walk(root, "", kb, out);
        return out;
    }

    private static void walk(Object n, String ptr, KnowledgeBase kb, List<Problem> out) {
        if (n instanceof Map<?, ?> m) {
            object(m, ptr, kb, out);
            for (Map.Entry<?, ?> e : m.entrySet()) {
                walk(e.getValue(), ptr + "/" + ((String) e.getKey()).replace("~", "~0").replace("/", "~1"), kb, out);
            }
        } else if (n instanceof List<?> l) {
            for (int i = 0; i < l.size(); i++) {
                walk(l.get(i), ptr + "/" + i, kb, out);
            }
        }
    }

    private static void object(Map<?, ?> n, String ptr, KnowledgeBase kb, List<Problem> out) {
        if (!(n.get("class_name") instanceof String className)) {
            return;
        }
        String module = JsonTree.text(n.get("module"), "");
        Object config = n.get("config");
        if (className.equals("Lambda")) {
            // Keras 2: config.function = [base64 marshal, defaults, closure]; Keras 3: a __lambda__ object
            String code = null;
            if (JsonTree.get(config, "function") instanceof List<?> f && !f.isEmpty() && f.get(0) instanceof String c) {
                code = c;
            }
            out.add(new Problem(Kind.LAMBDA, Severity.MALICIOUS, ptr, "Lambda layer: loading it rebuilds and runs Python bytecode",
                    code == null ? "" : names(code)));
            return;
        }
        if (className.equals("__lambda__")) {
            String code = config == null ? null : JsonTree.text(JsonTree.get(config, "code"), null);
            out.add(new Problem(Kind.LAMBDA, Severity.MALICIOUS, ptr, "__lambda__ function: marshalled Python bytecode",
                    code == null ? "" : names(code)));
            return;
        }
        Layer layer = Layers.ROWS.get(className);
        if (layer != null) {
            layer(className, layer, config, ptr, out);
        }
        boolean keras = module.isEmpty() || module.equals("keras") || module.startsWith("keras.")
                || module.equals("tensorflow") || module.startsWith("tensorflow.") || module.startsWith("tf_keras");
        if (className.equals("function") && config instanceof String fn) {
            judge(module.isEmpty() ? fn : module + "." + fn, ptr, kb, out, "function reference");
            return;
        }
        boolean registered = n.get("registered_name") instanceof String reg && !reg.isEmpty() && !reg.equals(className)
                && !reg.startsWith("keras");
        if (keras && (module.equals("keras") || module.startsWith("keras.")) && layer == null
                && !Layers.CLASSES.contains(className) && !className.equals("function")) {
            out.add(new Problem(Kind.FOREIGN_OBJECT, Severity.NOTICE, ptr, "class " + module + "." + className
                    + " is not a Keras 3.15 class (kb/keras-classes.txt): Keras resolves it only if it is registered", ""));
        }
        if (!keras && KERAS_PACKAGES.contains(module.split("\\.", 2)[0])) {
            // Keras 3.15 imports these packages' modules and accepts only KerasSaveable subclasses from them
            out.add(new Problem(Kind.FOREIGN_OBJECT, Severity.NOTICE, ptr, "object " + module + "." + className
                    + " from " + module.split("\\.", 2)[0] + ": loading needs that library (Keras accepts only its saveable classes)",
                    module + "." + className));
        } else if (!keras) {
            // Keras 3 resolves a class through the registry by registered_name first
            // (serialization_lib.py _retrieve_class_or_fn:818-829) and imports only keras, keras_hub,
            // keras_cv and keras_nlp modules (:880-897): a registered custom class is the user's own
            // code, a notice below, unless the knowledge base knows the module's name as dangerous.
            KnowledgeBase.Entry e = registered ? kb.lookup(kb.canonical(module + "." + className)) : null;
            if (!registered || e != null && e.severity().atLeast(Severity.SUSPICIOUS)) {
                judge(module + "." + className, ptr, kb, out, "object from module " + module);
            }
        }
        if (registered && n.get("registered_name") instanceof String reg) {
            out.add(new Problem(Kind.FOREIGN_OBJECT, Severity.NOTICE, ptr, "custom registered object '" + reg
                    + "': loading needs user code registered under that name", ""));
        }
    }

    private static void layer(String className, Layer layer, Object config, String ptr, List<Problem> out) {
        Object value = layer.key().isEmpty() ? null : JsonTree.get(config, layer.key());
        switch (layer.condition()) {
            case "always" -> out.add(new Problem(Kind.FOREIGN_OBJECT, layer.severity(), ptr, className + " layer: " + layer.why(),
                    JsonTree.text(JsonTree.get(config, "filepath"), "")));
            case "path" -> {
                if (value instanceof String path) {
                    out.add(new Problem(Kind.FOREIGN_OBJECT, layer.severity(), ptr + "/config/" + layer.key(), className
                            + " layer: " + layer.why() + " ('" + path + "')", path));
                }
            }
            case "tfsymbol" -> {
                if (value instanceof String symbol) {
                    String[] judged = TfSymbols.judge(symbol);
                    Severity sev = Severity.parse(judged[0]);
                    if (sev != Severity.SAFE) {
                        out.add(new Problem(Kind.FOREIGN_OBJECT, sev, ptr + "/config/" + layer.key(), className + " layer: "
                                + layer.why() + ": tf." + symbol + " " + judged[1], "tf." + symbol));
                    }
                }
            }
            default -> {
                if (value instanceof String b64) {
                    byte[] bytes;
                    try {
                        // torch_utils.py: base64.b64decode(config["module"].encode("ascii"))
                        bytes = Base64.getMimeDecoder().decode(b64);
                    } catch (IllegalArgumentException e) {
                        bytes = null;
                    }
                    out.add(new Problem(Kind.FOREIGN_OBJECT, layer.severity(), ptr + "/config/" + layer.key(), className
                            + " layer: " + layer.why() + (bytes == null ? " (not valid base64: loading fails)" : ""), "", bytes));
                }
            }
        }
    }

    private static void judge(String path, String ptr, KnowledgeBase kb, List<Problem> out, String what) {
        KnowledgeBase.Entry e = kb.lookup(kb.canonical(path));
        Severity s = e == null ? Severity.SUSPICIOUS : e.severity();
        if (s == Severity.SAFE) {
            return;
        }
        out.add(new Problem(Kind.FOREIGN_OBJECT, s, ptr, what + " " + path + ": "
                + (e == null ? "not known to be safe; loading imports and calls it" : e.explanation()), path));
    }

    /** Names and string constants in a base64 marshalled code object, for evidence. */
    static String names(String b64) {
        byte[] b;
        try {
            b = Base64.getMimeDecoder().decode(b64);
        } catch (IllegalArgumentException e) {
            return "";
        }
        Set<String> found = new LinkedHashSet<>();
        for (int i = 0; i < b.length; i++) {
            int t = b[i] & 0x7f; // the high bit marks a reference flag
            int len;
            int start;
            if ((t == 'z' || t == 'Z') && i + 1 < b.length) {
                len = b[i + 1] & 0xff;
                start = i + 2;
            } else if ((t == 'a' || t == 'A' || t == 'u' || t == 't' || t == 's') && i + 4 < b.length) {
                len = (b[i + 1] & 0xff) | (b[i + 2] & 0xff) << 8 | (b[i + 3] & 0xff) << 16 | (b[i + 4] & 0xff) << 24;
                start = i + 5;
            } else {
                continue;
            }
            if (len < 2 || len > 200 || start + len > b.length) {
                continue;
            }
            boolean printable = true;
            for (int k = start; k < start + len; k++) {
                if (b[k] < 0x20 || b[k] > 0x7e) {
                    printable = false;
                    break;
                }
            }
            if (printable) {
                found.add(new String(b, start, len, java.nio.charset.StandardCharsets.US_ASCII));
                i = start + len - 1;
            }
        }
        return found.isEmpty() ? "" : "bytecode uses " + String.join(", ", found);
    }
}
