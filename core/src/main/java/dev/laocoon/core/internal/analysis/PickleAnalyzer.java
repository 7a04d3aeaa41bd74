package dev.laocoon.core.internal.analysis;

import dev.laocoon.core.finding.Finding;
import dev.laocoon.core.finding.Location;
import dev.laocoon.core.finding.Rule;
import dev.laocoon.core.finding.Severity;
import dev.laocoon.core.kb.KnowledgeBase;
import dev.laocoon.core.internal.pickle.GlobalName;
import dev.laocoon.core.internal.pickle.PickleError;
import dev.laocoon.core.internal.pickle.PickleLimits;
import dev.laocoon.core.internal.pickle.PickleMachine;
import dev.laocoon.core.internal.pickle.PickleResult;
import dev.laocoon.core.internal.pickle.PickleTrace;
import dev.laocoon.core.internal.pickle.TraceEvent;
import dev.laocoon.core.internal.pickle.Value;
import dev.laocoon.core.source.ArrayByteSource;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Judges a pickle trace: every import against the knowledge base (allowlist first: anything
 * not known to be data is at least suspicious), plus context rules for BUILD, EXT codes,
 * dotted names, nested pickles, persistent ids, frames and broken streams.
 */
public final class PickleAnalyzer {
    static final int MAX_NESTING = 3;
    private static final int EVIDENCE = 160;

    private final KnowledgeBase kb;
    private final PickleLimits limits;

    public PickleAnalyzer(KnowledgeBase kb, PickleLimits limits) {
        this.kb = kb;
        this.limits = limits;
    }

    /** How a global is judged, with the knowledge-base line that decided it. */
    public record Judgement(Rule rule, Severity severity, String category, String explanation) {
    }

    /**
     * How the loader resolves persistent ids. For a raw pickle they are unexpected (a notice);
     * container formats check them: {@link #check} returns null for a valid id or a sentence
     * saying what is wrong with it.
     */
    public interface PersistentIds {
        String check(Value pid);
    }

    /** Findings for a whole trace; {@code where} is the location of the stream (file and members). */
    public List<Finding> analyze(PickleTrace trace, Location where) {
        return analyze(trace, where, 0, null);
    }

    /** As {@link #analyze(PickleTrace, Location)}, with persistent ids checked by the container's rules. */
    public List<Finding> analyze(PickleTrace trace, Location where, PersistentIds ids) {
        return analyze(trace, where, 0, ids);
    }

    private List<Finding> analyze(PickleTrace trace, Location where, int depth, PersistentIds ids) {
        List<Finding> out = new ArrayList<>();
        boolean registryWritten = false;
        for (PickleResult p : trace.pickles()) {
            for (TraceEvent e : p.events()) {
                if (e instanceof TraceEvent.Import imp && imp.name().known()) {
                    String path = kb.canonical(imp.name().path());
                    if (path.startsWith("copyreg.add_extension") || path.startsWith("copyreg._extension")
                            || path.startsWith("copyreg._inverted_registry")) {
                        registryWritten = true;
                    }
                }
            }
        }
        for (PickleResult p : trace.pickles()) {
            analyzePickle(p, where, depth, registryWritten, ids, out);
        }
        if (trace.trailingStart() >= 0) {
            long n = trace.size() - trace.trailingStart();
            out.add(new Finding(Rule.PICKLE_TRAILING_DATA, Severity.NOTICE,
                    n + " bytes after the last pickle are not a pickle; a loader reading one pickle ignores them",
                    where.at(trace.pickles().size(), trace.trailingStart()), ""));
        }
        return out;
    }

