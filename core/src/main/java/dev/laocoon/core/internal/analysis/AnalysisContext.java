package dev.laocoon.core.internal.analysis;

import dev.laocoon.core.Format;
import dev.laocoon.core.ScanLimits;
import dev.laocoon.core.finding.Finding;
import dev.laocoon.core.finding.Location;
import dev.laocoon.core.finding.Rule;
import dev.laocoon.core.finding.RuleDescriptor;
import dev.laocoon.core.finding.Severity;
import dev.laocoon.core.internal.pickle.PickleLimits;
import dev.laocoon.core.internal.pickle.PickleTrace;
import dev.laocoon.core.kb.KnowledgeBase;
import dev.laocoon.core.source.ByteSource;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The state of one file's analysis, shared by the analysers: the findings sink (bounded per rule),
 * the formats found, the scan budget (depth, members, inflated bytes, deadline), the last whole
 * read and, for explanations, the pickle traces. Analysers hand nested content back through
 * {@link #recurse} and {@link #recurseMember} instead of recursing themselves.
 */
public final class AnalysisContext {
    private final KnowledgeBase kb;
    private final ScanLimits limits;
    private final PickleLimits pickleLimits;
    private final Recursion pipeline;
    private final long deadline;
    private final List<Finding> findings = new ArrayList<>();
    private final Map<String, int[]> perRule = new java.util.HashMap<>();
    private final Map<RuleDescriptor, Severity> suppressedMax = new java.util.LinkedHashMap<>();
    private final Set<Format> formats = new LinkedHashSet<>();
    private final List<Map.Entry<Location, PickleTrace>> traces;
    private final java.util.concurrent.Executor background;
    private int insideArchive;
    private int depth;
    private int members;
    private long inflated;
    private boolean stopped;

    /** How nested content is analysed: the pipeline's entry point. */
    @FunctionalInterface
    public interface Recursion {
        void analyze(ByteSource content, Location where, AnalysisContext ctx) throws IOException;
    }

    public AnalysisContext(KnowledgeBase kb, ScanLimits limits, PickleLimits pickleLimits, Recursion pipeline,
                    List<Map.Entry<Location, PickleTrace>> traces, java.util.concurrent.Executor background) {
        this.background = background;
        this.kb = kb;
        this.limits = limits;
        this.pickleLimits = pickleLimits;
        this.pipeline = pipeline;
        this.traces = traces;
        this.deadline = System.nanoTime() + limits.maxTimePerFile().toNanos();
    }

    public KnowledgeBase kb() {
        return kb;
    }

    /** The caller's executor for background work (knowledge-base preload), or null: then none is done. */
    public java.util.concurrent.Executor background() {
        return background;
    }

    public ScanLimits limits() {
        return limits;
    }

    /** Pickle limits whose time bound is this file's deadline. */
    public PickleLimits pickleLimits() {
        return pickleLimits;
    }

    /** Absolute {@link System#nanoTime()} value at which the file's time is up. */
    public long deadline() {
        return deadline;
    }

    /** Pickle traces are collected (for explanations) when this is true. */
    public boolean keepsTraces() {
        return traces != null;
    }

    public void trace(Location where, PickleTrace t) {
        if (traces != null) {
            traces.add(Map.entry(where, t));
        }
    }

    // ------------------------------------------------------------------ findings

    /** Records a finding; beyond the per-rule limit it is only counted (its severity still counts). */
    public void report(Finding f) {
        int[] n = perRule.get(f.rule().id());
        if (n == null) {
            n = new int[1];
            perRule.put(f.rule().id(), n);
        }
        if (++n[0] > limits.maxFindingsPerRule()) {
            Severity s = suppressedMax.get(f.rule());
            suppressedMax.put(f.rule(), s == null ? f.severity() : Severity.max(s, f.severity()));
            return;
        }
        findings.add(f);
    }

    public void report(RuleDescriptor rule, Severity severity, String message, Location where, String evidence) {
        report(new Finding(rule, severity, message, where, evidence));
    }

    public void reportAll(List<Finding> fs) {
        for (Finding f : fs) {
            report(f);
        }
    }

    /** The findings, with one summary per rule whose findings were over the limit. */
    public List<Finding> findings(Location file) {
        List<Finding> out = new ArrayList<>(findings);
        for (Map.Entry<RuleDescriptor, Severity> e : suppressedMax.entrySet()) {
            int more = perRule.get(e.getKey().id())[0] - limits.maxFindingsPerRule();
            out.add(new Finding(e.getKey(), e.getValue(), more + " more " + e.getKey().id() + " findings in this file were"
                    + " not listed (the first " + limits.maxFindingsPerRule() + " are)", file, ""));
        }
        return out;
    }

    // ------------------------------------------------------------------ formats

    /** Records a format of the file; formats of archive members do not describe the file. */
    public void format(Format f) {
        if (insideArchive == 0) {
            formats.add(f);
        }
    }

    public void removeFormat(Format f) {
        formats.remove(f);
    }

    public List<Format> formats() {
        return List.copyOf(formats);
    }

    // ------------------------------------------------------------------ recursion and budget

    public int depth() {
        return depth;
    }

    /** Analyses decoded content (a decompressed payload) one level deeper; its formats are the file's. */
    public void recurse(ByteSource content, Location where) throws IOException {
        depth++;
        try {
            pipeline.analyze(content, where, this);
        } finally {
            depth--;
        }
    }

    /** Analyses an archive member one level deeper; its formats are not the file's. */
    public void recurseMember(ByteSource member, Location where) throws IOException {
        enterArchive();
        try {
            recurse(member, where);
        } finally {
            leaveArchive();
        }
    }

    /** Everything analysed until {@link #leaveArchive()} is inside an archive. */
    public void enterArchive() {
        insideArchive++;
    }

    public void leaveArchive() {
        insideArchive--;
    }

    /** Counts one more archive member; false (with a finding) once the limit is passed or time is up. */
    public boolean countMember(Location where) {
        if (++members > limits.maxMembers()) {
            report(Rule.CONTAINER_LIMIT, Severity.SUSPICIOUS,
                    "more than " + limits.maxMembers() + " members; the rest were not analysed", where, "");
            return false;
        }
        return !stop(where);
    }

    /** Counts decompressed bytes against the file's budget; false when it is exhausted. */
    public boolean inflated(long n) {
        inflated += n;
        return inflated <= limits.maxInflatedBytes();
    }

    /**
     * True once the file's time is up or the scanning thread was interrupted; the first time,
     * a finding says that the rest was not analysed.
     */
    public boolean stop(Location where) {
        if (stopped) {
            return true;
        }
        boolean cancelled = Thread.currentThread().isInterrupted();
        if (cancelled || System.nanoTime() > deadline) {
            stopped = true;
            report(Rule.ANALYSIS_INCOMPLETE, Severity.SUSPICIOUS, cancelled
                    ? "the scan was cancelled; the rest of the file was not analysed"
                    : "the time limit of " + limits.maxTimePerFile().toSeconds() + " s per file was reached; "
                    + "the rest of the file was not analysed", where, "");
        }
        return stopped;
    }

    // ------------------------------------------------------------------ owned sources

    private final List<ByteSource> owned = new ArrayList<>();

    /** A source made during the analysis (decompressed data) that is closed when the file is done. */
    public ByteSource own(ByteSource s) {
        owned.add(s);
        return s;
    }

    private final java.util.Set<ByteSource> incomplete = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());

    /** Marks decompressed data that stops at a limit before the data's real end. */
    public void incomplete(ByteSource s) {
        incomplete.add(s);
    }

    /** True for decompressed data that stops at a limit (checks of the whole, such as CRCs, do not apply). */
    public boolean isIncomplete(ByteSource s) {
        return incomplete.contains(s);
    }

    /** Closes every owned source (removing temporary files); called once the file's report is made. */
    public void close() {
        for (ByteSource s : owned) {
            try {
                s.close();
            } catch (IOException ignored) {
                // a temporary file that cannot be removed is left to the system's cleaning
            }
        }
        owned.clear();
    }

    // ------------------------------------------------------------------ whole reads

    private ByteSource wholeOf;
    private byte[] whole;

    /**
     * The whole content of a (bounded) source. Several checks of one file need it (protobuf
     * models, text repository files, JSON), so the last one read is kept.
     */
    public byte[] whole(ByteSource src) throws IOException {
        if (src != wholeOf) {
            byte[] all = new byte[(int) src.size()];
            int n = src.readFully(0, all, 0, all.length);
            whole = n == all.length ? all : Arrays.copyOf(all, n);
            wholeOf = src;
        }
        return whole;
    }

    /** The bytes of {@code src} when they were read whole already, else null. */
    public byte[] wholeIfRead(ByteSource src) {
        return src == wholeOf ? whole : null;
    }
}
