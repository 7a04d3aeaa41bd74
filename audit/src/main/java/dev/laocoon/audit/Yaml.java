package dev.laocoon.audit;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.snakeyaml.engine.v2.api.LoadSettings;
import org.snakeyaml.engine.v2.api.lowlevel.Compose;
import org.snakeyaml.engine.v2.common.ScalarStyle;
import org.snakeyaml.engine.v2.nodes.MappingNode;
import org.snakeyaml.engine.v2.nodes.Node;
import org.snakeyaml.engine.v2.nodes.NodeTuple;
import org.snakeyaml.engine.v2.nodes.ScalarNode;
import org.snakeyaml.engine.v2.nodes.SequenceNode;

/**
 * YAML read as a node tree with line and column (SnakeYAML Engine's composer: no object is ever
 * constructed, no tag is ever honoured), and scalars interpreted by the rules of the consumer:
 * Kubernetes (sigs.k8s.io/yaml over go-yaml v2: YAML 1.1 booleans, {@code yes}, {@code on},
 * {@code y} are true) or GitHub Actions and GitLab (YAML 1.2 core: only {@code true}/{@code false};
 * the key {@code on} stays a string). Keys are compared as the strings they are written as.
 */
final class Yaml {
    /** Larger documents are refused (reported as not audited), as are alias bombs. */
    static final int MAX_CODE_POINTS = 8 * 1024 * 1024;

    private Yaml() {
    }

    /** Which rules a scalar is read with. */
    enum Rules { KUBERNETES, YAML_1_2 }

    /** A node with the path that leads to it ({@code spec.template.spec.containers[0].image}). */
    record Y(Node node, String path, Rules rules) {

        boolean isMap() {
            return node instanceof MappingNode;
        }

        boolean isSeq() {
            return node instanceof SequenceNode;
        }

        boolean isScalar() {
            return node instanceof ScalarNode s && !isNull(s);
        }

        /** The entry {@code key} of a mapping (null when this is no mapping or has no such key, or it is null). */
        Y get(String key) {
            if (!(node instanceof MappingNode m)) {
                return null;
            }
            Y found = null;
            for (NodeTuple t : m.getValue()) {
                if (t.getKeyNode() instanceof ScalarNode k && k.getValue().equals(key)) {
                    found = new Y(t.getValueNode(), path.isEmpty() ? key : path + "." + key, rules); // the last one wins
                }
            }
            if (found != null && found.node instanceof ScalarNode s && isNull(s)) {
                return null;
            }
            return found;
        }

        /** The key node of an entry, for findings about the key itself. */
        Y keyOf(String key) {
            if (node instanceof MappingNode m) {
                for (NodeTuple t : m.getValue()) {
                    if (t.getKeyNode() instanceof ScalarNode k && k.getValue().equals(key)) {
                        return new Y(k, path.isEmpty() ? key : path + "." + key, rules);
                    }
                }
            }
            return null;
        }

        boolean has(String key) {
            return keyOf(key) != null;
        }

        /** Keys of a mapping in order. */
        List<String> keys() {
            List<String> out = new ArrayList<>();
            if (node instanceof MappingNode m) {
                for (NodeTuple t : m.getValue()) {
                    if (t.getKeyNode() instanceof ScalarNode k) {
                        out.add(k.getValue());
                    }
                }
            }
            return out;
        }

        /** Items of a sequence (empty for anything else). */
        List<Y> items() {
            List<Y> out = new ArrayList<>();
            if (node instanceof SequenceNode s) {
                List<Node> v = s.getValue();
                for (int i = 0; i < v.size(); i++) {
                    out.add(new Y(v.get(i), path + "[" + i + "]", rules));
                }
            }
            return out;
        }

        /** A scalar's text (null for a collection or null). */
        String str() {
            return node instanceof ScalarNode s && !isNull(s) ? s.getValue() : null;
        }

        /** A scalar at key, or null. */
        String str(String key) {
            Y y = get(key);
            return y == null ? null : y.str();
        }

        boolean quoted() {
            return node instanceof ScalarNode s && s.getScalarStyle() != ScalarStyle.PLAIN;
        }

