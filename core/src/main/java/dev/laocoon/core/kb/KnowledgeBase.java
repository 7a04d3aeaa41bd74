package dev.laocoon.core.kb;

import dev.laocoon.core.finding.Severity;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * What Laocoon knows about Python globals, loaded from resource files (and optionally a user
 * policy file): which are data-only ({@code safe}), which belong to well-known libraries
 * ({@code notice}), which are dangerous and why. Anything not listed is unknown, and the
 * analysers treat unknown globals as suspicious. Patterns are dotted paths, exact or ending in
 * {@code .*}; the longest matching pattern wins and an exact pattern beats a wildcard of the same length.
 */
public final class KnowledgeBase {
    private static final List<String> BUILTIN_FILES =
            List.of("globals-data.txt", "globals-libraries.txt", "globals-dangerous.txt");
    private static volatile KnowledgeBase builtin;

    /** One knowledge-base line. */
    public record Entry(String pattern, Severity severity, String category, String explanation, String origin) {
    }

    private final Map<String, Entry> exact = new HashMap<>();
    private final Map<String, Entry> wildcard = new HashMap<>();
    private final Map<String, String> aliases = new HashMap<>();
    /** Policy texts applied after the built-in files, in order: {origin, text}. */
    private final List<String[]> policies;
    private volatile boolean loaded;

    private KnowledgeBase(List<String[]> policies) {
        this.policies = List.copyOf(policies);
    }

    /**
     * The knowledge base shipped with Laocoon. The files are read on first use, so scans of
     * files that import nothing never pay for them.
     */
    public static KnowledgeBase builtin() {
        KnowledgeBase kb = builtin;
        if (kb == null) {
            synchronized (KnowledgeBase.class) {
                kb = builtin;
                if (kb == null) {
                    kb = new KnowledgeBase(List.of());
                    builtin = kb;
                }
            }
        }
        return kb;
    }

    /**
     * A copy of this knowledge base with a user policy file applied on top (its entries override).
     * The file is read and checked now; an invalid line throws IllegalArgumentException naming it.
     */
    public KnowledgeBase withPolicy(Path policy) throws IOException {
        return withPolicyText(Files.readString(policy, StandardCharsets.UTF_8), policy.toString());
    }

    /** A copy with the given policy text applied (for tests and embedding). */
    public KnowledgeBase withPolicyText(String text, String origin) {
        new KnowledgeBase(List.of()).parse(text, origin, true);
        List<String[]> p = new java.util.ArrayList<>(policies);
        p.add(new String[] {origin, text});
        return new KnowledgeBase(p);
    }

    private final java.util.concurrent.atomic.AtomicBoolean preloading = new java.util.concurrent.atomic.AtomicBoolean();

    /**
     * Starts reading the files on {@code executor} when they have not been read yet (nothing when
     * it is null). A scan calls this when it is about to run a pickle through the symbolic machine,
     * so that reading the files (thousands of lines, in a freshly started JVM) overlaps that run
     * instead of following it. Only a head start: whoever needs the entries waits for, or does, the read.
     */
    public void preload(java.util.concurrent.Executor executor) {
        if (executor == null || loaded || !preloading.compareAndSet(false, true)) {
            return;
        }
        executor.execute(new Runnable() { // not a lambda: see DEVELOPERS.md, start-up
            @Override
            public void run() {
                try {
                    ensureLoaded();
                } catch (RuntimeException e) {
                    // the analyser's own call reads the files again and reports the problem
                }
            }
        });
    }

    /** Reads the built-in files and policies now (they are otherwise read on first use). */
    public KnowledgeBase load() {
        ensureLoaded();
        return this;
    }

    private void ensureLoaded() {
        if (loaded) {
            return;
        }
        synchronized (this) {
            if (loaded) {
                return;
            }
            for (String f : BUILTIN_FILES) {
                loadResource(f);
            }
            loadAliases();
            for (String[] p : policies) {
                parse(p[1], p[0], true);
            }
            loaded = true;
        }
    }

    private void loadResource(String name) {
        parse(resource(name), name, false);
    }

