package dev.laocoon.batch;

import dev.laocoon.core.Format;
import dev.laocoon.core.Scanner;
import dev.laocoon.core.kb.KnowledgeBase;
import java.io.IOException;
import java.io.InputStream;
import java.io.Serializable;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

/**
 * What a blob's verdict depends on besides its bytes: the Laocoon build and the knowledge base, the
 * latter split in the groups {@link #needsRescan} decides on.
 *
 * <ul>
 *   <li>{@code globals}: the files {@link KnowledgeBase} loads (globals-*.txt and the module aliases).
 *       A blob keeps the globals its pickles import with the entry that judged each; it changes only
 *       when one of those entries changes.</li>
 *   <li>{@code pickle}: the other files the pickle analysis reads (library members, loader methods).</li>
 *   <li>{@code other}: the files of the other formats' analysers (Keras, ONNX, TensorFlow, TorchScript,
 *       Jinja chat templates).</li>
 * </ul>
 */
public record Versions(String laocoon, String kb, String kbGlobals, String kbPickle, String kbOther) implements Serializable {

    /** Every file under core's dev/laocoon/kb/, by group (a test checks the list against core's resources). */
    static final List<String> GLOBALS_FILES = List.of("globals-data.txt", "globals-libraries.txt", "globals-dangerous.txt",
            "module-aliases.txt");
    static final List<String> PICKLE_FILES = List.of("library-members.txt", "loader-methods.txt");
    static final List<String> OTHER_FILES = List.of("keras-layers.txt", "keras-classes.txt", "onnx-domains.txt",
            "jinja-gadgets.txt", "jinja-internal-attributes.txt", "jinja-python-builtins.txt", "tf-symbols.txt",
            "tf-ops.txt", "torchscript-calls.txt");

    /**
     * Formats whose analysis consults no knowledge-base file: a blob recognised only as these (or as
     * nothing) keeps its verdict across knowledge-base changes. A new detector is a new Laocoon build.
     */
    // not GGUF: its chat templates are judged with the Jinja lists (kbOther)
    static final Set<String> KB_INDEPENDENT = Set.of(Format.SAFETENSORS.id(), Format.NPY.id(),
            Format.LFS_POINTER.id());
    /** Formats whose analysis runs pickles through the knowledge base's globals. */
    static final Set<String> PICKLE_FORMATS = Set.of(Format.PICKLE.id(), Format.PYTORCH_ZIP.id(), Format.PYTORCH_LEGACY.id(),
            Format.PYTORCH_LEGACY_TAR.id(), Format.JOBLIB.id(), Format.JOBLIB_ZFILE.id(), Format.NPY_OBJECT.id(),
            Format.TORCHSCRIPT.id());

    private static volatile Versions current;

    /** The versions of the running build and its built-in knowledge base. */
    public static Versions current() {
        Versions v = current;
        if (v == null) {
            v = new Versions(laocoonBuild(), group(concat(GLOBALS_FILES, PICKLE_FILES, OTHER_FILES)), group(GLOBALS_FILES),
                    group(PICKLE_FILES), group(OTHER_FILES));
            current = v;
        }
        return v;
    }

    /**
     * True when a blob scanned under {@code before} must be scanned again under this build: a different
     * Laocoon build, or a knowledge-base group its formats consult changed and (for the globals) one of
     * the entries that judged its imports is not the same entry today. Failed scans are always retried.
     *
     * @param formats format ids of the blob
     * @param globals its imports as {@link #global} gave them, null when they were not kept
     */
    public boolean needsRescan(Versions before, boolean failed, List<String> formats, List<String> globals,
                               KnowledgeBase kb) {
        if (failed || !laocoon.equals(before.laocoon)) {
            return true;
        }
        if (kb().equals(before.kb)) {
            return false;
        }
        boolean independent = KB_INDEPENDENT.containsAll(formats);
        if (independent) {
            return false;
        }
        if (!kbOther.equals(before.kbOther)) {
            return true; // conservative: every blob of a format that reads any knowledge-base file
        }
        boolean pickles = formats.stream().anyMatch(PICKLE_FORMATS::contains);
        if (!pickles) {
            return false; // only the pickle groups changed and this blob has no pickle
        }
        if (!kbPickle.equals(before.kbPickle)) {
            return true;
        }
        if (kbGlobals.equals(before.kbGlobals)) {
            return false;
        }
        if (globals == null) {
            return true;
        }
        for (String g : globals) {
            int eq = g.indexOf('=');
            if (eq < 0 || !g.equals(global(g.substring(0, eq), kb))) {
                return true;
            }
        }
        return false;
    }

    /** An import as a blob row keeps it: the dotted path, {@code =}, and the entry that judges it today. */
    public static String global(String path, KnowledgeBase kb) {
        if (path.startsWith("<")) {
            return path + "=unresolved"; // never decided by an entry: judged the same under any knowledge base
        }
        KnowledgeBase.Entry e = kb.lookup(kb.canonical(path));
        return path + "=" + (e == null ? "unknown" : e.pattern() + "|" + e.severity().label() + "|" + e.category());
    }

    private static List<String> concat(List<String> a, List<String> b, List<String> c) {
        List<String> l = new ArrayList<>(a);
        l.addAll(b);
        l.addAll(c);
        return l;
    }

    /** SHA-256 over the names and bytes of the given knowledge-base resources (12 hex digits). */
    static String group(List<String> files) {
        MessageDigest md = sha256();
        for (String f : files) {
            try (InputStream in = KnowledgeBase.class.getResourceAsStream("/dev/laocoon/kb/" + f)) {
                if (in == null) {
                    throw new IllegalStateException("knowledge-base file missing from the class path: " + f);
                }
                md.update(f.getBytes(StandardCharsets.UTF_8));
                md.update((byte) 0);
                md.update(in.readAllBytes());
                md.update((byte) 0);
            } catch (IOException e) {
                throw new IllegalStateException("cannot read knowledge-base file " + f, e);
            }
        }
        return HexFormat.of().formatHex(md.digest()).substring(0, 12);
    }

    /**
     * The Laocoon version and a hash of the classes the scan runs (core's jar, or its class folder):
     * two builds of one snapshot version with different rules are different builds.
     */
    static String laocoonBuild() {
        String v = Scanner.class.getPackage() == null ? null : Scanner.class.getPackage().getImplementationVersion();
        String version = v == null ? BatchInfo.get("version") : v;
        MessageDigest md = sha256();
        try {
            Path where = Path.of(Scanner.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            if (Files.isDirectory(where)) {
                try (Stream<Path> s = Files.walk(where.resolve("dev/laocoon/core"))) {
                    for (Path p : s.filter(Files::isRegularFile).sorted().toList()) {
                        md.update(where.relativize(p).toString().getBytes(StandardCharsets.UTF_8));
                        md.update(Files.readAllBytes(p));
                    }
                }
            } else {
                try (InputStream in = Files.newInputStream(where)) {
                    byte[] buf = new byte[1 << 16];
                    for (int n; (n = in.read(buf)) > 0; ) {
                        md.update(buf, 0, n);
                    }
                }
            }
        } catch (IOException | URISyntaxException | RuntimeException e) {
            return version + "+unknown-build";
        }
        return version + "+" + HexFormat.of().formatHex(md.digest()).substring(0, 12);
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