    private void analyzePickle(PickleResult p, Location where, int depth, boolean registryWritten, PersistentIds ids,
                               List<Finding> out) {
        int idx = p.index();
        // calls made with each imported global, for evidence
        Map<GlobalName, TraceEvent.Invoke> firstCall = new IdentityHashMap<>();
        for (TraceEvent e : p.events()) {
            if (e instanceof TraceEvent.Invoke inv && inv.target() instanceof Value.Global g) {
                firstCall.putIfAbsent(g.name(), inv);
            }
        }
        CallableUses uses = CallableUses.of(p, kb);
        Map<GlobalName, List<Attribute>> attributes = staticCalls(p, uses);
        // results of static calls: calling one calls the name it resolved to, judged with that import
        Set<Value.Call> resolved = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
        for (List<Attribute> as : attributes.values()) {
            for (Attribute a : as) {
                if (a.call().result() != null) {
                    resolved.add(a.call().result());
                }
            }
        }
        Set<String> reported = new HashSet<>();
        boolean persistentReported = false;
        for (TraceEvent e : p.events()) {
            Location loc = where.at(idx, e.offset());
            if (e instanceof TraceEvent.Import imp) {
                List<Attribute> attrs = attributes.get(imp.name());
                if (attrs != null) {
                    // getattr(Class, 'NAME') and the other static forms: judge what they resolve to
                    for (Attribute a : attrs) {
                        judgeImport(new TraceEvent.Import(a.call().offset(), imp.opcode(), a.name()), a.use(), true,
                                where.at(idx, a.call().offset()), describe(a.call()), reported, out);
                    }
                    continue;
                }
                TraceEvent.Invoke call = firstCall.get(imp.name());
                String evidence = call != null ? describe(call) : imp.name().display();
                CallableUses.Use use = uses.of(imp.name());
                if (use == CallableUses.Use.DATA && uses.unseen()) {
                    use = CallableUses.Use.PASSED;
                }
                judgeImport(imp, use, false, loc, evidence, reported, out);
            } else if (e instanceof TraceEvent.Invoke inv) {
                judgeInvoke(inv, loc, where, depth, resolved, out);
            } else if (e instanceof TraceEvent.Extension ext) {
                out.add(new Finding(Rule.PICKLE_EXTENSION_CODE,
                        registryWritten ? Severity.MALICIOUS : Severity.SUSPICIOUS,
                        "takes the callable registered as extension code " + ext.code() + " in copyreg"
                                + (registryWritten ? "; this stream also writes the extension registry" : ""),
                        loc, ext.opcode() + " " + ext.code()));
            } else if (e instanceof TraceEvent.PersistentLoad pl && ids != null) {
                String problem = ids.check(pl.pid());
                if (problem != null) {
                    out.add(new Finding(Rule.TORCH_PERSISTENT_ID, Severity.SUSPICIOUS, problem, loc,
                            "persistent_load(" + pl.pid().render(EVIDENCE) + ")"));
                }
            } else if (e instanceof TraceEvent.PersistentLoad pl) {
                if (!persistentReported) {
                    persistentReported = true;
                    out.add(new Finding(Rule.PICKLE_PERSISTENT_ID, Severity.NOTICE,
                            "refers to objects by persistent id; the loader's persistent_load decides what they are",
                            loc, "persistent_load(" + pl.pid().render(EVIDENCE) + ")"));
                }
            } else if (e instanceof TraceEvent.FrameIssue fi) {
                out.add(new Finding(Rule.PICKLE_FRAME_INCONSISTENCY, Severity.SUSPICIOUS, fi.detail(), loc, ""));
            } else if (e instanceof TraceEvent.OutOfBand ob) {
                out.add(new Finding(Rule.PICKLE_OUT_OF_BAND_BUFFER, Severity.NOTICE,
                        "uses an out-of-band buffer supplied by the loader, not stored in the file", loc, ""));
            }
        }
        PickleError err = p.error();
        if (err != null) {
            Location loc = where.at(idx, err.offset());
            switch (err.kind()) {
                case TRUNCATED -> out.add(new Finding(Rule.PICKLE_TRUNCATED, Severity.SUSPICIOUS,
                        "stream ends before STOP (" + err.getMessage() + "); a loader runs everything before this point",
                        loc, ""));
                case MALFORMED -> out.add(new Finding(Rule.PICKLE_MALFORMED, Severity.SUSPICIOUS,
                        "a loader fails here (" + err.getMessage() + ") after running everything before it", loc, ""));
                case LIMIT -> out.add(new Finding(Rule.ANALYSIS_INCOMPLETE, Severity.SUSPICIOUS,
                        "analysis stopped: " + err.getMessage() + "; the rest of the stream was not analysed", loc, ""));
                default -> throw new IllegalStateException();
            }
        }
    }