    private static String resource(String name) {
        try (InputStream in = KnowledgeBase.class.getResourceAsStream("/dev/laocoon/kb/" + name)) {
            if (in == null) {
                throw new IllegalStateException("knowledge-base file missing: " + name);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void loadAliases() {
        String text = resource("module-aliases.txt");
        int pos = 0;
        while (pos < text.length()) {
            int nl = text.indexOf('\n', pos);
            int end = nl < 0 ? text.length() : nl;
            String[] f = fields(text, pos, end, 3);
            pos = end + 1;
            if (f.length == 2 && !f[0].startsWith("#")) {
                aliases.put(f[0], f[1]);
            }
        }
    }

    /**
     * Parses {@code PATTERN SEVERITY [CATEGORY [EXPLANATION...]]} lines and, in policy files,
     * {@code alias MODULE CANONICAL} lines. Errors name the file and line.
     */
    private void parse(String text, String origin, boolean lenientColumns) {
        int pos = 0;
        int no = 0;
        while (pos < text.length()) {
            int nl = text.indexOf('\n', pos);
            int end = nl < 0 ? text.length() : nl;
            no++;
            String[] f = fields(text, pos, end, 4);
            pos = end + 1;
            if (f.length == 0 || f[0].startsWith("#")) {
                continue;
            }
            if (f[0].equals("alias")) {
                if (f.length != 3) {
                    throw new IllegalArgumentException(origin + ":" + no + ": expected 'alias MODULE CANONICAL'");
                }
                aliases.put(f[1], f[2]);
                continue;
            }
            if (f.length < 2 || (!lenientColumns && f.length < 4)) {
                throw new IllegalArgumentException(origin + ":" + no
                        + ": expected 'PATTERN SEVERITY CATEGORY EXPLANATION', got '" + String.join(" ", f) + "'");
            }
            Severity sev;
            try {
                sev = Severity.parse(f[1]);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(origin + ":" + no + ": " + e.getMessage(), e);
            }
            String pattern = f[0];
            if (!validPattern(pattern)) {
                throw new IllegalArgumentException(origin + ":" + no + ": bad pattern '" + pattern
                        + "' (expected a dotted name such as os.system, or a prefix such as os.*)");
            }
            String category = f.length > 2 ? f[2] : "policy";
            String explanation = f.length > 3 ? f[3] : "Set by policy file " + origin;
            Entry e = new Entry(pattern, sev, category, explanation, origin + ":" + no);
            if (pattern.endsWith(".*")) {
                wildcard.put(pattern.substring(0, pattern.length() - 2), e);
            } else {
                exact.put(pattern, e);
            }
        }
    }

    /** Splits on runs of spaces/tabs into at most {@code max} fields; the last keeps the rest of the line. */
    public static String[] fields(String t, int from, int to, int max) {
        java.util.List<String> out = new java.util.ArrayList<>(max);
        int i = from;
        int n = to;
        while (n > i && (t.charAt(n - 1) == '\r' || t.charAt(n - 1) == ' ' || t.charAt(n - 1) == '\t')) {
            n--;
        }
        while (i < n) {
            while (i < n && (t.charAt(i) == ' ' || t.charAt(i) == '\t')) {
                i++;
            }
            if (i >= n) {
                break;
            }
            if (out.size() == max - 1) {
                out.add(t.substring(i, n));
                break;
            }
            int j = i;
            while (j < n && t.charAt(j) != ' ' && t.charAt(j) != '\t') {
                j++;
            }
            out.add(t.substring(i, j));
            i = j;
        }
        return out.toArray(new String[0]);
    }

    /** A dotted name of identifier characters, optionally ending in {@code .*}. */
    static boolean validPattern(String p) {
        String body = p.endsWith(".*") ? p.substring(0, p.length() - 2) : p;
        if (body.isEmpty() || body.startsWith(".") || body.endsWith(".") || body.contains("..")) {
            return false;
        }
        for (int i = 0; i < body.length(); i++) {
            char c = body.charAt(i);
            if (!(c == '.' || c == '_' || Character.isLetterOrDigit(c))) {
                return false;
            }
        }
        return true;
    }

    /** Applies module aliases (posix -> os, _io -> io, ...) to the leading components of a dotted path. */
    public String canonical(String path) {
        ensureLoaded();
        if (aliases.isEmpty()) {
            return path;
        }
        int end = path.length();
        while (end > 0) {
            String prefix = path.substring(0, end);
            String target = aliases.get(prefix);
            if (target != null) {
                return target + path.substring(end);
            }
            end = path.lastIndexOf('.', end - 1);
        }
        return path;
    }

    /** The entry deciding a canonical dotted path, or null when nothing matches. */
    public Entry lookup(String path) {
        ensureLoaded();
        Entry e = exact.get(path);
        if (e != null) {
            return e;
        }
        int end = path.length();
        while (end > 0) {
            Entry w = wildcard.get(path.substring(0, end));
            if (w != null) {
                return w;
            }
            end = path.lastIndexOf('.', end - 1);
        }
        return null;
    }

    public int size() {
        ensureLoaded();
        return exact.size() + wildcard.size();
    }
}