        /**
         * The boolean a plain scalar is under these rules, or null when it is not one (a quoted
         * {@code "yes"} is a string to Kubernetes: the API server refuses it where a boolean is due).
         */
        Boolean bool() {
            if (!(node instanceof ScalarNode s) || s.getScalarStyle() != ScalarStyle.PLAIN) {
                return null;
            }
            return boolOf(s.getValue(), rules);
        }

        /** True when the value looks like a boolean but is quoted: a string where a boolean is due. */
        boolean quotedBoolean() {
            return node instanceof ScalarNode s && s.getScalarStyle() != ScalarStyle.PLAIN
                    && boolOf(s.getValue(), Rules.KUBERNETES) != null;
        }

        int line() {
            return node.getStartMark().map(m -> m.getLine() + 1).orElse(1);
        }

        int column() {
            return node.getStartMark().map(m -> m.getColumn() + 1).orElse(1);
        }
    }

    static Boolean boolOf(String v, Rules rules) {
        if (rules == Rules.YAML_1_2) {
            return switch (v) {
                case "true", "True", "TRUE" -> Boolean.TRUE;
                case "false", "False", "FALSE" -> Boolean.FALSE;
                default -> null;
            };
        }
        // go-yaml v2's resolve table (YAML 1.1), which sigs.k8s.io/yaml and so kubectl and Helm use
        return switch (v) {
            case "y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON" -> Boolean.TRUE;
            case "n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF" -> Boolean.FALSE;
            default -> null;
        };
    }

    static boolean isNull(ScalarNode s) {
        if (s.getScalarStyle() != ScalarStyle.PLAIN) {
            return false;
        }
        String v = s.getValue();
        return v.isEmpty() || v.equals("~") || v.toLowerCase(Locale.ROOT).equals("null");
    }

    /** The documents of a stream (empty documents left out). Throws on a syntax error or a limit. */
    static List<Y> documents(String text, Rules rules) {
        LoadSettings settings = LoadSettings.builder().setCodePointLimit(MAX_CODE_POINTS).setMaxAliasesForCollections(50)
                .setAllowRecursiveKeys(false).setAllowDuplicateKeys(true).build();
        List<Y> out = new ArrayList<>();
        for (Node n : new Compose(settings).composeAllFromString(text)) {
            if (n != null && !(n instanceof ScalarNode s && isNull(s))) {
                out.add(new Y(n, "", rules));
            }
        }
        return out;
    }

    /**
     * A scalar's text with the file position of each character: a literal block ({@code |}) line by
     * line under its indentation, a one-line plain or quoted scalar from its start; other layouts
     * (folded, multi-line flow) at the scalar's start.
     */
    static Src src(Y y, String[] lines) {
        String v = y.str() == null ? "" : y.str();
        int line0 = y.node().getStartMark().map(m -> m.getLine()).orElse(0);
        int col0 = y.node().getStartMark().map(m -> m.getColumn()).orElse(0);
        ScalarStyle style = y.node() instanceof ScalarNode s ? s.getScalarStyle() : ScalarStyle.PLAIN;
        if (style == ScalarStyle.LITERAL) {
            int indent = -1;
            for (int k = line0 + 1; k < lines.length; k++) {
                if (!lines[k].isBlank()) {
                    indent = lines[k].length() - lines[k].stripLeading().length();
                    break;
                }
            }
            if (indent >= 0) {
                Src out = new Src(line0 + 2, indent + 1);
                int line = line0 + 1;
                int col = indent;
                for (int i = 0; i < v.length(); i++) {
                    out.add(v.charAt(i), line + 1, col + 1);
                    if (v.charAt(i) == '\n') {
                        line++;
                        col = indent;
                    } else {
                        col++;
                    }
                }
                return out;
            }
        }
        if (v.indexOf('\n') < 0 && (style == ScalarStyle.PLAIN || style == ScalarStyle.SINGLE_QUOTED
                || style == ScalarStyle.DOUBLE_QUOTED)) {
            int start = col0 + (style == ScalarStyle.PLAIN ? 0 : 1);
            Src out = new Src(line0 + 1, start + 1);
            for (int i = 0; i < v.length(); i++) {
                out.add(v.charAt(i), line0 + 1, start + i + 1);
            }
            return out;
        }
        return Src.flat(v, line0 + 1, col0 + 1);
    }
}
