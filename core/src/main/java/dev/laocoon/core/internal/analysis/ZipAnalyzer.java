package dev.laocoon.core.internal.analysis;

import dev.laocoon.core.Format;
import dev.laocoon.core.finding.Location;
import dev.laocoon.core.finding.Rule;
import dev.laocoon.core.finding.Severity;
import dev.laocoon.core.internal.container.ZipArchive;
import dev.laocoon.core.internal.container.ZipMember;
import dev.laocoon.core.internal.format.torch.TorchScriptCode;
import dev.laocoon.core.internal.detect.Head;
import dev.laocoon.core.internal.detect.ZipLayout;
import dev.laocoon.core.internal.format.numpy.NpyHeader;
import dev.laocoon.core.internal.pickle.Value;
import dev.laocoon.core.source.ByteSource;
import dev.laocoon.core.source.ByteSourceInputStream;
import dev.laocoon.core.source.SliceByteSource;
import java.io.IOException;
import java.io.InputStream;
import java.util.EnumSet;
import java.util.Set;
import java.util.zip.CRC32;
import java.util.zip.Inflater;
import java.util.zip.InflaterInputStream;

/**
 * Zip archives read as PyTorch's reader reads them: every inconsistency is reported, every member
 * is handed back to the pipeline, except the tensor data and metadata records PyTorch reads as
 * raw bytes or text (numpy.load still reads those as .npz members when they carry the .npy magic).
 * In a checkpoint, pickle members are analysed with storage references checked against the members.
 */
public final class ZipAnalyzer implements Analyzer {
    /** Members of a PyTorch archive that hold plain text or bytes read by PyTorch itself. */
    private static final Set<String> TORCH_METADATA = Set.of("version", ".data/version", "byteorder",
            ".data/serialization_id", ".format_version", ".storage_alignment", "extra/producer_info.json");

    @Override
    public Set<Rule> rules() {
        return EnumSet.of(Rule.ZIP_ANOMALY, Rule.CONTAINER_LIMIT, Rule.TORCHSCRIPT_CODE, Rule.TORCH_PERSISTENT_ID);
    }

    @Override
    public boolean analyze(Head head, Location where, AnalysisContext ctx) throws IOException {
        ByteSource src = head.source();
        ZipArchive zip = head.zip();
        for (String a : zip.anomalies()) {
            ctx.report(Rule.ZIP_ANOMALY, Severity.SUSPICIOUS, a, where, "");
        }
        ZipLayout layout = ZipLayout.classify(zip);
        ctx.format(layout.format());
        String prefix = layout.prefix();
        if (layout.code()) {
            ctx.report(Rule.TORCHSCRIPT_CODE, Severity.NOTICE,
                    "contains TorchScript code (" + prefix + "code/), which torch.jit.load compiles and runs", where, "");
        }
        PickleAnalyzer.PersistentIds torchIds = prefix == null ? null : new PickleAnalyzer.PersistentIds() {
            @Override
            public String check(Value pid) { // an anonymous class, not a lambda (start-up time)
                return torchStorage(pid, prefix, layout.names());
            }
        };
        ctx.enterArchive();
        try {
            members(ctx, src, zip, where, prefix, torchIds, layout.format() == Format.KERAS_V3);
        } finally {
            ctx.leaveArchive();
        }
        return true;
    }

    private static void members(AnalysisContext ctx, ByteSource src, ZipArchive zip, Location where, String prefix,
                                PickleAnalyzer.PersistentIds torchIds, boolean kerasV3) throws IOException {
        java.util.Map<String, String> code = new java.util.LinkedHashMap<>();
        java.util.Map<String, Location> codeLocations = new java.util.HashMap<>();
        members(ctx, src, zip, where, prefix, torchIds, kerasV3, code, codeLocations);
        if (code.isEmpty()) {
            return;
        }
        // what the archive's TorchScript code calls, across its code members (see TorchScriptCode)
        for (java.util.Map.Entry<String, java.util.List<TorchScriptCode.Call>> m : TorchScriptCode.calls(code).entrySet()) {
            for (TorchScriptCode.Call c : m.getValue()) {
                ctx.report(Rule.TORCHSCRIPT_CODE, c.severity(), (c.atLoad()
                        ? "torch.jit.load runs " + c.method() + " (reached from __setstate__), which calls "
                        : c.method() + " calls ") + c.callee() + ": " + c.explanation()
                        + (c.atLoad() ? "" : " (when the model is called)"),
                        codeLocations.get(m.getKey()).within(new Location.Within("element", c.method(), c.line(), 1)),
                        c.source());
            }
        }
    }

