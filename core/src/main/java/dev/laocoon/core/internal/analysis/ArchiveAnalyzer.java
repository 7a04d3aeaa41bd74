package dev.laocoon.core.internal.analysis;

import dev.laocoon.core.Format;
import dev.laocoon.core.finding.Location;
import dev.laocoon.core.finding.Rule;
import dev.laocoon.core.finding.Severity;
import dev.laocoon.core.internal.container.LegacyTorchTar;
import dev.laocoon.core.internal.container.ZipArchive;
import dev.laocoon.core.internal.detect.Head;
import dev.laocoon.core.internal.format.torch.LegacyTorch;
import dev.laocoon.core.internal.pickle.RawData;
import dev.laocoon.core.internal.pickle.Value;
import dev.laocoon.core.source.ByteSource;
import dev.laocoon.core.source.ByteSourceChannel;
import dev.laocoon.core.source.ByteSourceInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.EnumSet;
import java.util.Set;
import org.apache.commons.compress.archivers.sevenz.SevenZArchiveEntry;
import org.apache.commons.compress.archivers.sevenz.SevenZFile;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;

/**
 * Tar and 7z archives: every member is decompressed within the budget and handed back to the
 * pipeline. A tar holding {@code sys_info} then {@code storages}, {@code tensors} or {@code pickle}
 * is PyTorch's oldest layout, whose members are record pickles followed by raw bytes.
 */
public final class ArchiveAnalyzer implements Analyzer {
    /** The archive formats. */
    public enum Kind { TAR, SEVEN_ZIP }

    private final Kind kind;

    public ArchiveAnalyzer(Kind kind) {
        this.kind = kind;
    }

    @Override
    public Set<Rule> rules() {
        return EnumSet.of(Rule.CONTAINER_LIMIT, Rule.PICKLE_MALFORMED, Rule.ZIP_ANOMALY);
    }

    @Override
    public boolean analyze(Head head, Location where, AnalysisContext ctx) throws IOException {
        if (kind == Kind.TAR) {
            ctx.format(Format.TAR);
            tar(ctx, head.source(), where);
        } else {
            ctx.format(Format.SEVEN_ZIP);
            sevenZip(ctx, head.source(), where);
        }
        return true;
    }

    private static void tar(AnalysisContext ctx, ByteSource src, Location where) throws IOException {
        boolean sysInfo = false;
        boolean legacyTar = false;
        try (TarArchiveInputStream t = new TarArchiveInputStream(new ByteSourceInputStream(src))) {
            TarArchiveEntry e;
            while ((e = t.getNextEntry()) != null) {
                slip(ctx, where, e.getName(), "member name");
                // a link out of the folder lets a later member write through it (a hard link's target is
                // an archive path, a symbolic link's is relative to the link's directory)
                if ((e.isSymbolicLink() || e.isLink()) && ZipArchive.linkEscapes(e.isSymbolicLink() ? e.getName() : "",
                        e.getLinkName())) {
                    ctx.report(Rule.ZIP_ANOMALY, Severity.SUSPICIOUS, "member '" + e.getName() + "' is a link to '"
                            + e.getLinkName() + "', outside the folder the archive is extracted to",
                            where.withMember(e.getName()), "");
                }
                if (!e.isFile()) {
                    continue;
                }
                if (!ctx.countMember(where)) {
                    return;
                }
                Location loc = where.withMember(e.getName());
                ByteSource member = Decompression.inflate(ctx, t, e.getSize(), loc, KEEP_OPEN);
                if (member == null) {
                    continue;
                }
                String name = e.getName();
                sysInfo |= name.equals("sys_info");
                // torch.load's legacy_load (torch/serialization.py) reads storages, tensors and pickle
                // and never sys_info: without it, a member so named that starts like a protocol 2+
                // pickle is read as torch reads it too
                if ((name.equals("storages") || name.equals("tensors") || name.equals("pickle"))
                        && (sysInfo || startsLikePickle(member))) {
                    // PyTorch's legacy tar format: records followed by raw bytes, ids resolved by key
                    legacyTar = true;
                    ctx.enterArchive();
                    try {
                        legacyTarMember(ctx, member, loc, name);
                    } finally {
                        ctx.leaveArchive();
                    }
                } else {
                    ctx.recurseMember(member, loc);
                }
            }
        } catch (IOException e) {
            legacyTar = false;
            ctx.report(Rule.CONTAINER_LIMIT, Severity.SUSPICIOUS,
                    "tar archive is damaged (" + e.getMessage() + "); the rest was not analysed", where, "");
        }
        if (legacyTar) {
            ctx.format(Format.PYTORCH_LEGACY_TAR);
        }
    }