    /** A static call (see {@link StaticCalls}): what it resolves to, and how the pickle uses its result. */
    private record Attribute(TraceEvent.Invoke call, GlobalName name, CallableUses.Use use) {
    }

    /**
     * For each import of a resolving helper (getattr, ...) whose every call is one of the static
     * forms, what those calls resolve to. Such an import is judged by its results, not as itself.
     */
    private Map<GlobalName, List<Attribute>> staticCalls(PickleResult p, CallableUses uses) {
        Map<GlobalName, List<Attribute>> found = new IdentityHashMap<>();
        Map<GlobalName, String> helper = new IdentityHashMap<>();
        Set<GlobalName> rejected = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
        for (TraceEvent e : p.events()) {
            if (e instanceof TraceEvent.Import imp && imp.name().known()) {
                String c = kb.canonical(imp.name().path());
                if (StaticCalls.isResolver(c)) {
                    found.put(imp.name(), new ArrayList<>());
                    helper.put(imp.name(), c);
                }
            }
        }
        if (found.isEmpty()) {
            return found;
        }
        for (GlobalName g : found.keySet()) {
            if (uses.of(g) == CallableUses.Use.PASSED) {
                rejected.add(g); // the helper itself handed to a call: it can resolve anything there
            }
        }
        for (TraceEvent e : p.events()) {
            if (!(e instanceof TraceEvent.Invoke inv) || !(inv.target() instanceof Value.Global g)
                    || !found.containsKey(g.name())) {
                continue;
            }
            GlobalName attr = StaticCalls.resolve(helper.get(g.name()), inv);
            if (attr == null) {
                rejected.add(g.name());
            } else {
                found.get(g.name()).add(new Attribute(inv, attr, uses.ofResult(inv.result())));
            }
        }
        found.keySet().removeIf(k -> rejected.contains(k) || found.get(k).isEmpty());
        return found;
    }

    /**
     * Methods that load a model, checkpoint or pickle by path or name. Reached as {@code Class.method}
     * (a protocol-4 dotted name) they are judged malicious whatever library the class is from.
     */
    static final Set<String> LOADER_METHODS = Set.copyOf(dev.laocoon.core.internal.format.Tables.lines("loader-methods.txt"));

