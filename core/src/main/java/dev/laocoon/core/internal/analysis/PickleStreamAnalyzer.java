package dev.laocoon.core.internal.analysis;

import dev.laocoon.core.Format;
import dev.laocoon.core.finding.Finding;
import dev.laocoon.core.finding.Location;
import dev.laocoon.core.finding.Rule;
import dev.laocoon.core.finding.Severity;
import dev.laocoon.core.internal.container.JoblibArrays;
import dev.laocoon.core.internal.container.ZipArchive;
import dev.laocoon.core.internal.detect.Head;
import dev.laocoon.core.internal.format.torch.LegacyTorch;
import dev.laocoon.core.internal.pickle.DataOnlyWalk;
import dev.laocoon.core.internal.pickle.ImportSweep;
import dev.laocoon.core.internal.pickle.PickleMachine;
import dev.laocoon.core.internal.pickle.PickleResult;
import dev.laocoon.core.internal.pickle.PickleTrace;
import dev.laocoon.core.internal.pickle.RawData;
import dev.laocoon.core.internal.pickle.TraceEvent;
import dev.laocoon.core.internal.pickle.Value;
import dev.laocoon.core.source.ByteSource;
import dev.laocoon.core.source.SliceByteSource;
import java.io.IOException;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * Pickle streams, wherever they are: a whole file, the bytes in front of a zip, a zip member, the
 * data of a .npy object array, a legacy tar member. Plain data is proved quickly by the data-only
 * walk; anything else runs through the symbolic machine and the pickle rules. Legacy torch.save
 * files and joblib dumps (raw array bytes between pickles) are recognised from the trace.
 */
public final class PickleStreamAnalyzer implements Analyzer {
    /** joblib's layout: raw NumPy buffers after the BUILD of each array wrapper. */
    static final JoblibArrays JOBLIB = new JoblibArrays();

    @Override
    public Set<Rule> rules() {
        return EnumSet.of(Rule.PICKLE_DANGEROUS_GLOBAL, Rule.PICKLE_UNKNOWN_GLOBAL, Rule.PICKLE_LIBRARY_GLOBAL,
                Rule.PICKLE_DOTTED_NAME, Rule.PICKLE_BUILD_NON_INSTANCE, Rule.PICKLE_EXTENSION_CODE,
                Rule.PICKLE_NESTED_PICKLE, Rule.PICKLE_MALFORMED, Rule.PICKLE_TRUNCATED, Rule.PICKLE_FRAME_INCONSISTENCY,
                Rule.ANALYSIS_INCOMPLETE, Rule.PICKLE_TRAILING_DATA, Rule.PICKLE_PERSISTENT_ID,
                Rule.PICKLE_NON_CALLABLE_CALL, Rule.PICKLE_OUT_OF_BAND_BUFFER, Rule.TORCH_LEGACY_HEADER);
    }

    /**
     * Called when a file's scan starts: a large file that starts like a protocol-2+ pickle will be
     * walked, so the walk's compilation starts now rather than when the walk is reached.
     */
    public static void anticipate(ByteSource src, java.util.concurrent.Executor executor) throws IOException {
        if (executor == null || WARMED.get() || src.size() < WARM_UP_FROM) {
            return;
        }
        byte[] h = new byte[2];
        if (src.readFully(0, h, 0, 2) == 2 && (h[0] & 0xff) == 0x80 && h[1] >= 2 && h[1] <= 5) {
            warmUp(executor);
        }
    }

    /** Streams from this size on have the walk compiled on the caller's executor while they are walked. */
    private static final long WARM_UP_FROM = 1 << 20;
    private static final java.util.concurrent.atomic.AtomicBoolean WARMED = new java.util.concurrent.atomic.AtomicBoolean();

    /**
     * Compiles the data-only walk on a spare core while a large stream is walked (once per JVM,
     * and only when the caller gave an executor): in a short-lived process the walk of a large
     * file would otherwise spend its first tens of milliseconds in the interpreter; its segments
     * pick up the compiled code as soon as it is there.
     */
    public static void warmUp(java.util.concurrent.Executor executor) {
        if (executor != null && WARMED.compareAndSet(false, true)) {
            executor.execute(new Runnable() { // not a lambda: see the README's start-up notes
                @Override
                public void run() {
                    DataOnlyWalk.warmUp();
                }
            });
        }
    }

