package dev.laocoon.core.internal.analysis;

import dev.laocoon.core.finding.Rule;
import dev.laocoon.core.finding.Severity;
import dev.laocoon.core.internal.analysis.CallableUses.Use;
import dev.laocoon.core.internal.analysis.PickleAnalyzer.Judgement;
import dev.laocoon.core.internal.format.Tables;
import dev.laocoon.core.kb.KnowledgeBase;
import java.util.HashMap;
import java.util.Map;

/**
 * Allow-list callables, not modules. A library namespace in the knowledge base ({@code numpy.*},
 * {@code torch.*}, ...) vouches for its classes, which library pickles allocate and rebuild; it
 * does not vouch for its functions and methods, which can write files, fetch URLs, resolve names
 * or call what they are given. So a global the pickle calls, or hands to a call, is judged here:
 * <ul>
 *   <li>listed exactly in the knowledge base (the reconstructors library pickles really call,
 *       or a user's policy line): the listed judgement stands;
 *   <li>its last name is a member known to touch files, the network or processes
 *       ({@code library-members.txt}): that judgement, however the member is reached
 *       (inherited, re-exported, through a subclass or a scalar type);
 *   <li>a class (its name is capitalised, as Python classes are): constructing it stays a notice;
 *   <li>any other function or method of a library: suspicious ({@link Rule#PICKLE_LIBRARY_CALL}).
 * </ul>
 * Globals only kept as data, or allocated as the class of an instance, keep their plain judgement.
 */
final class CallablePolicy {
    private static final Map<String, String[]> MEMBERS = members();

    private CallablePolicy() {
    }

    private static Map<String, String[]> members() {
        Map<String, String[]> m = new HashMap<>();
        for (String line : Tables.lines("library-members.txt")) {
            String[] f = KnowledgeBase.fields(line, 0, line.length(), 4);
            if (f.length < 4) {
                throw new IllegalStateException("library-members.txt: bad line: " + line);
            }
            Severity.parse(f[1]);
            m.put(f[0], f);
        }
        return Map.copyOf(m);
    }

    /**
     * The judgement of a global used as {@code use}; {@code base} is its plain judgement and
     * {@code path} its canonical dotted path. {@code resolved} is true for a name the pickle built
     * with a static call (an attribute read with getattr): handed to a call it is graded by its
     * member name only, since attribute reads also fetch enum members and constants.
     */
    static Judgement judge(KnowledgeBase kb, String path, Judgement base, Use use, boolean resolved) {
        if (use == Use.DATA || use == Use.NEW || base.severity() == Severity.MALICIOUS) {
            return base;
        }
        int dot = path.lastIndexOf('.');
        String leaf = path.substring(dot + 1);
        KnowledgeBase.Entry entry = kb.lookup(path);
        boolean exact = entry != null && entry.pattern().equals(path);
        if (exact) {
            return base;
        }
        String verb = use == Use.CALLED ? "Called" : "Handed to a call";
        String[] member = MEMBERS.get(leaf);
        if (member != null && Severity.parse(member[1]).compareTo(base.severity()) > 0) {
            Severity s = Severity.parse(member[1]);
            return new Judgement(member[2].equals("nested-pickle") ? Rule.PICKLE_NESTED_PICKLE : Rule.PICKLE_DANGEROUS_GLOBAL,
                    s, member[2], verb + ": " + leaf + " is a member that " + lowerFirst(member[3]));
        }
        if (resolved && use == Use.PASSED || base.severity().atLeast(Severity.SUSPICIOUS)) {
            return base;
        }
        if (looksLikeClass(leaf) || leaf.startsWith("__pyx_unpickle_")
                || entry != null && entry.category().equals("class")) {
            return base; // a class constructed, a Cython reconstructor, or a namespace of classes
        }
        String library = entry != null && entry.pattern().endsWith(".*")
                ? entry.pattern().substring(0, entry.pattern().length() - 2) : path.substring(0, Math.max(dot, 0));
        return new Judgement(Rule.PICKLE_LIBRARY_CALL, Severity.SUSPICIOUS, "library-call",
                verb + ": a function or method of " + library + " that is not on the list of callables library "
                        + "pickles use (reconstructors and classes); what it does when called is not known to be harmless");
    }

    /** Python's convention (PEP 8): class names are CapWords; functions and methods are lower case. */
    static boolean looksLikeClass(String leaf) {
        int i = 0;
        while (i < leaf.length() && leaf.charAt(i) == '_') {
            i++;
        }
        return i < leaf.length() && Character.isUpperCase(leaf.charAt(i));
    }

    private static String lowerFirst(String s) {
        return s.isEmpty() ? s : Character.toLowerCase(s.charAt(0)) + s.substring(1);
    }
}