    /** Judges one global path (canonicalised), without context. */
    public Judgement judge(GlobalName name) {
        if (!name.known()) {
            return new Judgement(Rule.PICKLE_UNKNOWN_GLOBAL, Severity.SUSPICIOUS, "unresolved",
                    "The module or name is computed while loading, so what is imported cannot be known");
        }
        String path = kb.canonical(name.path());
        KnowledgeBase.Entry entry = kb.lookup(path);
        Judgement base;
        if (entry == null) {
            base = new Judgement(Rule.PICKLE_UNKNOWN_GLOBAL, Severity.SUSPICIOUS, "unknown",
                    "Not known to be data-only; loading it runs its code");
        } else {
            base = switch (entry.severity()) {
                case SAFE -> new Judgement(null, Severity.SAFE, entry.category(), entry.explanation());
                case NOTICE -> new Judgement(Rule.PICKLE_LIBRARY_GLOBAL, Severity.NOTICE, entry.category(), entry.explanation());
                default -> new Judgement(entry.category().equals("nested-pickle") ? Rule.PICKLE_NESTED_PICKLE
                        : Rule.PICKLE_DANGEROUS_GLOBAL, entry.severity(), entry.category(), entry.explanation());
            };
        }
        // Attribute chains: find_class resolves a dotted name component by component.
        String[] comps = name.resolvedName().split("\\.", -1);
        if (comps.length > 1) {
            for (String c : comps) {
                if (c.length() > 4 && c.startsWith("__") && c.endsWith("__")) {
                    return new Judgement(Rule.PICKLE_DOTTED_NAME, Severity.MALICIOUS, "attribute-chain",
                            "Walks the dunder attribute '" + c + "' to reach objects outside the module");
                }
                if (c.isEmpty()) {
                    return new Judgement(Rule.PICKLE_DOTTED_NAME, Severity.SUSPICIOUS, "attribute-chain",
                            "Empty component in a dotted name");
                }
            }
            for (int i = 1; i < comps.length; i++) {
                String tail = kb.canonical(String.join(".", java.util.Arrays.copyOfRange(comps, i, comps.length)));
                KnowledgeBase.Entry t = kb.lookup(tail);
                if (t != null && t.severity().atLeast(Severity.SUSPICIOUS)) {
                    return new Judgement(Rule.PICKLE_DANGEROUS_GLOBAL, t.severity(), t.category(),
                            "Reaches " + tail + " through the attribute chain: " + t.explanation());
                }
            }
            String method = comps[comps.length - 1];
            if (base.severity().compareTo(Severity.MALICIOUS) < 0 && LOADER_METHODS.contains(method)) {
                // Class.from_pretrained, Model.load, ...: inherited loaders no name list can keep up with
                return new Judgement(Rule.PICKLE_DANGEROUS_GLOBAL, Severity.MALICIOUS, "loader-method",
                        "The method " + method + " loads another model or file, which can unpickle or import "
                                + "whatever that names");
            }
            if (entry != null && entry.pattern().endsWith(".*") && base.severity() == Severity.SAFE) {
                // Only exact names are data; a component below a data namespace is not.
                return new Judgement(Rule.PICKLE_DOTTED_NAME, Severity.NOTICE, "attribute-chain",
                        "Resolves '" + name.resolvedName() + "' attribute by attribute from " + name.resolvedModule()
                                + "; not an exact data-only name");
            }
            return base;
        }
        // A module attribute that is itself a dangerous module (e.g. torch.serialization.os).
        String lastTail = comps[comps.length - 1];
        KnowledgeBase.Entry t = kb.lookup(kb.canonical(lastTail));
        if (t != null && t.severity() == Severity.MALICIOUS && !t.pattern().equals(path)
                && (entry == null || entry.severity().compareTo(Severity.MALICIOUS) < 0) && t.pattern().endsWith(".*")
                && t.pattern().substring(0, t.pattern().length() - 2).equals(kb.canonical(lastTail))) {
            return new Judgement(Rule.PICKLE_DANGEROUS_GLOBAL, Severity.MALICIOUS, t.category(),
                    "Is the module " + lastTail + " reached as an attribute: " + t.explanation());
        }
        return base;
    }

    /** Judges one global path as the pickle uses it: called or handed to a call, see {@link CallablePolicy}. */
    Judgement judge(GlobalName name, CallableUses.Use use, boolean resolved) {
        Judgement base = judge(name);
        if (!name.known()) {
            return base;
        }
        return CallablePolicy.judge(kb, kb.canonical(name.path()), base, use, resolved);
    }

    private void judgeImport(TraceEvent.Import imp, CallableUses.Use use, boolean resolved, Location loc, String evidence,
                             Set<String> reported, List<Finding> out) {
        Judgement j = judge(imp.name(), use, resolved);
        if (j.rule() == null) {
            return;
        }
        GlobalName n = imp.name();
        if (!reported.add(j.rule().id() + " " + n.display())) {
            return;
        }
        StringBuilder msg = new StringBuilder();
        msg.append(imp.opcode() == dev.laocoon.core.internal.pickle.Opcode.INST ? "instantiates " : "imports ")
                .append(n.display());
        if (n.known() && n.remapped()) {
            msg.append(" (written as ").append(n.module()).append('.').append(n.name())
                    .append(", renamed by the unpickler at protocol ").append(n.protocol()).append(')');
        }
        String canonical = n.known() ? kb.canonical(n.path()) : null;
        if (canonical != null && !canonical.equals(n.path())) {
            msg.append(" (= ").append(canonical).append(')');
        }
        msg.append(": ").append(j.explanation());
        out.add(new Finding(j.rule(), j.severity(), msg.toString(), loc, evidence));
    }