    private static void members(AnalysisContext ctx, ByteSource src, ZipArchive zip, Location where, String prefix,
                                PickleAnalyzer.PersistentIds torchIds, boolean kerasV3, java.util.Map<String, String> code,
                                java.util.Map<String, Location> codeLocations) throws IOException {
        for (ZipMember e : zip.entries()) {
            if (e.directory()) {
                continue;
            }
            if (!ctx.countMember(where)) {
                return;
            }
            Location loc = where.withMember(e.name());
            if (e.symlink()) {
                symlink(ctx, src, e, loc);
            }
            // Tensor data is never read (storages are raw bytes named data/<key>), nor the small
            // metadata records PyTorch reads as text; TorchScript source is reported as a whole.
            if (kerasV3 && (e.name().equals("config.json") || e.name().equals("metadata.json"))) {
                ByteSource m = memberSource(ctx, src, e, loc);
                if (e.name().equals("config.json") && m != null && m.size() <= ctx.limits().maxMemberBytes()) {
                    KerasAnalyzer.config(ctx, JsonAnalyzer.text(ctx.whole(m)), loc, "config.json");
                }
                npyInSkippedMember(ctx, m, e, loc, "Keras reads it as JSON");
                continue;
            }
            if (prefix != null && (e.name().startsWith(prefix + "data/") && (e.stored() || e.method() == 8)
                    || e.name().startsWith(prefix) && TORCH_METADATA.contains(e.name().substring(prefix.length()))
                    || e.name().startsWith(prefix + "code/") && !e.name().endsWith(".pkl"))) {
                // Storages are raw bytes to PyTorch, stored or deflated alike (a checkpoint re-zipped with
                // deflate loads: miniz inflates it). numpy.load reads the same archive as .npz: any member
                // starting with the .npy magic is an array to it (an object array is unpickled), whatever
                // PyTorch makes of the member; only such a member is inflated whole. TorchScript sources
                // are read for what their methods call (see TorchScriptCode).
                if (e.name().startsWith(prefix + "code/") && e.name().endsWith(".py")) {
                    ByteSource skipped = memberSource(ctx, src, e, loc);
                    npyInSkippedMember(ctx, skipped, e, loc, "PyTorch reads it as raw bytes or text");
                    String text = skipped == null ? null : codeText(ctx, skipped, loc);
                    if (text != null) {
                        String path = e.name().substring(prefix.length() + 5);
                        String module = path.substring(0, path.length() - 3).replace('/', '.');
                        code.put(module, text);
                        codeLocations.put(module, loc);
                    }
                } else if (startsWithNpyMagic(src, e)) {
                    npyInSkippedMember(ctx, memberSource(ctx, src, e, loc), e, loc, "PyTorch reads it as raw bytes or text");
                }
                continue;
            }
            ByteSource member = memberSource(ctx, src, e, loc);
            if (member == null) {
                continue;
            }
            if (!ctx.isIncomplete(member) && crc(member) != e.crc()) {
                // PyTorch's reader ignores CRCs; a mismatch means the archive was edited after writing.
                ctx.report(Rule.ZIP_ANOMALY, Severity.SUSPICIOUS, "member '" + e.name()
                        + "' does not match its CRC-32 (readers that check it reject the archive, PyTorch's does not)",
                        loc, "");
            }
            if (prefix != null && e.name().endsWith(".pkl") && PickleStreamAnalyzer.stream(ctx, member, loc, torchIds)) {
                continue;
            }
            ctx.recurse(member, loc);
        }
    }

    /** The text of a TorchScript source member, or null (reported) when it is too large to read. */
    private static String codeText(AnalysisContext ctx, ByteSource m, Location loc) throws IOException {
        if (m.size() > ctx.limits().maxMemberBytes()) {
            ctx.report(Rule.ANALYSIS_INCOMPLETE, Severity.SUSPICIOUS, "TorchScript source larger than "
                    + ctx.limits().maxMemberBytes() + " bytes was not read", loc, "");
            return null;
        }
        return new String(ctx.whole(m), java.nio.charset.StandardCharsets.UTF_8);
    }

    /**
     * A member the archive's own loader reads as raw bytes, text or JSON (so it is not analysed)
     * is still an array to numpy.load, which opens any zip as .npz and reads every member that
     * starts with the .npy magic as an array, unpickling object arrays. Such a member is analysed
     * as .npy, and is suspicious in itself.
     */
    private static void npyInSkippedMember(AnalysisContext ctx, ByteSource m, ZipMember e, Location loc, String usual)
            throws IOException {
        if (m != null && NpyHeader.isNpy(m)) {
            ctx.report(Rule.ZIP_ANOMALY, Severity.SUSPICIOUS, "member '" + e.name() + "' is a .npy array: "
                    + usual + ", but numpy.load reads the archive as .npz and this member as an array", loc, "");
            ctx.recurse(m, loc);
        }
    }