    private static boolean startsLikePickle(ByteSource member) throws IOException {
        byte[] h = new byte[2];
        return member.readFully(0, h, 0, 2) == 2 && (h[0] & 0xff) == 0x80 && h[1] >= 2 && h[1] <= 5;
    }

    /** A zip-slip name: the same rule as in zips ({@link ZipArchive#unsafeName}). */
    private static void slip(AnalysisContext ctx, Location where, String name, String what) {
        String why = name == null ? null : ZipArchive.unsafeName(name);
        if (why != null) {
            ctx.report(Rule.ZIP_ANOMALY, Severity.SUSPICIOUS, what + " '" + name + "' " + why + ZipArchive.EXTRACTED,
                    where.withMember(name), "");
        }
    }

    /** The tar stream stays open for the next entry. */
    private static final Decompression.Decoder KEEP_OPEN = new Decompression.Decoder() {
        @Override
        public InputStream open(InputStream in) {
            return new FilterInputStream(in) {
                @Override
                public void close() {
                    // the tar stream stays open for the next entry
                }
            };
        }
    };

    private static final Decompression.Decoder AS_IS = new Decompression.Decoder() {
        @Override
        public InputStream open(InputStream in) {
            return in;
        }
    };

    private static final dev.laocoon.core.internal.analysis.PickleAnalyzer.PersistentIds TAR_IDS =
            new PickleAnalyzer.PersistentIds() {
                @Override
                public String check(Value pid) {
                    return LegacyTorch.checkTarId(pid);
                }
            };

    private static void legacyTarMember(AnalysisContext ctx, ByteSource member, Location loc, String name)
            throws IOException {
        RawData raw = switch (name) {
            case "storages" -> LegacyTorchTar.STORAGES;
            case "tensors" -> LegacyTorchTar.TENSORS;
            default -> PickleStreamAnalyzer.JOBLIB;
        };
        byte[] h = new byte[2];
        int n = member.readFully(0, h, 0, 2);
        if (!PickleStreamAnalyzer.stream(ctx, member, loc, TAR_IDS, n > 0 ? h[0] & 0xff : -1, n > 1 ? h[1] & 0xff : -1,
                raw)) {
            ctx.report(Rule.PICKLE_MALFORMED, Severity.SUSPICIOUS,
                    "legacy PyTorch member '" + name + "' is not a pickle stream", loc, "");
        }
    }

    private static void sevenZip(AnalysisContext ctx, ByteSource src, Location where) throws IOException {
        try (SevenZFile z = SevenZFile.builder().setSeekableByteChannel(new ByteSourceChannel(src))
                .setMaxMemoryLimitKb(64 * 1024 * 1024) /* the builder divides by 1024 */.get()) {
            SevenZArchiveEntry e;
            while ((e = z.getNextEntry()) != null) {
                slip(ctx, where, e.getName(), "member name");
                if (e.isDirectory() || !e.hasStream()) {
                    continue;
                }
                if (!ctx.countMember(where)) {
                    return;
                }
                Location loc = where.withMember(e.getName());
                ByteSource member = Decompression.inflate(ctx, z.getInputStream(e), src.size(), loc, AS_IS);
                if (member != null) {
                    ctx.recurseMember(member, loc);
                }
            }
        } catch (IOException e) {
            ctx.report(Rule.CONTAINER_LIMIT, Severity.SUSPICIOUS,
                    "7z archive could not be read (" + e.getMessage() + "); its content was not analysed", where, "");
        }
    }
}