    private void judgeInvoke(TraceEvent.Invoke inv, Location loc, Location where, int depth, Set<Value.Call> resolved,
                             List<Finding> out) {
        switch (inv.kind()) {
            case SETSTATE -> {
                JoblibSideFiles.check(inv, loc, out);
                if (inv.target() instanceof Value.Global g) {
                    out.add(new Finding(Rule.PICKLE_BUILD_NON_INSTANCE, Severity.MALICIOUS,
                            "BUILD sets state on " + g.name().display()
                                    + " itself (a module, class or function), not on an instance",
                            loc, describe(inv)));
                }
            }
            case CALL, NEW -> {
                Value target = inv.target();
                if (target instanceof Value.Call c && !resolved.contains(c) || target instanceof Value.Persistent
                        || target instanceof Value.Opaque) {
                    out.add(new Finding(Rule.PICKLE_NON_CALLABLE_CALL, Severity.SUSPICIOUS,
                            "calls an object produced while loading rather than an imported global", loc, describe(inv)));
                }
                if (target instanceof Value.Global g && g.name().known()) {
                    Judgement j = judge(g.name());
                    if (j.rule() == Rule.PICKLE_NESTED_PICKLE) {
                        nested(inv, loc, where, depth, out);
                    }
                }
            }
            default -> {
            }
        }
    }

    /** Analyses the bytes handed to a deserializer: raw bytes, or base64/hex text decoded here. */
    private void nested(TraceEvent.Invoke inv, Location loc, Location where, int depth, List<Finding> out) {
        if (!(inv.args() instanceof Value.Container args) || args.keptCount() == 0) {
            return;
        }
        byte[] payload = EmbeddedBytes.extract(args.item(0), kb);
        if (payload == null) {
            return;
        }
        Location inner = where.withMember("nested[" + loc.offset() + "]");
        if (depth + 1 > MAX_NESTING) {
            out.add(new Finding(Rule.ANALYSIS_INCOMPLETE, Severity.SUSPICIOUS,
                    "nested pickles deeper than " + MAX_NESTING + " levels were not analysed", inner, ""));
            return;
        }
        PickleTrace t = PickleMachine.run(new ArrayByteSource(payload), 0, limits);
        if (!t.looksLikePickle(payload.length > 1 ? payload[0] & 0xff : -1, payload.length > 1 ? payload[1] : -1)) {
            return; // e.g. marshal data handed to marshal.loads: the loader call itself is the finding
        }
        out.addAll(analyze(t, inner, depth + 1, null));
    }

    /** Readable rendering of a call, e.g. {@code os.system('echo hi')}. */
    public static String describe(TraceEvent.Invoke inv) {
        StringBuilder sb = new StringBuilder();
        switch (inv.kind()) {
            case CALL -> {
                sb.append(inv.target().render(60));
                appendArgs(sb, inv.args());
            }
            case NEW -> {
                sb.append(inv.target().render(60)).append(".__new__(cls");
                if (!(inv.args() instanceof Value.Container c && c.size() == 0)) {
                    sb.append(", *").append(inv.args().render(EVIDENCE));
                }
                if (inv.kwargs() != null) {
                    sb.append(", **").append(inv.kwargs().render(60));
                }
                sb.append(')');
            }
            case SETSTATE -> sb.append(inv.target().render(60)).append(".__setstate__(")
                    .append(inv.args().render(EVIDENCE)).append(')');
            case METHOD -> sb.append(inv.target().render(60)).append('.').append(inv.method()).append('(')
                    .append(inv.args().render(EVIDENCE)).append(')');
            default -> throw new IllegalStateException();
        }
        return sb.toString();
    }

    private static void appendArgs(StringBuilder sb, Value args) {
        if (args instanceof Value.Container c && c.kind() == Value.Kind.TUPLE) {
            String r = c.render(EVIDENCE);
            // (x,) -> (x)
            if (r.endsWith(",)")) {
                r = r.substring(0, r.length() - 2) + ")";
            }
            sb.append(r);
        } else {
            sb.append("(*").append(args.render(EVIDENCE)).append(')');
        }
    }
}