    /** The file (or member) as a pickle; in front of a zip, only the bytes before its first member. */
    @Override
    public boolean analyze(Head head, Location where, AnalysisContext ctx) throws IOException {
        ByteSource src = head.source();
        ZipArchive zip = head.zip();
        long end = zip != null ? Math.max(0, zip.firstLocalHeader()) : src.size();
        if (end == 0) {
            return false;
        }
        ByteSource region = end == src.size() ? src : new SliceByteSource(src, 0, end);
        return stream(ctx, region, where, null, head.at(0), head.at(1), JOBLIB);
    }

    /** Analyses {@code src} as a pickle stream if a loader would treat it as one (see {@link PickleTrace#looksLikePickle}). */
    static boolean stream(AnalysisContext ctx, ByteSource src, Location where, PickleAnalyzer.PersistentIds ids)
            throws IOException {
        byte[] h = new byte[2];
        int n = src.readFully(0, h, 0, 2);
        return stream(ctx, src, where, ids, n > 0 ? h[0] & 0xff : -1, n > 1 ? h[1] & 0xff : -1, JOBLIB);
    }

    static boolean stream(AnalysisContext ctx, ByteSource src, Location where, PickleAnalyzer.PersistentIds ids,
                          int b0, int b1, RawData raw) throws IOException {
        if (ids == null && raw == JOBLIB && !ctx.keepsTraces() && src.size() > 0) {
            if (src.size() >= WARM_UP_FROM) {
                warmUp(ctx.background());
            }
            // Plain data is the bulk of large pickles: a value-free walk proves it quickly.
            if (DataOnlyWalk.clean(src, ctx.pickleLimits(), ctx.deadline())) {
                ctx.format(Format.PICKLE);
                return true;
            }
        }
        ctx.kb().preload(ctx.background()); // the analysis below needs the knowledge base: read it while the machine runs
        PickleTrace trace = PickleMachine.run(src, 0, ctx.pickleLimits(), raw, ctx.deadline());
        if (!trace.looksLikePickle(b0, b1)) {
            return false;
        }
        PickleAnalyzer analyzer = new PickleAnalyzer(ctx.kb(), ctx.pickleLimits());
        ctx.trace(where, trace);
        if (LegacyTorch.isLegacy(trace)) {
            ctx.format(Format.PYTORCH_LEGACY);
            legacyTorch(ctx, trace, where, analyzer);
            afterLimit(ctx, src, where, trace, analyzer);
            return true;
        }
        // loops, not streams: the first lambda of a run costs milliseconds, and this runs per pickle
        List<TraceEvent.RawBytes> raws = new ArrayList<>();
        for (PickleResult p : trace.pickles()) {
            for (TraceEvent e : p.events()) {
                if (e instanceof TraceEvent.RawBytes r) {
                    raws.add(r);
                }
            }
        }
        ctx.format(raws.isEmpty() ? Format.PICKLE : Format.JOBLIB);
        ctx.reportAll(analyzer.analyze(trace, where, ids));
        afterLimit(ctx, src, where, trace, analyzer);
        if (!raws.isEmpty() && raw == JOBLIB) {
            hiddenInArrays(ctx, src, where, ids, raws, analyzer);
        }
        return true;
    }

    /** Names swept after a limit, at most (a payload needs one). */
    private static final int MAX_SWEPT = 10_000;