    /** A Unix symlink member whose target leaves the extraction folder (unzip creates the link). */
    private static void symlink(AnalysisContext ctx, ByteSource src, ZipMember e, Location loc) throws IOException {
        if (e.size() > 4096) {
            return;
        }
        ByteSource m = memberSource(ctx, src, e, loc);
        if (m == null) {
            return;
        }
        String target = new String(ctx.whole(m), java.nio.charset.StandardCharsets.UTF_8);
        if (ZipArchive.linkEscapes(e.name(), target)) {
            ctx.report(Rule.ZIP_ANOMALY, Severity.SUSPICIOUS, "member '" + e.name() + "' is a symbolic link to '" + target
                    + "', outside the folder the archive is extracted to (unzip creates it; later members write through it)",
                    loc, "");
        }
    }

    /** The member's first six bytes are the .npy magic (a deflated member is inflated only that far). */
    private static boolean startsWithNpyMagic(ByteSource src, ZipMember e) throws IOException {
        if (e.dataOffset() < 0) {
            return false;
        }
        byte[] head = new byte[6];
        if (e.stored()) {
            return src.readFully(e.dataOffset(), head, 0, 6) == 6 && NpyHeader.hasMagic(head);
        }
        if (e.method() != 8) {
            return true; // not read here: memberSource reports the method
        }
        try (InputStream in = new InflaterInputStream(new ByteSourceInputStream(
                new SliceByteSource(src, e.dataOffset(), e.compressedSize())), new Inflater(true), 512)) {
            int n = in.readNBytes(head, 0, 6);
            return n == 6 && NpyHeader.hasMagic(head);
        } catch (java.util.zip.ZipException | java.io.EOFException damaged) {
            return false; // PyTorch fails on it too; numpy.load cannot read it as an array
        }
    }

    private static long crc(ByteSource b) throws IOException {
        CRC32 c = new CRC32();
        byte[] chunk = new byte[65536];
        for (long p = 0; p < b.size(); ) {
            int n = b.read(p, chunk, 0, (int) Math.min(chunk.length, b.size() - p));
            if (n <= 0) {
                break;
            }
            c.update(chunk, 0, n);
            p += n;
        }
        return c.getValue();
    }

    private static String torchStorage(Value pid, String prefix, Set<String> names) {
        if (!(pid instanceof Value.Container t) || t.kind() != Value.Kind.TUPLE || t.keptCount() < 5
                || !(t.item(0) instanceof Value.Str tag) || !tag.text().equals("storage")) {
            return "persistent id is not ('storage', type, key, location, numel)";
        }
        if (!(t.item(1) instanceof Value.Global)) {
            return "storage type in the persistent id is not a global";
        }
        if (!(t.item(2) instanceof Value.Str key)) {
            return "storage key in the persistent id is not a string";
        }
        if (!names.contains(prefix + "data/" + key.text())) {
            return "storage key '" + key.text() + "' names no member " + prefix + "data/" + key.text();
        }
        return null;
    }

    /** The member's bytes: a window for stored members, inflated (within limits) for deflated ones. */
    private static ByteSource memberSource(AnalysisContext ctx, ByteSource src, ZipMember e, Location loc)
            throws IOException {
        if (e.dataOffset() < 0) {
            return null;
        }
        if (e.stored()) {
            return new SliceByteSource(src, e.dataOffset(), e.compressedSize());
        }
        if (e.method() == 8) {
            ByteSource raw = new SliceByteSource(src, e.dataOffset(), e.compressedSize());
            try {
                return Decompression.inflate(ctx, new ByteSourceInputStream(raw), e.compressedSize(), loc, RAW_DEFLATE);
            } catch (java.util.zip.ZipException | java.io.EOFException damaged) {
                ctx.report(Rule.CONTAINER_LIMIT, Severity.SUSPICIOUS,
                        "deflated member is damaged (" + damaged.getMessage() + "); it was not analysed", loc, "");
                return null;
            }
        }
        ctx.report(Rule.CONTAINER_LIMIT, Severity.SUSPICIOUS,
                "member uses compression method " + e.method() + ", which Laocoon does not read", loc, "");
        return null;
    }

    private static final Decompression.Decoder RAW_DEFLATE = new Decompression.Decoder() {
        @Override
        public InputStream open(InputStream in) {
            return new InflaterInputStream(in, new Inflater(true), 65536);
        }
    };
}
