package dev.laocoon.core.kb;

import dev.laocoon.core.finding.Severity;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
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

    private KnowledgeBase() {
    }

    /** The knowledge base shipped with Laocoon. */
    public static KnowledgeBase builtin() {
        KnowledgeBase kb = builtin;
        if (kb == null) {
            synchronized (KnowledgeBase.class) {
                kb = builtin;
                if (kb == null) {
                    kb = new KnowledgeBase();
                    for (String f : BUILTIN_FILES) {
                        kb.loadResource(f);
                    }
                    kb.loadAliases();
                    builtin = kb;
                }
            }
        }
        return kb;
    }

    /** A copy of this knowledge base with a user policy file applied on top (its entries override). */
    public KnowledgeBase withPolicy(Path policy) throws IOException {
        KnowledgeBase kb = copy();
        try (BufferedReader r = Files.newBufferedReader(policy, StandardCharsets.UTF_8)) {
            kb.parse(r, policy.toString(), true);
        }
        return kb;
    }

    /** A copy with the given policy text applied (for tests and embedding). */
    public KnowledgeBase withPolicyText(String text, String origin) {
        KnowledgeBase kb = copy();
        try {
            kb.parse(new BufferedReader(new java.io.StringReader(text)), origin, true);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return kb;
    }

    private KnowledgeBase copy() {
        KnowledgeBase kb = new KnowledgeBase();
        kb.exact.putAll(exact);
        kb.wildcard.putAll(wildcard);
        kb.aliases.putAll(aliases);
        return kb;
    }

    private void loadResource(String name) {
        try (InputStream in = KnowledgeBase.class.getResourceAsStream("/dev/laocoon/kb/" + name)) {
            if (in == null) {
                throw new IllegalStateException("knowledge-base file missing: " + name);
            }
            parse(new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8)), name, false);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void loadAliases() {
        try (InputStream in = KnowledgeBase.class.getResourceAsStream("/dev/laocoon/kb/module-aliases.txt")) {
            if (in == null) {
                throw new IllegalStateException("knowledge-base file missing: module-aliases.txt");
            }
            BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
            String line;
            while ((line = r.readLine()) != null) {
                String t = stripComment(line);
                if (t.isEmpty()) {
                    continue;
                }
                String[] f = t.split("\\s+");
                if (f.length == 2) {
                    aliases.put(f[0], f[1]);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String stripComment(String line) {
        String t = line.strip();
        return t.startsWith("#") ? "" : t;
    }

    /**
     * Parses {@code PATTERN SEVERITY [CATEGORY [EXPLANATION...]]} lines and, in policy files,
     * {@code alias MODULE CANONICAL} lines. Errors name the file and line.
     */
    private void parse(BufferedReader r, String origin, boolean lenientColumns) throws IOException {
        String line;
        int no = 0;
        while ((line = r.readLine()) != null) {
            no++;
            String t = stripComment(line);
            if (t.isEmpty()) {
                continue;
            }
            String[] f = t.split("\\s+", 4);
            if (f[0].equals("alias")) {
                if (f.length < 3) {
                    throw new IllegalArgumentException(origin + ":" + no + ": expected 'alias MODULE CANONICAL'");
                }
                aliases.put(f[1], f[2]);
                continue;
            }
            if (f.length < 2 || (!lenientColumns && f.length < 4)) {
                throw new IllegalArgumentException(origin + ":" + no
                        + ": expected 'PATTERN SEVERITY CATEGORY EXPLANATION', got '" + t + "'");
            }
            Severity sev;
            try {
                sev = Severity.parse(f[1]);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(origin + ":" + no + ": " + e.getMessage(), e);
            }
            String pattern = f[0];
            if (!pattern.matches("[A-Za-z0-9_.]+(\\.\\*)?") || pattern.startsWith(".") || pattern.contains("..")) {
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

    /** Applies module aliases (posix -> os, _io -> io, ...) to the leading components of a dotted path. */
    public String canonical(String path) {
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
        return exact.size() + wildcard.size();
    }
}