    /**
     * When the machine stopped at one of its limits, the loader would have gone on: the rest of
     * the stream is swept for the names it imports, and each that the knowledge base knows to be
     * dangerous is reported as such, so that a payload placed after a limit keeps its verdict.
     */
    private static void afterLimit(AnalysisContext ctx, ByteSource src, Location where, PickleTrace trace,
                                   PickleAnalyzer analyzer) throws IOException {
        long from = -1;
        int index = 0;
        for (PickleResult p : trace.pickles()) {
            if (p.error() != null && p.error().kind() == dev.laocoon.core.internal.pickle.PickleError.Kind.LIMIT) {
                from = p.error().offset();
                index = p.index();
                break;
            }
        }
        if (from < 0) {
            return;
        }
        java.util.Set<String> seen = new java.util.HashSet<>();
        for (ImportSweep.Hit h : ImportSweep.sweep(src, from, src.size(), MAX_SWEPT, ctx.deadline())) {
            PickleAnalyzer.Judgement j = analyzer.judge(h.name());
            String path = ctx.kb().canonical(h.name().path());
            if (j.severity() == Severity.MALICIOUS && seen.add(path)) {
                ctx.report(j.rule() == null ? Rule.PICKLE_DANGEROUS_GLOBAL : j.rule(), Severity.MALICIOUS,
                        "after the analysis stopped at a limit, the rest of the stream imports " + path
                                + " (found by a sweep for import operands; a loader goes on past the limit): "
                                + j.explanation(), where.at(index, h.offset()), path);
            }
        }
    }

    /**
     * A plain pickle.load of a joblib file reads the array bytes as opcodes. Whatever that
     * interpretation imports or calls inside the array data is reported too.
     */
    private static void hiddenInArrays(AnalysisContext ctx, ByteSource src, Location where,
                                       PickleAnalyzer.PersistentIds ids, List<TraceEvent.RawBytes> raws,
                                       PickleAnalyzer analyzer) {
        PickleTrace plain = PickleMachine.run(src, 0, ctx.pickleLimits(), null, ctx.deadline());
        for (Finding f : analyzer.analyze(plain, where, ids)) {
            long off = f.location().offset();
            boolean inside = false;
            for (TraceEvent.RawBytes r : raws) {
                inside |= off >= r.start() && off < r.start() + r.length();
            }
            if (inside && f.location().members().equals(where.members())
                    && f.rule() != Rule.PICKLE_MALFORMED && f.rule() != Rule.PICKLE_TRUNCATED) {
                ctx.report(f.rule(), f.severity(), "in joblib array data, read as pickle code by a plain pickle.load: "
                        + f.message(), f.location(), f.evidence());
            }
        }
    }

    /**
     * Legacy torch.save: magic number, protocol version and sys-info pickles (plain values only),
     * the object pickle (storages by persistent id), the storage-key list, then raw storage bytes.
     */
    private static void legacyTorch(AnalysisContext ctx, PickleTrace trace, Location where, PickleAnalyzer analyzer) {
        List<PickleResult> ps = trace.pickles();
        for (int i = 0; i < Math.min(3, ps.size()); i++) {
            for (TraceEvent e : ps.get(i).events()) {
                String what = e instanceof TraceEvent.Import imp ? "imports " + imp.name().display()
                        : e instanceof TraceEvent.Invoke inv ? "calls " + PickleAnalyzer.describe(inv) : null;
                if (what != null) {
                    ctx.report(Rule.TORCH_LEGACY_HEADER, Severity.MALICIOUS,
                            "header pickle " + i + " of a legacy PyTorch file " + what + "; it should hold a plain value",
                            where.at(i, e.offset()), "");
                    break;
                }
            }
        }
        // Up to the storage-key list, the stream is pickles; what follows is raw tensor data.
        int keep = Math.min(ps.size(), 5);
        PickleTrace head = new PickleTrace(ps.subList(0, keep), trace.size(), -1);
        ctx.reportAll(analyzer.analyze(head, where, LEGACY_IDS));
        if (keep < 5 && ps.size() == keep && !trace.clean()) {
            PickleResult last = ps.get(ps.size() - 1);
            if (last.error() == null) {
                ctx.report(Rule.PICKLE_TRUNCATED, Severity.SUSPICIOUS,
                        "legacy PyTorch file ends before its storage-key list", where.at(keep, last.end()), "");
            }
        }
    }

    /**
     * An anonymous class, not a lambda: a lambda in a static initialiser would start the
     * method-handle machinery (milliseconds) in every run, legacy checkpoint or not.
     */
    private static final PickleAnalyzer.PersistentIds LEGACY_IDS = new PickleAnalyzer.PersistentIds() {
        @Override
        public String check(Value pid) {
            return LegacyTorch.checkStorageId(pid);
        }
    };
}
